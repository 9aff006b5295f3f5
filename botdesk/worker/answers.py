"""AI answers: a user message schedules one (debounced) answer per thread; the runner claims
due answers under a lease, asks the provider, and records the result in one transaction that
first checks no newer user message arrived meanwhile (else the answer is regenerated).

Stages are verbs with typed results: claim → prepare → generate → record (or fail).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.ai.dialog import apply_answer, enforce_spend_limit, load_history, silence_reason
from botdesk.ai.providers import AnswerContext, AnswerResult, Provider, Turn, get_provider
from botdesk.ai.settings import AISettings
from botdesk.ai.vectors import database_vector_store
from botdesk.core.config import Settings
from botdesk.core.ids import now_ms
from botdesk.db.engine import Database
from botdesk.dialogs.service import hand_to_operator, on_message
from botdesk.models import AI, AnswerJob, Message, Task, Thread
from botdesk.worker.reminders import schedule_followups

log = logging.getLogger("botdesk.answers")

# A claimed answer belongs to its worker this long (longer than an LLM call with retries), s.
LEASE_SECONDS = 180.0
# Answers claimed per round; they run concurrently (the embedded AI takes ~5 ms each).
BATCH = 32


async def schedule_answer(
    session: AsyncSession, thread: Thread, task: Task, message: Message
) -> None:
    """Listener: a user message (re)schedules the thread's answer, debounced up to a deadline."""
    if message.type != "user" or thread.operator or thread.close:
        return
    ai = await session.get(AI, task.ai_id)
    settings = AISettings.of(ai)
    now = now_ms()
    due = now + int(settings.debounce_seconds * 1000)
    deadline = now + int(settings.max_wait_seconds * 1000)
    postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
    insert = (postgresql.insert if postgres else sqlite.insert)(AnswerJob)
    smaller = func.least if postgres else func.min
    statement = insert.values(
        thread_id=thread.id, company_id=thread.company_id, due=due, deadline=deadline, version=1
    ).on_conflict_do_update(
        index_elements=["thread_id"],
        set_={
            "due": smaller(insert.excluded.due, AnswerJob.deadline),
            "version": AnswerJob.version + 1,
        },
    )
    await session.execute(statement)


on_message(schedule_answer)


@dataclass(frozen=True)
class Claimed:
    thread_id: str
    version: int
    attempts: int


@dataclass(frozen=True)
class Answered:
    message_id: str | None


@dataclass(frozen=True)
class Skipped:
    reason: str


@dataclass(frozen=True)
class Stale:
    """A newer user message arrived while generating: the job runs again when due."""


@dataclass(frozen=True)
class Failed:
    error: str
    retry_at: int | None  # None: handed to an operator


Outcome = Answered | Skipped | Stale | Failed


