"""Scheduling the AI's answer: a listener that runs in the transaction of every new message.

A user message (re)schedules its thread's answer job, debounced up to a deadline; the worker's
AnswerRunner picks due jobs up. It lives apart from the runner because every process that
writes messages (API processes included) must register it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.ai.settings import AISettings
from botdesk.core import wakeup
from botdesk.core.ids import now_ms
from botdesk.db.deferred import defer
from botdesk.dialogs.plain import PlainMessage
from botdesk.dialogs.service import on_message
from botdesk.models import AI, AnswerJob, Task, Thread

# Wake-up topic: an answer due at once (no debounce) was scheduled in this process.
WAKE_TOPIC = "answers"


async def schedule_answer(
    session: AsyncSession, thread: Thread, task: Task, message: PlainMessage
) -> None:
    """Listener: a user message (re)schedules the thread's answer, debounced up to a deadline."""
    if message.type != "user" or thread.operator or thread.close:
        return
    settings = await _ai_settings(session, task)
    now = now_ms()
    due = now + int(settings.debounce_seconds * 1000)
    deadline = now + int(settings.max_wait_seconds * 1000)
    postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
    values = {"thread_id": thread.id, "company_id": thread.company_id, "due": due}
    # Run with the other messages of this transaction, in one batch just before it commits.
    # Once per thread and transaction (the last message's due time wins).
    row = {**values, "deadline": deadline, "version": 1, "attempts": 0}
    defer(session, _upsert(postgres), {**row, "last_error": "", "created": now}, key=thread.id)
    if due <= now:  # no debounce: a runner in this process may start at once
        wakeup.after_commit(session, WAKE_TOPIC)


on_message(schedule_answer)


async def _ai_settings(session: AsyncSession, task: Task) -> AISettings:
    """The task's AI's settings, parsed once per transaction (a group commit has many
    messages). Tasks loaded by the group commit carry their AI (`dialogs.plain.PlainTask`)."""
    cache: dict[str, AISettings] = session.info.setdefault("botdesk.ai_settings", {})
    if task.ai_id not in cache:
        ai = getattr(task, "loaded_ai", None) or await session.get(AI, task.ai_id)
        cache[task.ai_id] = AISettings.of(ai)
    return cache[task.ai_id]


_upserts: dict[bool, Any] = {}


def _upsert(postgres: bool) -> Any:
    """The answer job's upsert: a new job, or the due time pushed back (up to its deadline)
    and the version bumped. Built once per dialect: building it costs more than running it."""
    if postgres not in _upserts:
        # On the table, not the mapped class: the ORM's bulk-insert path costs more than the SQL.
        insert = (postgresql.insert if postgres else sqlite.insert)(AnswerJob.__table__)
        smaller = func.least if postgres else func.min
        # Every column is given in the row (none left to Python defaults), so the batch runs
        # as plain SQL.
        _upserts[postgres] = insert.on_conflict_do_update(
            index_elements=["thread_id"],
            set_={
                "due": smaller(insert.excluded.due, AnswerJob.__table__.c.deadline),
                "version": AnswerJob.__table__.c.version + 1,
            },
        )
    return _upserts[postgres]
