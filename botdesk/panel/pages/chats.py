"""Chats: the dialog list, one dialog with live updates, the operator's reply and menu, and the
read-only share page."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from botdesk.api.deps import SessionDep
from botdesk.db.engine import Database
from botdesk.dialogs import live, queries
from botdesk.dialogs import service as dialogs
from botdesk.models import FLAGS, Message, Task, Thread
from botdesk.panel import sharing
from botdesk.panel.deps import CtxDep, FormDep, env, load_ctx, not_found, redirect, render
from botdesk.panel.security import PAGE_HEADERS
from botdesk.setup.service import list_owned
from botdesk.webhooks.payload import panel_url, share_url

router = APIRouter(include_in_schema=False)

# Dialogs per page of the chat list.
PAGE_SIZE = 50
# Longest one live stream stays open; the browser then reconnects from its last message, in s.
STREAM_SECONDS = live.MAX_STREAM_SECONDS
# A comment line this often keeps proxies from closing a quiet stream, in seconds.
KEEPALIVE_SECONDS = 15.0
# Quiet time after new messages before the dialog's state (flags) is sent, in seconds.
STATE_DELAY_SECONDS = 0.05
# What the operator's menu can do to a dialog.
Action = Literal["operator", "bot", "close", "reopen", "share", "unshare"]
MAX_REPLY_CHARS = 64 * 1024


async def _tasks(ctx: CtxDep) -> list[Task]:
    rows, _ = await list_owned(ctx.db, Task, ctx.company_id, page=1, page_size=500)
    return rows


@router.get("/panel/chats")
async def chat_list(
    ctx: CtxDep,
    task: str = Query("", max_length=40),
    flag: str = Query("", max_length=20),
    sort: Literal["date", "count"] = "date",
    page: int = Query(1, ge=1, le=100000),
) -> Response:
    flag = flag if flag in FLAGS else ""
    threads, total = await queries.list_threads(
        ctx.db,
        company_id=ctx.company_id,
        task_id=task or None,
        flag=flag or None,
        sort="-count" if sort == "count" else "-date",
        page=page,
        page_size=PAGE_SIZE,
    )
    tasks = await _tasks(ctx)
    return ctx.render(
        "chats.html",
        section="chats",
        threads=threads,
        total=total,
        tasks=tasks,
        task_names={t.id: t.name for t in tasks},
        filters={"task": task, "flag": flag, "sort": sort},
        page=page,
        pages=max(1, -(-total // PAGE_SIZE)),
    )


async def _owned(ctx: CtxDep, thread_id: str, lock: bool = False) -> tuple[Thread, Task]:
    found = await queries.thread_with_task(
        ctx.db, company_id=ctx.company_id, thread_id=thread_id, for_update=lock
    )
    if found is None:
        raise not_found("dialog")
    return found


@router.get("/panel/chats/{thread_id}")
async def dialog(thread_id: str, ctx: CtxDep) -> Response:
    thread, task = await _owned(ctx, thread_id)
    messages = await queries.messages_of(ctx.db, thread_id=thread.id, limit=5000)
    cursor = live.Cursor.after(messages[-1]) if messages else live.Cursor()
    base = ctx.settings.base_url
    return ctx.render(
        "dialog.html",
        section="chats",
        thread=thread,
        task=task,
        messages=messages,
        cursor=cursor.encode(),
        panel_link=panel_url(base, thread.id),
        share_link=share_url(base, thread) if thread.share_key else "",
    )


def _data(html: str) -> str:
    return "".join(f"data: {line}\n" for line in html.strip().splitlines())


def _event(message: Message) -> str:
    html = env.get_template("_message.html").render(message=message)
    return f"id: {live.Cursor.after(message).encode()}\nevent: message\n{_data(html)}\n"


async def _state_event(db: Database, thread_id: str) -> str:
    """The dialog's flags and who answers, re-read after new messages (the AI may have
    handed over or closed it along with its answer)."""
    async with db.sessions() as session:
        thread = await session.get(Thread, thread_id)
    if thread is None:
        return ""
    return f"event: state\n{_data(env.get_template('_state.html').render(thread=thread))}\n"


async def _stream(
    request: Request, db: Database, thread_id: str, cursor: live.Cursor
) -> AsyncIterator[str]:
    """Server-sent events: each new message as rendered HTML, keep-alives while quiet."""
    yield "retry: 2000\n\n"
    messages = live.follow(db, thread_id, cursor, max_seconds=STREAM_SECONDS)
    pending: asyncio.Future[Message] | None = None
    state_due = False  # send the dialog's state once a burst of messages is through
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(messages))
            wait = STATE_DELAY_SECONDS if state_due else KEEPALIVE_SECONDS
            done, _ = await asyncio.wait({pending}, timeout=wait)
            if not done:
                if state_due:
                    state_due = False
                    yield await _state_event(db, thread_id)
                    continue
                if await request.is_disconnected():
                    return
                yield ": keep-alive\n\n"
                continue
            try:
                message = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            state_due = True
            yield _event(message)
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            with contextlib.suppress(BaseException):
                await pending
        await messages.aclose()


@router.get("/panel/chats/{thread_id}/events")
async def events(
    thread_id: str, request: Request, after: str = Query("", max_length=100)
) -> Response:
    """Live messages of a dialog; resumes after `Last-Event-ID` on reconnect (no gaps)."""
    db: Database = request.app.state.db
    # A short session for the access check: the stream must not hold a connection (or,
    # on SQLite, the write lock) while it waits.
    async with db.sessions() as session:
        ctx = await load_ctx(request, session)
        thread = await queries.get_thread(session, company_id=ctx.company_id, thread_id=thread_id)
    if thread is None:
        raise not_found("dialog")
    cursor = live.Cursor.decode(request.headers.get("last-event-id") or after)
    return StreamingResponse(
        _stream(request, db, thread.id, cursor),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _back(request: Request, thread_id: str) -> Response:
    """htmx requests stay on the page (the message arrives over the live stream)."""
    if request.headers.get("hx-request"):
        return Response(status_code=204)
    return redirect(f"/panel/chats/{thread_id}")


@router.post("/panel/chats/{thread_id}/messages")
async def reply(thread_id: str, ctx: CtxDep, form: FormDep) -> Response:
    """The operator writes: it goes to the end user (operator webhook) and the AI's context."""
    text = str(form.get("text", "")).strip()
    thread, task = await _owned(ctx, thread_id, lock=True)
    if text:
        await dialogs.post_operator_message(
            ctx.db, thread=thread, task=task, text=text[:MAX_REPLY_CHARS], author=ctx.user.id
        )
        await ctx.db.commit()
    return _back(ctx.request, thread.id)


