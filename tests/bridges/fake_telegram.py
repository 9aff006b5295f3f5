"""A small fake of the Telegram Bot API on 127.0.0.1 (getMe, getUpdates, sendMessage) that
records what bots send and can answer 429 with `retry_after`, like Telegram's flood control."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web

# Longest a getUpdates call is held open here, in seconds (keeps the tests brisk).
MAX_HOLD_SECONDS = 1.0


@dataclass(frozen=True)
class Sent:
    chat_id: int
    text: str
    at: float


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []
        self.sent: list[Sent] = []
        self.throttled: list[float] = []  # when each 429 was answered
        self.offsets: list[int] = []  # the offset of every getUpdates call
        self._next_update = 1
        self._next_message = 1
        self._limit_count = 0
        self._limit_seconds = 0
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    # --- what a test does ---
    def user_writes(self, user_id: int, first: str, last: str, text: str) -> int:
        with self._lock:
            update_id = self._next_update
            self._next_update += 1
            self.updates.append(
                {
                    "update_id": update_id,
                    "message": {
                        "message_id": update_id,
                        "date": int(time.time()),
                        "chat": {"id": user_id, "type": "private", "first_name": first},
                        "from": {
                            "id": user_id,
                            "is_bot": False,
                            "first_name": first,
                            "last_name": last,
                        },
                        "text": text,
                    },
                }
            )
        return update_id

    def rate_limit(self, count: int, retry_after: int) -> None:
        """Answer the next `count` sendMessage calls with 429 and this retry_after."""
        self._limit_count, self._limit_seconds = count, retry_after

    def texts_to(self, chat_id: int) -> list[str]:
        return [s.text for s in self.sent if s.chat_id == chat_id]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- the Bot API ---
    async def _params(self, request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        raw = dict(await request.post()) if request.can_read_body else {}
        params: dict[str, Any] = {}
        for key, value in {**request.query, **raw}.items():
            try:
                params[key] = json.loads(str(value))
            except ValueError:
                params[key] = str(value)
        return params

    async def _method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params = await self._params(request)
        if method == "getMe":
            bot = {"id": 1, "is_bot": True, "first_name": "Shop", "username": "shop_bot"}
            return self._ok(bot)
        if method == "getUpdates":
            return self._ok(await self._get_updates(params))
        if method == "sendMessage":
            return self._send_message(params)
        return web.json_response(
            {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
        )

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self.offsets.append(offset)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), MAX_HOLD_SECONDS)
        while True:
            with self._lock:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                if self.updates or time.monotonic() >= deadline:
                    return list(self.updates)
            await asyncio.sleep(0.05)

    def _send_message(self, params: dict[str, Any]) -> web.Response:
        if self._limit_count > 0:
            self._limit_count -= 1
            self.throttled.append(time.monotonic())
            seconds = self._limit_seconds
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {seconds}",
                    "parameters": {"retry_after": seconds},
                },
                status=429,
            )
        chat_id, text = int(params["chat_id"]), str(params["text"])
        self.sent.append(Sent(chat_id, text, time.monotonic()))
        message_id = self._next_message
        self._next_message += 1
        return self._ok(
            {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": {"id": 1, "is_bot": True, "first_name": "Shop"},
                "text": text,
            }
        )

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    # --- lifecycle ---
    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._method)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> FakeTelegram:
        self._thread.start()
        self._ready.wait(5)
        return self

    def __exit__(self, *_: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