class AnswerRunner:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        providers: Callable[[AI], Provider] = get_provider,
        worker_id: str | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.providers = providers
        self.worker_id = worker_id or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.load_vectors, self.save_vectors = database_vector_store(db)

    async def run_forever(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            if await self.run_once() == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.settings.worker_poll_seconds)

    async def run_once(self) -> int:
        """Claim and process the due answers; returns how many were claimed."""
        claimed = await self.claim()
        await asyncio.gather(*(self.process(job) for job in claimed))
        return len(claimed)

    async def claim(self) -> list[Claimed]:
        now = now_ms()
        async with self.db.transaction() as session:
            query = (
                select(AnswerJob)
                .where(
                    AnswerJob.due <= now,
                    or_(AnswerJob.lease_until.is_(None), AnswerJob.lease_until < now),
                )
                .order_by(AnswerJob.due)
                .limit(BATCH)
            )
            if not self.settings.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            jobs = list(await session.scalars(query))
            for job in jobs:
                job.lease_until = now + int(LEASE_SECONDS * 1000)
                job.leased_by = self.worker_id
            return [Claimed(j.thread_id, j.version, j.attempts) for j in jobs]

    async def process(self, job: Claimed) -> Outcome:
        try:
            prepared = await self.prepare(job)
            if isinstance(prepared, Skipped):
                await self.finish(job, prepared)
                return prepared
            ai, history, context = prepared
            result = await self.providers(ai).answer(ai, history, context)
            return await self.record(job, result)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded on the job
            log.warning("answer for thread %s failed: %r", job.thread_id, exc)
            return await self.fail(job, repr(exc)[:2000])

    async def prepare(self, job: Claimed) -> tuple[AI, list[Turn], AnswerContext] | Skipped:
        async with self.db.transaction() as session:
            thread = await session.get(Thread, job.thread_id)
            if thread is None:
                return Skipped("thread gone")
            task = await session.get(Task, thread.task_id)
            ai = await session.get(AI, task.ai_id) if task else None
            if task is None or ai is None:
                return Skipped("task or AI gone")
            reason = await silence_reason(session, thread=thread, task=task)
            if reason is None and await enforce_spend_limit(session, thread=thread, task=task):
                reason = "spending limit"
            if reason:
                return Skipped(reason)
            history = await load_history(
                session, thread=thread, limit=AISettings.of(ai).history_messages
            )
        context = AnswerContext(
            chat_id=thread.chat_id,
            contact=thread.contact,
            load_vectors=self.load_vectors,
            save_vectors=self.save_vectors,
        )
        return ai, history, context

    async def _own_job(self, session: AsyncSession, job: Claimed) -> AnswerJob | None:
        query = select(AnswerJob).where(AnswerJob.thread_id == job.thread_id)
        if not self.settings.is_sqlite:
            query = query.with_for_update()
        row = await session.scalar(query)
        return row if row is not None and row.leased_by == self.worker_id else None

    async def record(self, job: Claimed, result: AnswerResult) -> Outcome:
        async with self.db.transaction() as session:
            row = await self._own_job(session, job)
            if row is None:
                return Skipped("lease lost")
            if row.version != job.version:
                row.lease_until = None
                row.leased_by = None
                return Stale()
            thread = await session.get(Thread, job.thread_id, populate_existing=True)
            task = await session.get(Task, thread.task_id) if thread else None
            ai = await session.get(AI, task.ai_id) if task else None
            await session.delete(row)
            if thread is None or task is None or ai is None:
                return Skipped("thread gone")
            reason = await silence_reason(session, thread=thread, task=task)
            if reason:
                return Skipped(reason)
            message = await apply_answer(session, thread=thread, task=task, ai=ai, result=result)
            await schedule_followups(session, thread=thread, ai=ai)
            return Answered(message.id if message else None)

    async def finish(self, job: Claimed, outcome: Skipped) -> None:
        """A skipped answer is dropped (the next user message schedules a new one)."""
        async with self.db.transaction() as session:
            row = await self._own_job(session, job)
            if row is not None and row.version == job.version:
                await session.delete(row)
            elif row is not None:
                row.lease_until = None
                row.leased_by = None

    async def fail(self, job: Claimed, error: str) -> Failed:
        """Keep the job with a backoff; after `max_failures` hand the dialog to a person."""
        async with self.db.transaction() as session:
            row = await self._own_job(session, job)
            if row is None:
                return Failed(error, None)
            thread = await session.get(Thread, job.thread_id)
            task = await session.get(Task, thread.task_id) if thread else None
            ai = await session.get(AI, task.ai_id) if task else None
            settings = AISettings.of(ai)
            row.attempts += 1
            row.last_error = error
            row.lease_until = None
            row.leased_by = None
            if row.attempts >= settings.max_failures and thread is not None and task is not None:
                await session.delete(row)
                await hand_to_operator(session, thread=thread, task=task, source="ai_failure")
                return Failed(error, None)
            delays = settings.retry_seconds or (5.0,)
            delay = delays[min(row.attempts - 1, len(delays) - 1)]
            row.due = now_ms() + int(delay * 1000)
            return Failed(error, row.due)
