"""End-to-end throughput with the embedded AI: N dialogs each send one user message through
`send_message_external` to a real `botdesk serve`; the AI answers and the `bot` message comes
back as a webhook to a receiver on 127.0.0.1. Reports dialogs/s from the first send until the
last `bot` webhook arrived, and p50/p99 of user message sent → its bot webhook received.

Modes: `inproc` (serve with its in-process worker), `split` (serve --no-worker plus one
`botdesk worker` process), `both` (serve with its worker plus one `botdesk worker`).

Run: .venv/bin/python bench/e2e_bench.py [--dialogs 500] [--concurrency 64]
     [--backends sqlite,postgres] [--modes inproc,split] [--rate 0] [--py-spy DIR]

Without --rate all dialogs are sent at once (throughput; latency then includes the queue);
with --rate N they are paced at N dialogs/s (latency at a steady load below capacity).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chart import bar_chart  # noqa: E402
from tests.support import databases  # noqa: E402
from tests.support.server import bootstrap, botdesk_env, running_server, stop  # noqa: E402

DATA = ROOT / "bench" / "data"
# Dialogs answered before measuring: loads the encoder and caches the knowledge vectors.
WARMUP_DIALOGS = 40
# Longest wait for the last bot webhook of a round, in seconds.
ROUND_TIMEOUT_S = 180.0


@dataclass
class Receiver:
    """Webhook receiver in this process: when each chat's first `bot` webhook arrived."""

    arrived: dict[str, float] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    received: int = 0
    url: str = ""
    runner: web.AppRunner | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/hook"
        return self

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.json()
        now = time.perf_counter()
        self.received += 1
        if body.get("message_type") == "bot":
            chat = body["external_chat_id"]
            self.arrived.setdefault(chat, now)
            self.texts.setdefault(chat, body.get("message_text", ""))
            self.changed.set()
        return web.Response(text="ok")

    async def wait_for(self, chats: list[str]) -> None:
        deadline = time.perf_counter() + ROUND_TIMEOUT_S
        while not all(c in self.arrived for c in chats):
            left = deadline - time.perf_counter()
            if left <= 0:
                missing = sum(c not in self.arrived for c in chats)
                raise TimeoutError(f"{missing} of {len(chats)} bot webhooks missing")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), min(left, 1.0))
            except TimeoutError:
                pass

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def shop_kb() -> tuple[list[dict[str, str]], str, list[str]]:
    """The bench's shop knowledge base and its labelled customer messages."""
    kb = json.loads((DATA / "knowledge.json").read_text())["shop"]
    knowledge = [{"question": i["question"], "answer": i["answer"]} for i in kb["knowledge"]]
    with (DATA / "eval.tsv").open() as f:
        messages = [r["text"] for r in csv.DictReader(f, delimiter="\t") if r["kb"] == "shop"]
    return knowledge, kb["knowledge_text"], messages


async def set_up(base: str, api_key: str, webhook_url: str) -> str:
    """Channel, embedded AI (no debounce), integration and task; returns the task id."""
    knowledge, text, _ = shop_kb()
    headers = {"Authorization": f"Bearer {api_key}"}
    async with aiohttp.ClientSession(base, headers=headers) as http:

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            async with http.post(path, json=body) as response:
                assert response.status in (200, 201), await response.text()
                return dict(await response.json())

        channel = await post("/v1/channels", {"name": "Site", "type": "page_messenger"})
        ai = await post(
            "/v1/ais",
            {
                "name": "Shop",
                "knowledge": knowledge,
                "knowledge_text": text,
                "settings": {"debounce_seconds": 0},
            },
        )
        hook = await post("/v1/integrations", {"name": "Hook", "webhook_url": webhook_url})
        task = await post(
            "/v1/tasks",
            {
                "name": "Web",
                "channel_id": channel["id"],
                "ai_id": ai["id"],
                "integration_ids": [hook["id"]],
            },
        )
        return str(task["id"])


async def send_round(
    base: str,
    api_key: str,
    task_id: str,
    receiver: Receiver,
    chats: list[str],
    messages: list[str],
    concurrency: int,
    rate: float = 0.0,
) -> dict[str, float]:
    """One message per chat, `concurrency` requests at a time (paced at `rate` dialogs/s if
    given, else as fast as they go); waits for every bot webhook."""
    sent: dict[str, float] = {}
    queue = list(enumerate(chats))
    headers = {"Authorization": f"Bearer {api_key}"}
    connector = aiohttp.TCPConnector(limit=concurrency)
    errors = 0
    async with aiohttp.ClientSession(base, headers=headers, connector=connector) as http:

        async def sender() -> None:
            nonlocal errors
            while queue:
                n, chat = queue.pop(0)
                if rate:
                    await asyncio.sleep(max(0.0, start + n / rate - time.perf_counter()))
                body = {"task_id": task_id, "chat_id": chat, "message": messages[n % len(messages)]}
                sent[chat] = time.perf_counter()
                async with http.post("/api/1.1/wf/send_message_external", json=body) as response:
                    await response.read()
                    errors += response.status != 200

        start = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(concurrency)))
        sends_done = time.perf_counter()
        await receiver.wait_for(chats)
    last = max(receiver.arrived[c] for c in chats)
    latencies = [(receiver.arrived[c] - sent[c]) * 1000 for c in chats]
    return {
        "dialogs": len(chats),
        "dialogs_per_s": len(chats) / (last - start),
        "send_s": sends_done - start,
        "total_s": last - start,
        "p50_ms": pct(latencies, 0.50),
        "p99_ms": pct(latencies, 0.99),
        "send_errors": errors,
    }


