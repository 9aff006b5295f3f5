"""AI answers: a user message schedules one (debounced) answer per thread; the runner claims
due answers under a lease, asks the provider, and records the result in one transaction that
first checks no newer user message arrived meanwhile (else the answer is regenerated).

Stages are verbs with typed results: claim → prepare → generate → record (or fail). A round
works on a batch: one transaction prepares all its answers and one records them, so the
database sees three transactions per batch, not two per answer; a batch that cannot be
recorded together is recorded one answer at a time, so one bad answer never fails another.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.ai.dialog import (
    apply_answer,
    company_lists,
    enforce_spend_limit,
    load_histories,
    silence_reason,
)
from botdesk.ai.providers import AnswerContext, AnswerResult, Turn
from botdesk.ai.scheduling import WAKE_TOPIC
from botdesk.ai.settings import AISettings
from botdesk.ai.vectors import database_vector_store
from botdesk.core.ids import now_ms
from botdesk.core.metrics import ANSWERS
from botdesk.dialogs.service import hand_to_operator
from botdesk.models import AI, AnswerJob, ChatList, Task, Thread
from botdesk.worker.base import PollingRunner, due_unleased
from botdesk.worker.reminders import schedule_followups_many

log = logging.getLogger("botdesk.answers")

# A claimed answer belongs to its worker this long (longer than an LLM call with retries), s.
LEASE_SECONDS = 180.0
# Answers claimed per round; they run concurrently (the embedded AI encodes them as one batch).
BATCH = 32


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


@dataclass(frozen=True)
class Prepared:
    """What generating one answer needs, read in the batch's prepare transaction."""

    job: Claimed
    ai: AI
    history: list[Turn]
    context: AnswerContext


