"""Reminders (fire, cancel by flag or user message, never twice) and outbound greetings."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from botdesk.core.config import Settings
from botdesk.core.ids import now_ms
from botdesk.db.engine import Database
from botdesk.models import Message, Reminder, Target, Thread
from botdesk.worker.answers import AnswerRunner
from botdesk.worker.reminders import ReminderRunner
from tests.ai.conftest import World
from tests.ai.test_answers import drain, messages

FOLLOW_UP = [
    {
        "delay_seconds": 0.3,
        "type": "fixed",
        "text": "Any questions?",
        "cancel_flags": ["success", "interest"],
    }
]


async def answered(
    make_world: Any, db: Database, settings: Settings, text: str
) -> tuple[World, Thread]:
    world: World = await make_world(ai_fields={"reminders": FOLLOW_UP})
    thread = await world.say("r1", text)
    await drain(AnswerRunner(db, settings))
    return world, thread


async def test_reminder_fires_once_after_the_delay(
    make_world: Any, db: Database, settings: Settings
) -> None:
    world, thread = await answered(make_world, db, settings, "how much is delivery?")
    runner = ReminderRunner(db, settings)
    await runner.run_once()
    assert (await messages(db, thread.id))[-1] != "Any questions?"  # not yet due
    await asyncio.sleep(0.35)
    await runner.run_once()
    await runner.run_once()
    bot = await messages(db, thread.id)
    assert bot == ["Delivery costs $5; free for orders over $50.", "Any questions?"]


async def test_cancel_flag_drops_the_reminder(
    make_world: Any, db: Database, settings: Settings
) -> None:
    world, thread = await answered(make_world, db, settings, "I want to buy a kettle")
    await asyncio.sleep(0.35)
    await ReminderRunner(db, settings).run_once()
    assert "Any questions?" not in await messages(db, thread.id)
    async with db.sessions() as session:
        status = await session.scalar(
            select(Reminder.status).where(Reminder.thread_id == thread.id)
        )
    assert status == "cancelled"


async def test_user_message_since_drops_the_reminder(
    make_world: Any, db: Database, settings: Settings
) -> None:
    world, thread = await answered(make_world, db, settings, "how much is delivery?")
    async with db.transaction() as session:
        session.add(
            Message(
                company_id=world.company_id,
                thread_id=thread.id,
                type="user",
                text="thanks",
                created=now_ms() + 1,
            )
        )
    await asyncio.sleep(0.35)
    await ReminderRunner(db, settings).run_once()
    assert "Any questions?" not in await messages(db, thread.id)


async def test_no_second_send_after_a_worker_dies_holding_the_lease(
    make_world: Any, db: Database, settings: Settings
) -> None:
    world, thread = await answered(make_world, db, settings, "how much is delivery?")
    await asyncio.sleep(0.35)
    dead = ReminderRunner(db, settings, worker_id="dead")
    claimed = await dead.claim()  # ... and the process is killed here
    assert len(claimed) == 1
    async with db.transaction() as session:  # its lease runs out
        row = await session.get(Reminder, claimed[0])
        row.lease_until = now_ms() - 1
    await ReminderRunner(db, settings, worker_id="alive").run_once()
    assert await dead.send(claimed[0]) in ("lease lost", "gone")  # a zombie cannot send
    assert (await messages(db, thread.id)).count("Any questions?") == 1


async def test_outbound_target_gets_the_greeting(
    make_world: Any, db: Database, settings: Settings
) -> None:
    world: World = await make_world(mode="outbound", greeting="Hello from Acme!")
    async with db.transaction() as session:
        session.add(Target(company_id=world.company_id, task_id=world.task_id, target="t-42"))
    await ReminderRunner(db, settings).run_once()
    await ReminderRunner(db, settings).run_once()
    async with db.sessions() as session:
        thread = await session.scalar(select(Thread).where(Thread.chat_id == "t-42"))
        status = await session.scalar(select(Target.status))
    assert await messages(db, thread.id) == ["Hello from Acme!"]
    assert status == "sent"