@contextmanager
def extra_worker(env: dict[str, str]) -> Iterator[None]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "botdesk", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        stop(proc)


def run_case(url: str, mode: str, args: argparse.Namespace) -> dict[str, float]:
    env = botdesk_env(url)
    boot = bootstrap(env, email="e2e@bench.io", company="B")
    serve_args = ("--no-worker",) if mode == "split" else ()
    with running_server(env, *serve_args) as base:
        workers = extra_worker(env) if mode in ("split", "both") else _nothing()
        with workers:
            label = f"{url.split(':', 1)[0].split('+')[0]}-{mode}"
            return asyncio.run(_measure(base, boot["api_key"], args, label))


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def child_pids() -> dict[int, str]:
    """This process's children (the botdesk processes) with their command lines."""
    children: dict[int, str] = {}
    for task in Path("/proc/self/task").iterdir():
        for pid in (task / "children").read_text().split():
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            children[int(pid)] = cmdline.decode(errors="replace")
    return children


def cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) used so far by each botdesk child, keyed serve/worker."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[str, float] = {}
    for pid, cmdline in child_pids().items():
        if "botdesk" in cmdline:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            kind = "serve" if " serve" in cmdline else "worker"
            used[kind] = used.get(kind, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return used


@contextmanager
def profiled(out: str | None, label: str) -> Iterator[None]:
    """With --py-spy DIR: py-spy collapsed stacks of each botdesk process during the round."""
    if not out:
        yield
        return
    spies = []
    for pid, cmdline in child_pids().items():
        if "botdesk" not in cmdline:
            continue
        kind = "serve" if " serve" in cmdline else "worker"
        svg = Path(out) / f"{label}-{kind}-{pid}.txt"
        spies.append(
            subprocess.Popen(
                ["py-spy", "record", "--nonblocking", "--pid", str(pid), "--rate", "100"]
                + ["--format", "raw", "-o", str(svg)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    time.sleep(1.0)  # py-spy attaches
    try:
        yield
    finally:
        for spy in spies:
            spy.send_signal(2)  # SIGINT: py-spy writes its output and exits
            spy.wait(timeout=60)


async def _measure(
    base: str, api_key: str, args: argparse.Namespace, label: str
) -> dict[str, float]:
    receiver = await Receiver().start()
    try:
        task_id = await set_up(base, api_key, receiver.url)
        _, _, messages = shop_kb()
        warm = [f"warm-{n}" for n in range(WARMUP_DIALOGS)]
        await send_round(base, api_key, task_id, receiver, warm, messages, args.concurrency)
        chats = [f"chat-{n}" for n in range(args.dialogs)]
        cpu_before = cpu_seconds()
        with profiled(args.py_spy, label):
            result = await send_round(
                base, api_key, task_id, receiver, chats, messages, args.concurrency, args.rate
            )
        cpu_after = cpu_seconds()
        for kind in ("serve", "worker"):
            result[f"cpu_{kind}_s"] = cpu_after.get(kind, 0.0) - cpu_before.get(kind, 0.0)
        result["webhooks"] = receiver.received
        return result
    finally:
        await receiver.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dialogs", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--modes", default="inproc,split")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="send at this many dialogs/s (0: all at once)"
    )
    parser.add_argument("--py-spy", metavar="DIR", help="write py-spy collapsed stacks here")
    args = parser.parse_args()
    rows: list[tuple[str, str, dict[str, float]]] = []
    for backend in args.backends.split(","):
        for mode in args.modes.split(","):
            if backend == "sqlite":
                url = databases.new_sqlite_database(Path(tempfile.mkdtemp()))
                rows.append((backend, mode, run_case(url, mode, args)))
                continue
            url, name = databases.new_postgres_database()
            try:
                rows.append((backend, mode, run_case(url, mode, args)))
            finally:
                databases.drop_postgres_database(name)
    if "postgres" in args.backends:
        databases.drop_template()
    print(
        f"{'backend':9} {'mode':7} {'dialogs':>7} {'dialogs/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
        f" {'sends s':>8} {'total s':>8} {'errors':>6} {'cpu serve':>9} {'cpu worker':>10}"
    )
    for backend, mode, r in rows:
        print(
            f"{backend:9} {mode:7} {r['dialogs']:7.0f} {r['dialogs_per_s']:9.1f}"
            f" {r['p50_ms']:8.1f} {r['p99_ms']:8.1f} {r['send_s']:8.2f} {r['total_s']:8.2f}"
            f" {r['send_errors']:6.0f} {r['cpu_serve_s']:9.2f} {r['cpu_worker_s']:10.2f}"
        )

    chart = bar_chart(
        "e2e",
        "User message to bot webhook, embedded AI",
        [(f"{backend} {mode}", r["dialogs_per_s"]) for backend, mode, r in rows],
        "dialogs/s",
        target=100,
    )
    print(f"chart: {chart}")


if __name__ == "__main__":
    main()