@router.post("/panel/chats/{thread_id}/actions")
async def act(thread_id: str, ctx: CtxDep, form: FormDep) -> Response:
    """Hand to a person or back to the bot, close or reopen, create or revoke the share link."""
    action = str(form.get("action", ""))
    thread, task = await _owned(ctx, thread_id, lock=True)
    source = f"panel:{ctx.user.id}"
    if action == "operator":
        await dialogs.hand_to_operator(ctx.db, thread=thread, task=task, source=source)
    elif action == "bot":
        await dialogs.return_to_bot(ctx.db, thread=thread, task=task, source=source)
    elif action in ("close", "reopen"):
        await dialogs.set_flag(
            ctx.db, thread=thread, task=task, flag="close", value=action == "close", source=source
        )
    elif action == "share":
        sharing.create_share_link(thread)
    elif action == "unshare":
        sharing.revoke_share_link(thread)
    else:
        return redirect(f"/panel/chats/{thread.id}")
    await ctx.db.commit()
    return redirect(f"/panel/chats/{thread.id}")


@router.get("/share")
async def shared(
    request: Request,
    db: SessionDep,
    thread: str = Query("", max_length=40),
    key: str = Query("", max_length=100),
) -> Response:
    """The dialog read-only for whoever holds a live share link; no login."""
    found = await sharing.shared_thread(db, thread_id=thread, key=key)
    if found is None:
        return render(
            request,
            "error.html",
            404,
            ctx=None,
            message="This share link is invalid or has been revoked.",
            headers={"Referrer-Policy": "no-referrer"},
        )
    messages = await queries.messages_of(db, thread_id=found.id, limit=5000)
    headers = {**PAGE_HEADERS, "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex"}
    return render(request, "share.html", ctx=None, thread=found, messages=messages, headers=headers)
