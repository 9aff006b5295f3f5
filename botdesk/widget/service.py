"""What the web chat needs from the domain: the channel's running task, the visitor's dialog,
posting through the one message pipeline, and the live message stream.

A visitor is known only by a random key kept in their browser. The dialog's chat_id is a hash
of it, so the chat_id that operators and webhooks see cannot be used to read the conversation.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.db.engine import Database
from botdesk.dialogs import live
from botdesk.dialogs.live import Cursor
from botdesk.dialogs.service import post_user_message
from botdesk.models import Channel, Manager, Message, Task, Thread

# Channel types whose dialogs may come from this web chat.
WEB_CHANNEL_TYPES = ("widget", "page_messenger")
# A visitor key: 22+ random URL-safe characters (128+ bits), made by the browser.
VISITOR_KEY = re.compile(r"^[A-Za-z0-9_-]{22,64}$")
# Longest message a visitor may type, in characters.
MAX_TEXT_CHARS = 4000


@dataclass(frozen=True)
class WebChat:
    """A channel open for web chat and the task its dialogs belong to (None: unavailable)."""

    channel: Channel
    task: Task | None
    bot_name: str


def chat_id_for(channel_id: str, visitor: str) -> str:
    digest = hashlib.sha256(f"{channel_id}:{visitor}".encode()).hexdigest()
    return f"web_{digest[:24]}"


def default_title(chat_id: str) -> str:
    return f"Web visitor {chat_id[-6:]}"


async def open_chat(session: AsyncSession, channel_id: str) -> WebChat | None:
    """The web chat of a channel, or None when no such channel takes web chat."""
    channel = await session.get(Channel, channel_id)
    if channel is None or channel.type not in WEB_CHANNEL_TYPES:
        return None
    task = (
        await session.execute(
            select(Task)
            .where(Task.channel_id == channel.id, Task.status == "running")
            .order_by(Task.created.desc(), Task.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    bot_name = channel.name
    if task is not None and task.manager_id:
        manager = await session.get(Manager, task.manager_id)
        bot_name = manager.name if manager else bot_name
    return WebChat(channel=channel, task=task, bot_name=bot_name)


async def post_visitor_message(
    db: Database, *, channel_id: str, chat_id: str, text: str
) -> Message | None:
    """Store a visitor's message through the API's pipeline (AI answer, flags, webhooks)."""
    async with db.transaction() as session:
        chat = await open_chat(session, channel_id)
        if chat is None or chat.task is None:
            return None
        posted = await post_user_message(
            session, task=chat.task, chat_id=chat_id, text=text, title=default_title(chat_id)
        )
        return posted.message


async def _thread_id(db: Database, task_id: str, chat_id: str) -> str | None:
    async with db.sessions() as session:
        query = select(Thread.id).where(Thread.task_id == task_id, Thread.chat_id == chat_id)
        return (await session.execute(query)).scalar_one_or_none()


async def follow_chat(
    db: Database,
    *,
    task_id: str,
    chat_id: str,
    cursor: Cursor,
    poll: float = live.POLL_SECONDS,
    max_seconds: float = live.MAX_STREAM_SECONDS,
) -> AsyncIterator[Message]:
    """Every message of the visitor's dialog after `cursor`, waiting for it to exist first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    thread_id = await _thread_id(db, task_id, chat_id)
    while thread_id is None:
        if loop.time() >= deadline:
            return
        await asyncio.sleep(poll)
        thread_id = await _thread_id(db, task_id, chat_id)
    remaining = max(0.0, deadline - loop.time())
    async for message in live.follow(db, thread_id, cursor, poll=poll, max_seconds=remaining):
        yield message
