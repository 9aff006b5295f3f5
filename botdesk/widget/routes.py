"""HTTP side of the web chat: the embed loader, the chat page, and the visitor's two endpoints
(post a message; follow the dialog live over server-sent events, resumable by Last-Event-ID).

None of these routes is in the OpenAPI schema: they serve browsers, not API clients.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sse_starlette import EventSourceResponse, ServerSentEvent

from botdesk.api.errors import ApiError, error_body
from botdesk.api.text import refuse_bad_text
from botdesk.db.engine import Database
from botdesk.dialogs.live import Cursor
from botdesk.models import Message
from botdesk.widget import service
from botdesk.widget.limits import WidgetLimits

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
router = APIRouter(include_in_schema=False)
# Seconds between keep-alive comments on an idle stream (proxies drop silent connections).
PING_SECONDS = 15
# Milliseconds the browser waits before reconnecting a dropped stream.
RECONNECT_MS = 1000
# An origin allowed to frame the chat (channel setting `allowed_origins`); nothing else gets
# into the CSP header.
ORIGIN = re.compile(r"https?://(\*\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?")
_STATIC = {name: (HERE / "static" / name).read_bytes() for name in ("chat.js", "chat.css")}
_LOADER = (HERE / "static" / "widget.js").read_bytes()


class VisitorMessage(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    _clean_text = model_validator(mode="before")(refuse_bad_text)

    channel: str = Field(min_length=1, max_length=40)
    visitor: str = Field(pattern=service.VISITOR_KEY.pattern)
    text: str = Field(min_length=1, max_length=service.MAX_TEXT_CHARS)


def setup_app(app: FastAPI) -> None:
    app.state.widget_limits = WidgetLimits()


def _limits(request: Request) -> WidgetLimits:
    return request.app.state.widget_limits


def _db(request: Request) -> Database:
    return request.app.state.db


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _too_many(what: str, wait: float) -> JSONResponse:
    seconds = max(1, math.ceil(wait)) if math.isfinite(wait) else 60
    return JSONResponse(
        error_body(f"{what}: too many messages, try again in {seconds} s"),
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


def present(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "type": message.type,
        "text": message.text,
        "created": message.created,
        "cursor": Cursor.after(message).encode(),
    }


def _frame_headers(settings: dict[str, Any]) -> dict[str, str]:
    """Strict CSP; the page may be framed anywhere unless the channel lists allowed origins."""
    origins = settings.get("allowed_origins") or []
    valid = [o for o in origins if isinstance(o, str) and ORIGIN.fullmatch(o)]
    ancestors = " ".join(valid) or "*"
    return {
        "Content-Security-Policy": (
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
            f"form-action 'self'; frame-ancestors {ancestors}"
        ),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }


@router.get("/widget.js")
async def loader() -> Response:
    """The embed script: `<script src=".../widget.js" data-channel="<id>" async>`."""
    return Response(
        _LOADER,
        media_type="application/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )


@router.get("/widget/static/{name}")
async def static(name: str) -> Response:
    if name not in _STATIC:
        raise ApiError(404, f"{name}: not found")
    kind = "application/javascript" if name.endswith(".js") else "text/css"
    return Response(
        _STATIC[name],
        media_type=f"{kind}; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/frame")
async def frame(request: Request, channel: str = Query("", max_length=40)) -> Response:
    """The chat page a site shows in an iframe."""
    async with _db(request).sessions() as session:
        chat = await service.open_chat(session, channel) if channel else None
    context: dict[str, Any] = {"chat": chat, "channel_id": channel}
    if chat is None or chat.task is None:
        return templates.TemplateResponse(
            request, "unavailable.html", context, status_code=404, headers=_frame_headers({})
        )
    context["greeting"] = chat.task.greeting
    return templates.TemplateResponse(
        request, "frame.html", context, headers=_frame_headers(chat.channel.settings or {})
    )


@router.post("/widget/messages", status_code=201)
async def post_message(body: VisitorMessage, request: Request) -> Any:
    """A visitor writes: rate-limited per address and per chat, then the API's pipeline."""
    text = body.text.strip()
    if not text:
        raise ApiError(400, "text: must not be blank")
    limits = _limits(request)
    wait = limits.per_ip.take(_client_ip(request))
    if wait:
        return _too_many("ip", wait)
    chat_id = service.chat_id_for(body.channel, body.visitor)
    wait = limits.per_chat.take(f"{body.channel}:{chat_id}")
    if wait:
        return _too_many("chat", wait)
    message = await service.post_visitor_message(
        _db(request), channel_id=body.channel, chat_id=chat_id, text=text
    )
    if message is None:
        raise ApiError(404, "channel: no web chat is running on this channel")
    return JSONResponse(present(message), status_code=201)


@router.get("/widget/stream")
async def stream(
    request: Request,
    channel: str = Query(..., min_length=1, max_length=40),
    visitor: str = Query(..., pattern=service.VISITOR_KEY.pattern),
    after: str | None = Query(None, max_length=100),
) -> Response:
    """The dialog, live: every message after the cursor in `Last-Event-ID` (set by the
    browser on reconnect) or `after`, then new ones as they are written, by any process."""
    async with _db(request).sessions() as session:
        chat = await service.open_chat(session, channel)
    if chat is None or chat.task is None:
        raise ApiError(404, "channel: no web chat is running on this channel")
    limits, ip = _limits(request), _client_ip(request)
    if limits.streams.full(ip):
        return _too_many("ip", RECONNECT_MS / 1000 * 5)
    cursor = Cursor.decode(request.headers.get("last-event-id") or after)
    task_id, chat_id = chat.task.id, service.chat_id_for(channel, visitor)

    async def events() -> AsyncIterator[ServerSentEvent]:
        limits.streams.acquire(ip)
        try:
            yield ServerSentEvent(event="ready", data="{}", retry=RECONNECT_MS)
            async for message in service.follow_chat(
                _db(request),
                task_id=task_id,
                chat_id=chat_id,
                cursor=cursor,
                poll=limits.poll_seconds,
                max_seconds=limits.stream_seconds,
            ):
                data = json.dumps(present(message), ensure_ascii=False)
                yield ServerSentEvent(id=Cursor.after(message).encode(), event="message", data=data)
        finally:
            limits.streams.release(ip)

    return EventSourceResponse(
        events(),
        ping=PING_SECONDS,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
