"""Live updates of a dialog for browsers (panel, web chat), across processes.

The API process that serves the browser is often not the worker process that wrote the bot's
answer, so new messages are found by polling the database with a cursor, which also makes
reconnects exact: a client resumes from the last message it saw, with no gaps or duplicates.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from botdesk.db.engine import Database
from botdesk.models import Message

# How often an open stream looks for new messages, in seconds.
POLL_SECONDS = 0.5
# Longest a stream stays open before the browser reconnects (frees server slots), in seconds.
MAX_STREAM_SECONDS = 300.0


@dataclass(frozen=True)
class Cursor:
    """Position after a message: (created ms, id) orders messages totally."""

    created: int = 0
    id: str = ""

    def encode(self) -> str:
        return f"{self.created}:{self.id}"

    @classmethod
    def decode(cls, raw: str | None) -> Cursor:
        if not raw or ":" not in raw:
            return cls()
        created, _, id = raw.partition(":")
        return cls(int(created), id) if created.isdigit() else cls()

    @classmethod
    def after(cls, message: Message) -> Cursor:
        return cls(message.created, message.id)


async def messages_after(
    db: Database, thread_id: str, cursor: Cursor, limit: int = 200
) -> list[Message]:
    query = (
        select(Message)
        .where(
            Message.thread_id == thread_id,
            or_(
                Message.created > cursor.created,
                and_(Message.created == cursor.created, Message.id > cursor.id),
            ),
        )
        .order_by(Message.created, Message.id)
        .limit(limit)
    )
    async with db.sessions() as session:
        return list((await session.execute(query)).scalars())


async def follow(
    db: Database,
    thread_id: str,
    cursor: Cursor,
    *,
    poll: float = POLL_SECONDS,
    max_seconds: float = MAX_STREAM_SECONDS,
) -> AsyncIterator[Message]:
    """Yield every message after `cursor` as it arrives, for up to `max_seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    while loop.time() < deadline:
        for message in await messages_after(db, thread_id, cursor):
            cursor = Cursor.after(message)
            yield message
        await asyncio.sleep(poll)
