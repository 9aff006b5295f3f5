"""Run botdesk (or any command) as a real process on loopback for tests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def botdesk_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "BOTDESK_DATABASE_URL": database_url,
            "BOTDESK_SECRET_KEY": "test-secret-key",
            "BOTDESK_WEBHOOK_ALLOW_PRIVATE": "127.0.0.0/8",
        }
    )
    env.update(extra)
    return env


def stop(proc: subprocess.Popen[Any], timeout: float = 10) -> None:
    """SIGTERM, wait up to `timeout` seconds, then SIGKILL."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "botdesk", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def bootstrap(
    env: dict[str, str], *, email: str, company: str, password: str = "pw"
) -> dict[str, str]:
    """`botdesk bootstrap`: the JSON line it prints (company_id, user_id, api_key)."""
    out = run_cli(env, "bootstrap", "--email", email, "--password", password, "--company", company)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


@contextmanager
def running_server(env: dict[str, str], *args: str) -> Iterator[str]:
    """`botdesk serve` on a free port; yields its base URL and stops it afterwards."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**env, "BOTDESK_BASE_URL": env.get("BOTDESK_BASE_URL", base)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "botdesk", "serve", "--port", str(port), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                output = proc.stdout.read() if proc.stdout else ""
                raise RuntimeError(f"botdesk serve exited early:\n{output}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("botdesk serve did not become healthy in 60 s")
            time.sleep(0.1)
        yield base
    finally:
        stop(proc)
