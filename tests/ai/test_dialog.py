"""What the AI job runners read from a dialog: histories for a whole batch at once."""

from __future__ import annotations

import asyncio
from typing import Any

from botdesk.ai.dialog import load_histories, load_history
from botdesk.db.engine import Database
from botdesk.dialogs.service import post_operator_message
from botdesk.models import Task, Thread
from tests.ai.conftest import World


async def test_batch_histories_equal_each_thread_s_own_history(
    make_world: Any, db: Database
) -> None:
    world: World = await make_world()
    first = await world.say("h1", "one")
    for text in ("two", "three", "four"):
        await asyncio.sleep(0.002)  # distinct timestamps: the order is by time
        await world.say("h1", text)
    await asyncio.sleep(0.002)
    async with db.transaction() as session:
        thread = await session.get(Thread, first.id)
        task = await session.get(Task, world.task_id)
        await post_operator_message(session, thread=thread, task=task, text="five", author="op")
    second = await world.say("h2", "alone")
    ids = [first.id, second.id, "no-such-thread"]
    async with db.sessions() as session:
        together = await load_histories(session, thread_ids=ids, limit=3)
        for thread_id in ids[:2]:
            thread = await session.get(Thread, thread_id)
            assert together[thread_id] == await load_history(session, thread=thread, limit=3)
    assert [(t.role, t.text) for t in together[first.id]] == [
        ("user", "three"),
        ("user", "four"),
        ("operator", "five"),
    ]
    assert together["no-such-thread"] == []
