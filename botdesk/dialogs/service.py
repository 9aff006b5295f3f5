"""Domain changes to dialogs, as verb functions.

Every function takes the session and keyword arguments, changes rows and records the outgoing
events through `record_event`; none of them commits: the route or the job owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.core.ids import new_id, now_ms
from botdesk.core.metrics import MESSAGES
from botdesk.core.security import new_share_key
from botdesk.db.deferred import defer
from botdesk.dialogs import plain
from botdesk.dialogs.outbox import record_event
from botdesk.models import FLAGS, FlagChange, Message, Task, Thread

# Flags whose first setting the seed reports in a `wh_<flag>` thread field.
WH_FIELDS = ("get_contact", "interest", "success")

# Listeners run inside the transaction after a message is stored (e.g. schedule the AI answer).
MessageListener = Callable[
    [AsyncSession, Thread, Task, plain.PlainMessage], Coroutine[Any, Any, None]
]
_message_listeners: list[MessageListener] = []


def on_message(listener: MessageListener) -> MessageListener:
    """Register a handler called for every new message, in the same transaction."""
    _message_listeners.append(listener)
    return listener


class DialogError(Exception):
    """A change that the dialog's state does not allow."""


@dataclass(frozen=True)
class Posted:
    thread: Thread
    message: plain.PlainMessage
    created_thread: bool


# session.info keys: threads already locked in this transaction, and which of them are new.
_THREADS = "botdesk.threads"
_CREATED = "botdesk.created_threads"


async def lock_threads_of(
    session: AsyncSession, wanted: list[tuple[Task, str, str | None]], *, as_plain: bool = False
) -> None:
    """Find or create, and lock, the threads of many (task, chat_id, title) at once.

    Missing threads are inserted with ON CONFLICT DO NOTHING against the (task_id, chat_id)
    unique constraint, so simultaneous first messages make one thread, never an error. Rows are
    locked in id order, the same order in every transaction. Found threads are remembered in
    the session so `get_or_create_thread` needs no further query. With `as_plain`, they are
    `plain.PlainThread`s and the caller must call `plain.write_threads` before committing.
    """
    known: dict[tuple[str, str], Any] = session.info.setdefault(_THREADS, {})
    created: set[tuple[str, str]] = session.info.setdefault(_CREATED, set())
    wanted_keys = {(task.id, chat_id): (task, title) for task, chat_id, title in wanted}
    keys = [key for key in wanted_keys if key not in known]
    if not keys:
        return
    await _load_locked(session, keys, known, as_plain)
    missing = [key for key in keys if key not in known]
    if missing:
        now = now_ms()
        rows = []
        # In key order: concurrent transactions creating the same threads never deadlock.
        for task_id, chat_id in sorted(missing):
            task, title = wanted_keys[(task_id, chat_id)]
            rows.append(
                {
                    "id": new_id(now),
                    "company_id": task.company_id,
                    "task_id": task_id,
                    "chat_id": chat_id,
                    "title": title or f"API chat {chat_id}",
                    "created_by": task.company_id,
                    "created": now,
                    "modified": now,
                    # Every dialog starts with a working read-only link (the seed's share_url);
                    # the panel can revoke it and make a new one.
                    "share_key": new_share_key(),
                }
            )
        # One statement for every row (executemany, cached once compiled); RETURNING names
        # the rows this transaction created, not those a concurrent one got in first.
        result = await session.execute(_insert_threads(session), rows)
        created.update((row[0], row[1]) for row in result)
        await _load_locked(session, missing, known, as_plain)


_thread_inserts: dict[str, Any] = {}


