"""`botdesk webhook-listen`: a receiver for people to watch webhooks arrive and check signatures.

It prints each webhook with whether its Standard Webhooks signature verifies, and answers 200
either way (a watcher, not a gate); a bad signature is printed loudly instead.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable

from aiohttp import web

from botdesk.webhooks.signing import verify

# How far a webhook-timestamp may be from now and still verify, in seconds (library default).
TIMESTAMP_TOLERANCE_S = 300


def describe(headers: dict[str, str], body: bytes, secret: str) -> str:
    """One printable block for a received webhook."""
    ok = verify(secret, headers, body, now_s=int(time.time()), tolerance_s=TIMESTAMP_TOLERANCE_S)
    try:
        shown = json.dumps(json.loads(body), ensure_ascii=False, indent=2)
    except ValueError:
        shown = body.decode("utf-8", "replace")
    lowered = {k.lower(): v for k, v in headers.items()}
    return (
        f"--- webhook {lowered.get('webhook-id', '?')} "
        f"at {lowered.get('webhook-timestamp', '?')}: "
        f"signature {'OK' if ok else 'INVALID'}\n{shown}"
    )


def make_app(secret: str, out: Callable[[str], None] = print) -> web.Application:
    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        out(describe(dict(request.headers), body, secret))
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_route("POST", "/{tail:.*}", receive)
    return app


async def start_listener(
    port: int, secret: str, host: str = "127.0.0.1", out: Callable[[str], None] = print
) -> web.AppRunner:
    """Start listening (port 0 picks a free one); the caller cleans up the runner."""
    runner = web.AppRunner(make_app(secret, out), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


def listen(port: int, secret: str, host: str = "127.0.0.1") -> None:
    """Block, printing webhooks, until interrupted (Ctrl-C)."""

    async def run() -> None:
        runner = await start_listener(port, secret, host, lambda text: print(text, flush=True))
        print(f"listening on http://{host}:{port}/ (Ctrl-C to stop)", flush=True)
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