class AnswerRunner(PollingRunner):
    wake_topic = WAKE_TOPIC  # answers due at once, committed in this process

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.load_vectors, self.save_vectors = database_vector_store(self.db)

    async def run_once(self) -> int:
        """Claim and process the due answers; returns how many were claimed."""
        try:
            async with self.db.transaction() as session:  # claim and prepare: one transaction
                claimed = await self._claim_in(session)
                prepared = await self._prepare_in(session, claimed)
        except Exception:  # noqa: BLE001 - apart, a job that cannot be prepared fails alone
            log.exception("claiming and preparing answers together failed; apart")
            claimed = await self.claim()
            prepared = await self.prepare_batch(claimed)
        if claimed:
            await self._generate_and_record(claimed, prepared)
        return len(claimed)

    async def claim(self) -> list[Claimed]:
        async with self.db.transaction() as session:
            return await self._claim_in(session)

    async def _claim_in(self, session: AsyncSession) -> list[Claimed]:
        now = now_ms()
        query = due_unleased(AnswerJob, now, limit=BATCH, postgres=not self.settings.is_sqlite)
        jobs = list(await session.scalars(query))
        for job in jobs:
            job.lease_until = now + int(LEASE_SECONDS * 1000)
            job.leased_by = self.worker_id
        return [Claimed(j.thread_id, j.version, j.attempts) for j in jobs]

    async def process(self, job: Claimed) -> Outcome:
        """One claimed answer through every stage."""
        return (await self.process_batch([job]))[0]

    async def process_batch(self, jobs: list[Claimed]) -> list[Outcome]:
        """Claimed answers through every stage; one outcome per job, in order."""
        return await self._generate_and_record(jobs, await self.prepare_batch(jobs))

    async def _generate_and_record(
        self, jobs: list[Claimed], prepared_jobs: list[Prepared | Outcome]
    ) -> list[Outcome]:
        outcomes: dict[str, Outcome] = {}
        ready: list[Prepared] = []
        for job, prepared in zip(jobs, prepared_jobs, strict=True):
            if isinstance(prepared, Prepared):
                ready.append(prepared)
            else:
                outcomes[job.thread_id] = prepared
        results = await asyncio.gather(*(self.generate(p) for p in ready), return_exceptions=True)
        generated: list[tuple[Claimed, AnswerResult]] = []
        for prepared, result in zip(ready, results, strict=True):
            if isinstance(result, AnswerResult):
                generated.append((prepared.job, result))
            elif isinstance(result, Exception):
                outcomes[prepared.job.thread_id] = await self._failed(prepared.job, result)
            else:
                raise result  # cancellation and the like are not failures of the answer
        outcomes.update(await self.record_batch(generated))
        for outcome in outcomes.values():
            ANSWERS.labels(type(outcome).__name__.lower()).inc()
        return [outcomes[job.thread_id] for job in jobs]

    async def generate(self, prepared: Prepared) -> AnswerResult:
        return await self.providers(prepared.ai).answer(
            prepared.ai, prepared.history, prepared.context
        )

    # --- prepare ------------------------------------------------------------------------

    async def prepare_batch(self, jobs: list[Claimed]) -> list[Prepared | Outcome]:
        """Read what every answer needs in one transaction; silenced ones are dropped."""
        try:
            async with self.db.transaction() as session:
                return await self._prepare_in(session, jobs)
        except Exception:  # noqa: BLE001 - retried one job at a time below
            if len(jobs) == 1:
                return [await self._failed(jobs[0], _current_exception())]
            log.exception("preparing %d answers together failed; one at a time", len(jobs))
        return [(await self.prepare_batch([job]))[0] for job in jobs]

    async def _prepare_in(
        self, session: AsyncSession, jobs: list[Claimed]
    ) -> list[Prepared | Outcome]:
        if not jobs:
            return []
        ids = [job.thread_id for job in jobs]
        threads = await _by_id(session, Thread, ids)
        tasks = await _by_id(session, Task, {t.task_id for t in threads.values()})
        ais = await _by_id(session, AI, {t.ai_id for t in tasks.values()})
        shared: dict[str, list[ChatList]] = {}
        silenced: dict[str, Skipped] = {}
        for thread in threads.values():
            task = tasks.get(thread.task_id)
            if task is None or task.ai_id not in ais:
                silenced[thread.id] = Skipped("task or AI gone")
                continue
            if thread.company_id not in shared:
                shared[thread.company_id] = await company_lists(session, thread.company_id)
            reason = await silence_reason(
                session, thread=thread, task=task, shared=shared[thread.company_id]
            )
            if reason is None and await enforce_spend_limit(session, thread=thread, task=task):
                reason = "spending limit"
            if reason:
                silenced[thread.id] = Skipped(reason)
        limit = max((AISettings.of(ai).history_messages for ai in ais.values()), default=0)
        histories = await load_histories(
            session, thread_ids=[i for i in ids if i in threads and i not in silenced], limit=limit
        )
        await self._drop_skipped(session, [j for j in jobs if j.thread_id in silenced])
        prepared: list[Prepared | Outcome] = []
        for job in jobs:
            thread = threads.get(job.thread_id)
            if thread is None:
                await self._drop_skipped(session, [job])
                prepared.append(Skipped("thread gone"))
            elif job.thread_id in silenced:
                prepared.append(silenced[job.thread_id])
            else:
                ai = ais[tasks[thread.task_id].ai_id]
                keep = AISettings.of(ai).history_messages
                prepared.append(
                    Prepared(job, ai, histories[job.thread_id][-keep:], self._context(thread))
                )
        return prepared

    def _context(self, thread: Thread) -> AnswerContext:
        return AnswerContext(
            chat_id=thread.chat_id,
            contact=thread.contact,
            load_vectors=self.load_vectors,
            save_vectors=self.save_vectors,
        )

    async def _drop_skipped(self, session: AsyncSession, jobs: list[Claimed]) -> None:
        """A skipped answer is dropped (the next user message schedules a new one)."""
        if not jobs:
            return
        rows = await self._own_jobs(session, [job.thread_id for job in jobs])
        for job in jobs:
            row = rows.get(job.thread_id)
            if row is not None and row.version == job.version:
                await session.delete(row)
            elif row is not None:
                row.lease_until = None
                row.leased_by = None

    async def _own_jobs(self, session: AsyncSession, ids: list[str]) -> dict[str, AnswerJob]:
        """The answer jobs among `ids` this runner still leases, locked until commit."""
        query = select(AnswerJob).where(AnswerJob.thread_id.in_(ids)).order_by(AnswerJob.thread_id)
        if not self.settings.is_sqlite:
            query = query.with_for_update()
        rows = await session.scalars(query)
        return {row.thread_id: row for row in rows if row.leased_by == self.worker_id}

    # --- record -------------------------------------------------------------------------

    async def record(self, job: Claimed, result: AnswerResult) -> Outcome:
        """Record one generated answer in its own transaction."""
        async with self.db.transaction() as session:
            return (await self._record_in(session, [(job, result)]))[job.thread_id]

    async def record_batch(
        self, generated: list[tuple[Claimed, AnswerResult]]
    ) -> dict[str, Outcome]:
        """Record the generated answers together; if that fails, each alone (or as failed)."""
        if not generated:
            return {}
        try:
            async with self.db.transaction() as session:
                return await self._record_in(session, generated)
        except Exception:  # noqa: BLE001 - retried one answer at a time below
            if len(generated) == 1:
                return {generated[0][0].thread_id: await self._failed(generated[0][0])}
            log.exception("recording %d answers together failed; one at a time", len(generated))
        outcomes: dict[str, Outcome] = {}
        for pair in generated:
            outcomes.update(await self.record_batch([pair]))
        return outcomes

    async def _record_in(
        self, session: AsyncSession, generated: list[tuple[Claimed, AnswerResult]]
    ) -> dict[str, Outcome]:
        ids = [job.thread_id for job, _ in generated]
        # Threads first, then jobs: the order in which a user message takes them (no deadlock).
        threads = await _by_id(session, Thread, ids, lock=not self.settings.is_sqlite)
        rows = await self._own_jobs(session, ids)
        tasks = await _by_id(session, Task, {t.task_id for t in threads.values()})
        ais = await _by_id(session, AI, {t.ai_id for t in tasks.values()})
        shared: dict[str, list[ChatList]] = {}
        outcomes: dict[str, Outcome] = {}
        answered: list[tuple[Thread, AI]] = []
        for job, result in generated:
            row = rows.get(job.thread_id)
            if row is None:
                outcomes[job.thread_id] = Skipped("lease lost")
                continue
            if row.version != job.version:
                row.lease_until = None
                row.leased_by = None
                outcomes[job.thread_id] = Stale()
                continue
            await session.delete(row)
            thread = threads.get(job.thread_id)
            task = tasks.get(thread.task_id) if thread else None
            ai = ais.get(task.ai_id) if task else None
            if thread is None or task is None or ai is None:
                outcomes[job.thread_id] = Skipped("thread gone")
                continue
            if thread.company_id not in shared:
                shared[thread.company_id] = await company_lists(session, thread.company_id)
            reason = await silence_reason(
                session, thread=thread, task=task, shared=shared[thread.company_id]
            )
            if reason:
                outcomes[job.thread_id] = Skipped(reason)
                continue
            message = await apply_answer(session, thread=thread, task=task, ai=ai, result=result)
            answered.append((thread, ai))
            outcomes[job.thread_id] = Answered(message.id if message else None)
        await schedule_followups_many(session, answered)
        return outcomes

    # --- fail ---------------------------------------------------------------------------

    async def _failed(self, job: Claimed, error: BaseException | None = None) -> Failed:
        error = error or _current_exception()
        log.warning("answer for thread %s failed: %r", job.thread_id, error)
        return await self.fail(job, repr(error)[:2000])

    async def fail(self, job: Claimed, error: str) -> Failed:
        """Keep the job with a backoff; after `max_failures` hand the dialog to a person."""
        async with self.db.transaction() as session:
            lock = not self.settings.is_sqlite
            thread = (await _by_id(session, Thread, [job.thread_id], lock=lock)).get(job.thread_id)
            row = (await self._own_jobs(session, [job.thread_id])).get(job.thread_id)
            if row is None:
                return Failed(error, None)
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


async def _by_id(
    session: AsyncSession, model: type[Any], ids: Iterable[str], *, lock: bool = False
) -> dict[str, Any]:
    """Rows of `model` by primary key in one query (fresh from the database, optionally
    locked in id order)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = (
        select(model)
        .where(model.id.in_(wanted))
        .order_by(model.id)
        .execution_options(populate_existing=True)
    )
    if lock:
        query = query.with_for_update()
    return {row.id: row for row in await session.scalars(query)}


def _current_exception() -> BaseException:
    return sys.exc_info()[1] or RuntimeError("unknown failure")