def _insert_threads(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    if dialect not in _thread_inserts:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        _thread_inserts[dialect] = (
            insert(Thread.__table__)
            .on_conflict_do_nothing(index_elements=["task_id", "chat_id"])
            .returning(Thread.__table__.c.task_id, Thread.__table__.c.chat_id)
        )
    return _thread_inserts[dialect]


async def _load_locked(
    session: AsyncSession,
    keys: list[tuple[str, str]],
    into: dict[tuple[str, str], Any],
    plain_rows: bool,
) -> None:
    if plain_rows:
        threads: list[Any] = await plain.load_locked_threads(session, keys)
    else:
        statement = (
            select(Thread)
            .where(tuple_(Thread.task_id, Thread.chat_id).in_(keys))
            .order_by(Thread.id)
        )
        threads = list((await session.execute(_locking(statement))).scalars())
    for thread in threads:
        into[(thread.task_id, thread.chat_id)] = thread


async def get_or_create_thread(
    session: AsyncSession, *, task: Task, chat_id: str, title: str | None = None
) -> tuple[Thread, bool]:
    """The locked thread of (task, chat_id), created if needed; and whether it was created."""
    await lock_threads_of(session, [(task, chat_id, title)])
    key = (task.id, chat_id)
    return session.info[_THREADS][key], key in session.info[_CREATED]


def _locking(statement: Any) -> Any:
    """Row lock (PostgreSQL) so counters and the event sequence are never updated twice from
    one stale read; SQLite needs none, its writers are already serialized by BEGIN IMMEDIATE."""
    return statement.with_for_update().execution_options(populate_existing=True)


async def lock_thread(session: AsyncSession, thread_id: str) -> Thread | None:
    """Load a thread for changing it; every writer of a thread goes through here."""
    statement = select(Thread).where(Thread.id == thread_id)
    return (await session.execute(_locking(statement))).scalar_one_or_none()


_INSERT_MESSAGE = insert(Message.__table__)


async def _add_message(
    session: AsyncSession, *, thread: Thread, task: Task, type: str, text: str, author: str
) -> plain.PlainMessage:
    now = now_ms()
    row = {
        "id": new_id(now),
        "company_id": thread.company_id,
        "thread_id": thread.id,
        "type": type,
        "text": text,
        "author": author,
        "created": now,
    }
    # Inserted with the transaction's other messages in one batch just before it commits; the
    # plain object carries the same values for the listeners and the caller.
    defer(session, _INSERT_MESSAGE, row)
    MESSAGES.labels(type).inc()
    message = plain.PlainMessage(**row)
    thread.count_message = (thread.count_message or 0) + 1
    thread.last_message = now
    thread.last_message_text = text[:500]
    thread.modified = now
    if type == "bot":
        thread.last_bot_message = now
    await record_event(session, thread=thread, task=task, wh_type="all_messages", message=message)
    for listener in _message_listeners:
        await listener(session, thread, task, message)
    return message


async def post_user_message(
    session: AsyncSession, *, task: Task, chat_id: str, text: str, title: str | None = None
) -> Posted:
    """Store a message from the end user; the listeners schedule the AI's answer."""
    thread, created = await get_or_create_thread(session, task=task, chat_id=chat_id, title=title)
    if title and thread.title != title:
        thread.title = title
    if task.mode == "outbound" and not thread.user_replied and thread.last_bot_message:
        await set_flag(session, thread=thread, task=task, flag="user_replied", source="user")
    message = await _add_message(
        session, thread=thread, task=task, type="user", text=text, author=chat_id
    )
    return Posted(thread=thread, message=message, created_thread=created)


async def post_bot_message(
    session: AsyncSession, *, thread: Thread, task: Task, text: str, author: str = "ai"
) -> plain.PlainMessage:
    return await _add_message(
        session, thread=thread, task=task, type="bot", text=text, author=author
    )


async def post_operator_message(
    session: AsyncSession, *, thread: Thread, task: Task, text: str, author: str
) -> plain.PlainMessage:
    """A person writes in the dialog: it reaches the end user and the AI's context."""
    return await _add_message(
        session, thread=thread, task=task, type="operator", text=text, author=author
    )


async def set_flag(
    session: AsyncSession,
    *,
    thread: Thread,
    task: Task,
    flag: str,
    source: str,
    value: bool = True,
    contact: str | None = None,
) -> bool:
    """Set or clear a flag; setting it emits that flag's webhook. Returns whether it changed."""
    if flag not in FLAGS:
        raise DialogError(f"unknown flag {flag!r}")
    if contact:
        thread.contact = contact[:500]
    if bool(getattr(thread, flag)) == value:
        return False
    now = now_ms()
    setattr(thread, flag, value)
    setattr(thread, f"date_{flag}", now if value else None)
    thread.modified = now
    session.add(FlagChange(thread_id=thread.id, flag=flag, value=value, source=source))
    if value:
        if flag in WH_FIELDS:
            setattr(thread, f"wh_{flag}", True)
        if flag != "user_replied":
            await record_event(session, thread=thread, task=task, wh_type=flag)
    return True


async def hand_to_operator(
    session: AsyncSession, *, thread: Thread, task: Task, source: str
) -> bool:
    """Silence the AI until a person gives the dialog back to the bot."""
    return await set_flag(session, thread=thread, task=task, flag="operator", source=source)


async def return_to_bot(session: AsyncSession, *, thread: Thread, task: Task, source: str) -> bool:
    return await set_flag(
        session, thread=thread, task=task, flag="operator", source=source, value=False
    )
