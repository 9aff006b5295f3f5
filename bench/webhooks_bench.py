"""Webhook delivery benchmark: N messages x M receivers on loopback.

Reports deliveries/s draining a backlog and p50/p99 commit→2xx at a steady rate, for 1 and 2
dispatcher processes on SQLite and PostgreSQL, next to a bare aiohttp POST loop (the ceiling).
Receivers run in their own process so they do not share an event loop with anything measured.

    .venv/bin/python bench/webhooks_bench.py --messages 2000 --receivers 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chart import bar_chart  # noqa: E402

# --- receiver process ----------------------------------------------------------------------


async def serve_receivers(count: int) -> None:
    stats: dict[str, list] = {"ids": [], "lat": []}

    async def hook(request: web.Request) -> web.Response:
        body = await request.read()
        stats["ids"].append(request.headers.get("webhook-id", ""))
        if request.headers.get("webhook-id"):
            stats["lat"].append(time.time() * 1000 - json.loads(body)["event_time"])
        return web.Response(text="ok")

    async def get_stats(request: web.Request) -> web.Response:
        # Latencies only when asked: serializing them on every poll would load the receiver.
        lat = stats["lat"] if request.query.get("lat") else []
        return web.json_response(
            {"count": len(stats["ids"]), "unique": len(set(stats["ids"])), "lat": lat}
        )

    async def reset(_r: web.Request) -> web.Response:
        stats["ids"], stats["lat"] = [], []
        return web.Response()

    ports = []
    for i in range(count):
        app = web.Application()
        app.router.add_post("/hook", hook)
        app.router.add_get("/stats", get_stats)
        app.router.add_post("/reset", reset)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        ports.append(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        del i
    print(json.dumps(ports), flush=True)
    await asyncio.Event().wait()


# --- helpers -------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def receiver_stats(http: aiohttp.ClientSession, ports: list[int], lat: bool = False) -> dict:
    total = {"count": 0, "unique": 0, "lat": []}
    for port in ports:
        async with http.get(f"http://127.0.0.1:{port}/stats?lat={int(lat)}") as r:
            s = await r.json()
        total["count"] += s["count"]
        total["unique"] += s["unique"]
        total["lat"] += s["lat"]
    return total


async def reset(http: aiohttp.ClientSession, ports: list[int]) -> None:
    for port in ports:
        async with http.post(f"http://127.0.0.1:{port}/reset"):
            pass


async def ceiling(ports: list[int], requests: int, concurrency: int = 50) -> float:
    """A bare aiohttp POST loop to the same receivers: the most this machine can push."""
    body = json.dumps({"event_time": 0, "message_text": "x" * 300}).encode()
    left = iter(range(requests))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

        async def loop() -> None:
            for i in left:
                url = f"http://127.0.0.1:{ports[i % len(ports)]}/hook"
                async with http.post(url, data=body) as r:
                    await r.read()

        started = time.perf_counter()
        await asyncio.gather(*(loop() for _ in range(concurrency)))
        return requests / (time.perf_counter() - started)


# --- one configuration ---------------------------------------------------------------------


def make_database(backend: str) -> tuple[str, object]:
    from botdesk.db.migrate import upgrade

    if backend == "sqlite":
        path = Path(tempfile.mkdtemp()) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        upgrade(url)
        return url, None
    from tests.support.databases import new_postgres_database

    url, name = new_postgres_database()
    return url, name


async def seed_messages(db, settings, ports: list[int], messages: int, threads: int) -> str:
    from tests.webhooks.conftest import seed

    setup = await seed(db, [f"http://127.0.0.1:{p}/hook" for p in ports])
    await post_batch(db, setup.task_id, range(messages), threads)
    return setup.task_id


async def post_batch(db, task_id: str, numbers, threads: int, per_txn: int = 100) -> None:
    from botdesk.dialogs.service import post_user_message
    from botdesk.models import Task

    numbers = list(numbers)
    for start in range(0, len(numbers), per_txn):
        async with db.transaction() as session:
            task = await session.get(Task, task_id)
            for i in numbers[start : start + per_txn]:
                text = f"message {i} " + "x" * 200
                await post_user_message(session, task=task, chat_id=f"c{i % threads}", text=text)


def start_workers(url: str, count: int) -> list[asyncio.subprocess.Process]:
    env = {
        **os.environ,
        "BOTDESK_DATABASE_URL": url,
        "BOTDESK_WEBHOOK_ALLOW_PRIVATE": "127.0.0.0/8",
        "BOTDESK_WORKER_POLL_SECONDS": "0.02",
        "BOTDESK_DB_POOL_SIZE": "4",
    }
    return [
        asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "botdesk.worker.dispatcher",
            "--database-url",
            url,
            env=env,
            stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(count)
    ]


async def run_config(backend: str, workers: int, ports: list[int], args) -> dict:
    from botdesk.core.config import Settings
    from botdesk.db.engine import Database

    url, pg_name = await asyncio.to_thread(make_database, backend)  # migrations run a loop
    settings = Settings(database_url=url, webhook_allow_private=["127.0.0.0/8"])
    db = Database(settings)
    expected = args.messages * len(ports)
    async with aiohttp.ClientSession() as http:
        await reset(http, ports)
        task_id = await seed_messages(db, settings, ports, args.messages, args.threads)
        procs = [await p for p in start_workers(url, workers)]
        try:
            first = None
            started = time.perf_counter()
            while True:
                s = await receiver_stats(http, ports)
                if s["count"] and first is None:
                    first = time.perf_counter()
                if s["unique"] >= expected or time.perf_counter() - started > 300:
                    break
                await asyncio.sleep(0.02)
            drain_s = time.perf_counter() - (first or started)
            drained = s["unique"]
            # steady state: messages at a fixed rate while the workers idle-poll
            await reset(http, ports)
            rate, seconds = args.rate, args.steady_seconds
            for second in range(seconds):
                tick = time.perf_counter()
                numbers = range(args.messages + second * rate, args.messages + (second + 1) * rate)
                await post_batch(db, task_id, numbers, args.threads, per_txn=10)
                await asyncio.sleep(max(0.0, 1 - (time.perf_counter() - tick)))
            deadline = time.perf_counter() + 60
            while (s := await receiver_stats(http, ports))["unique"] < rate * seconds * len(
                ports
            ) and time.perf_counter() < deadline:
                await asyncio.sleep(0.1)
            s = await receiver_stats(http, ports, lat=True)
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                await p.wait()
            await db.dispose()
            if pg_name:
                from tests.support.databases import drop_postgres_database

                await asyncio.to_thread(drop_postgres_database, str(pg_name))
    return {
        "backend": backend,
        "workers": workers,
        "deliveries": drained,
        "per_s": drained / drain_s,
        "p50_ms": statistics.median(s["lat"]) if s["lat"] else float("nan"),
        "p99_ms": pct(s["lat"], 0.99),
        "steady": f"{rate * len(ports)}/s",
    }


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--receivers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=200, help="distinct chat_ids")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--rate", type=int, default=100, help="steady messages/s for latency")
    parser.add_argument("--steady-seconds", type=int, default=3)
    parser.add_argument("--serve-receivers", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_receivers:
        await serve_receivers(args.serve_receivers)
        return
    receiver = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve-receivers", str(args.receivers),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert receiver.stdout is not None
    ports = json.loads(await receiver.stdout.readline())
    try:
        top = await ceiling(ports, requests=args.messages * args.receivers)
        print(f"ceiling: bare aiohttp POST loop, 50 concurrent: {top:,.0f} req/s", flush=True)
        print(f"{'backend':9} {'workers':>7} {'deliveries':>10} {'per s':>8} {'% ceil':>7} "
              f"{'steady':>8} {'p50 ms':>7} {'p99 ms':>7}", flush=True)  # fmt: skip
        bars = [("bare aiohttp POST loop", top)]
        for backend in args.backends.split(","):
            for workers in (int(w) for w in args.workers.split(",")):
                r = await run_config(backend, workers, ports, args)
                bars.append((f"{backend}, {workers} worker(s)", r["per_s"]))
                print(
                    f"{r['backend']:9} {r['workers']:>7} {r['deliveries']:>10} "
                    f"{r['per_s']:>8,.0f} {100 * r['per_s'] / top:>6.0f}% {r['steady']:>8} "
                    f"{r['p50_ms']:>7.1f} {r['p99_ms']:>7.1f}",
                    flush=True,
                )
        chart = bar_chart("webhooks", "Webhook deliveries per second", bars, "/s", target=2000)
        print(f"chart: {chart}")
    finally:
        receiver.terminate()
        await receiver.wait()


if __name__ == "__main__":
    asyncio.run(main())
