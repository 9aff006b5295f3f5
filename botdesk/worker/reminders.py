"""Follow-ups and outbound first messages.

Reminders: after each AI answer, the AI's reminder list is (re)booked counting from that bot
message; the scheduler function books one-off reminders. A due reminder is claimed under a
lease, its text fixed or written by the AI, and sent in one transaction that marks it sent —
so a killed worker never causes a second send. It is dropped when a cancel flag is set or
the user wrote since it was booked.

Outbound: pending targets of running outbound tasks get their first bot message.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.ai.dialog import load_history, silence_reason
from botdesk.ai.providers import AnswerContext
from botdesk.ai.settings import AISettings
from botdesk.core.ids import now_ms
from botdesk.dialogs.service import get_or_create_thread, post_bot_message
from botdesk.models import AI, Message, Reminder, Target, Task, Thread
from botdesk.worker.base import PollingRunner, due_unleased

log = logging.getLogger("botdesk.reminders")

# A claimed reminder belongs to its worker this long, in seconds.
LEASE_SECONDS = 120.0
# Reminders / targets handled per round.
BATCH = 32


def reminder_delay(spec: dict[str, Any]) -> float:
    """Seconds from the last bot message, from delay_seconds / delay_minutes / delay_hours."""
    for key, unit in (("delay_seconds", 1), ("delay_minutes", 60), ("delay_hours", 3600)):
        if spec.get(key) is not None:
            return float(spec[key]) * unit
    return 3600.0


async def schedule_followups(session: AsyncSession, *, thread: Thread, ai: AI) -> None:
    """Rebook the AI's reminders from now (the bot's latest message); older ones are void."""
    await schedule_followups_many(session, [(thread, ai)])


async def schedule_followups_many(session: AsyncSession, answered: list[tuple[Thread, AI]]) -> None:
    """`schedule_followups` for a batch of answered threads: one UPDATE voids the old ones."""
    if not answered:
        return
    await session.execute(
        update(Reminder)
        .where(
            Reminder.thread_id.in_([thread.id for thread, _ in answered]),
            Reminder.status == "pending",
            Reminder.source == "ai_settings",
        )
        .values(status="cancelled")
        # Answering loads no reminders into the session: skip matching them in memory.
        .execution_options(synchronize_session=False)
    )
    now = now_ms()
    for thread, ai in answered:
        for spec in ai.reminders or []:
            if not isinstance(spec, dict):
                continue
            kind = "ai" if spec.get("type") == "ai" else "fixed"
            session.add(
                Reminder(
                    company_id=thread.company_id,
                    thread_id=thread.id,
                    due=now + int(reminder_delay(spec) * 1000),
                    kind=kind,
                    text=str(spec.get("text") or spec.get("instruction") or ""),
                    cancel_flags=list(spec.get("cancel_flags") or []),
                    source="ai_settings",
                    details={"after": now},
                )
            )


class ReminderRunner(PollingRunner):
    """Sends due reminders and outbound greetings."""

    async def run_once(self) -> int:
        ids = await self.claim()
        for reminder_id in ids:
            try:
                await self.send(reminder_id)
            except Exception:  # noqa: BLE001 - the lease expires and it is tried again
                log.exception("reminder %s failed", reminder_id)
        return len(ids) + await self.greet_targets()

    async def claim(self) -> list[str]:
        now = now_ms()
        async with self.db.transaction() as session:
            query = due_unleased(
                Reminder,
                now,
                Reminder.status == "pending",
                limit=BATCH,
                postgres=not self.settings.is_sqlite,
            )
            rows = list(await session.scalars(query))
            for row in rows:
                row.lease_until = now + int(LEASE_SECONDS * 1000)
                row.details = {**(row.details or {}), "leased_by": self.worker_id}
            return [r.id for r in rows]

    async def _check(self, session: AsyncSession, reminder_id: str) -> tuple[Any, ...] | str:
        """(reminder, thread, task, ai) when it may be sent, else why it is dropped."""
        row = await session.get(Reminder, reminder_id, populate_existing=True)
        if row is None or row.status != "pending":
            return "gone"
        if (row.details or {}).get("leased_by") != self.worker_id:
            return "lease lost"
        thread = await session.get(Thread, row.thread_id, populate_existing=True)
        task = await session.get(Task, thread.task_id) if thread else None
        ai = await session.get(AI, task.ai_id) if task else None
        if thread is None or task is None or ai is None:
            return "cancel: thread gone"
        if any(getattr(thread, flag, False) for flag in row.cancel_flags or []):
            return "cancel: flag"
        after = int((row.details or {}).get("after") or row.created)
        wrote = await session.scalar(
            select(Message.id).where(
                Message.thread_id == thread.id, Message.type == "user", Message.created > after
            )
        )
        if wrote:
            return "cancel: user wrote"
        if await silence_reason(session, thread=thread, task=task):
            return "cancel: silenced"
        return row, thread, task, ai

    async def send(self, reminder_id: str) -> str:
        async with self.db.transaction() as session:
            checked = await self._check(session, reminder_id)
            if isinstance(checked, str):
                await self._drop(session, reminder_id, checked)
                return checked
            row, thread, task, ai = checked
            text, kind = row.text, row.kind
            history = await load_history(session, thread=thread, limit=20)
        if kind == "ai":
            context = AnswerContext(purpose="reminder", instruction=text, chat_id=thread.chat_id)
            text = (await self.providers(ai).answer(ai, history, context)).text
        async with self.db.transaction() as session:
            checked = await self._check(session, reminder_id)
            if isinstance(checked, str):
                await self._drop(session, reminder_id, checked)
                return checked
            row, thread, task, ai = checked
            if text.strip():
                await post_bot_message(session, thread=thread, task=task, text=text.strip())
            row.status = "sent"
            return "sent"

    async def _drop(self, session: AsyncSession, reminder_id: str, reason: str) -> None:
        if reason.startswith("cancel"):
            row = await session.get(Reminder, reminder_id)
            if row is not None:
                row.status = "cancelled"
                row.details = {**(row.details or {}), "reason": reason}

    async def greet_targets(self) -> int:
        """First bot message to each pending target of a running outbound task."""
        async with self.db.sessions() as session:
            rows = await session.execute(
                select(Target.id, Task.ai_id)
                .join(Task, Task.id == Target.task_id)
                .where(
                    Target.status == "pending", Task.mode == "outbound", Task.status == "running"
                )
                .limit(BATCH)
            )
            pending = list(rows)
        for target_id, ai_id in pending:
            async with self.db.sessions() as session:
                ai = await session.get(AI, ai_id)
            await self._greet(target_id, ai)
        return len(pending)

    async def _greet(self, target_id: str, ai: AI | None) -> None:
        settings = AISettings.of(ai)
        text = ""
        if ai is not None and settings.first_message == "ai":
            context = AnswerContext(purpose="greeting", instruction=ai.prompt)
            text = (await self.providers(ai).answer(ai, [], context)).text
        async with self.db.transaction() as session:
            claimed = await session.execute(
                update(Target)
                .where(Target.id == target_id, Target.status == "pending")
                .values(status="sent")
            )
            if not claimed.rowcount:
                return  # another worker greeted it
            target = await session.get(Target, target_id)
            task = await session.get(Task, target.task_id)
            thread, _ = await get_or_create_thread(session, task=task, chat_id=target.target)
            greeting = text.strip() or task.greeting.strip() or settings.greeting_text
            await post_bot_message(session, thread=thread, task=task, text=greeting)
