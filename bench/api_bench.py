"""Throughput and latency of `send_message_external` against a running botdesk on loopback,
next to a bare FastAPI endpoint (the ceiling), on SQLite and PostgreSQL. Needs `wrk`
(`apt-get install wrk`).

Run: .venv/bin/python bench/api_bench.py [--seconds 10] [--connections 64,256] [--chats 1000]
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.chart import bar_chart  # noqa: E402
from tests.support import databases  # noqa: E402
from tests.support.server import bootstrap, botdesk_env, free_port, running_server  # noqa: E402

LUA = """
local counter = 0
local chats = {chats}
request = function()
  counter = counter + 1
  local body = '{{"task_id":"{task}","chat_id":"c' .. (counter % chats)
    .. '","message":"hello number ' .. counter .. '"}}'
  local headers = {{["Content-Type"]="application/json", ["Authorization"]="Bearer {key}"}}
  return wrk.format("POST", "/api/1.1/wf/send_message_external", headers, body)
end
"""


def run_wrk(base: str, task: str, key: str, args: argparse.Namespace) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA.format(chats=args.chats, task=task, key=key))
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{args.connections}",
            f"-d{args.seconds}s",
            "--latency",
            "-s",
            script.name,
            base,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": _ms(re.search(r"50%\s+([\d.]+\w+)", out).group(1)),
        "p99_ms": _ms(re.search(r"99%\s+([\d.]+\w+)", out).group(1)),
        "errors": float(non2xx.group(1)) if non2xx else 0.0,
    }


def _ms(value: str) -> float:
    number = float(re.match(r"[\d.]+", value).group(0))
    unit = value[len(re.match(r"[\d.]+", value).group(0)) :]
    return number * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def ceiling(args: argparse.Namespace) -> dict[str, float]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.ceiling_app:app",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=ROOT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(base + "/docs", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        return run_wrk(base, "t", "k", args)
    finally:
        proc.terminate()
        proc.wait()


def botdesk(url: str, args: argparse.Namespace) -> dict[str, float]:
    env = botdesk_env(url)
    boot = bootstrap(env, email="b@x.io", company="Bench")
    headers = {"Authorization": f"Bearer {boot['api_key']}"}
    with running_server(env, "--no-worker") as base:
        channel = httpx.post(
            f"{base}/v1/channels", json={"name": "c", "type": "api"}, headers=headers
        ).json()
        ai = httpx.post(f"{base}/v1/ais", json={"name": "a"}, headers=headers).json()
        hook = httpx.post(
            f"{base}/v1/integrations",
            json={"name": "h", "webhook_url": "http://127.0.0.1:9/x"},
            headers=headers,
        ).json()
        task = httpx.post(
            f"{base}/v1/tasks",
            json={
                "name": "t",
                "channel_id": channel["id"],
                "ai_id": ai["id"],
                "integration_ids": [hook["id"]],
            },
            headers=headers,
        ).json()
        return run_wrk(base, task["id"], boot["api_key"], args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument(
        "--connections", default="64,256", help="concurrent connections, one run per level"
    )
    parser.add_argument("--chats", type=int, default=1000)
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    print(
        f"{'target':34} {'req/s':>9} {'% ceiling':>10} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
    )
    try:
        for level in [int(c) for c in args.connections.split(",")]:
            _level(args, level)
    finally:
        if "postgres" in args.backends:
            databases.drop_template()


def _level(args: argparse.Namespace, level: int) -> None:
    """One concurrency level: the ceiling, then botdesk on each database."""
    run = argparse.Namespace(**{**vars(args), "connections": level})
    results = {"ceiling (bare FastAPI)": ceiling(run)}
    for backend in args.backends.split(","):
        if backend == "sqlite":
            tmp = Path(tempfile.mkdtemp())
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            results["botdesk on SQLite"] = botdesk(url, run)
        else:
            url, name = databases.new_postgres_database()
            try:
                results["botdesk on PostgreSQL"] = botdesk(url, run)
            finally:
                databases.drop_postgres_database(name)
    top = results["ceiling (bare FastAPI)"]["rps"]
    for name, r in results.items():
        print(
            f"{name + f' ({level} conns)':34} {r['rps']:9.0f} {100 * r['rps'] / top:9.1f}%"
            f" {r['p50_ms']:8.2f} {r['p99_ms']:8.2f} {r['errors']:8.0f}"
        )
    chart = bar_chart(
        f"api-{level}",
        f"send_message_external, {level} connections (target: 40% of the ceiling)",
        [(name, r["rps"]) for name, r in results.items()],
        "req/s",
        target=0.4 * top,
    )
    print(f"chart: {chart}")


if __name__ == "__main__":
    main()
