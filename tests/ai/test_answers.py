"""The answer pipeline on SQLite and PostgreSQL: debounce, silence, regeneration, failures,
spend limit. Timings are compressed through the AI's settings."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select

from botdesk.ai.providers import (
    AnswerContext,
    AnswerResult,
    FlagRequest,
    ProviderError,
    Turn,
    Usage,
)
from botdesk.core.config import Settings
from botdesk.db.engine import Database
from botdesk.models import AI, AnswerJob, Event, FlagChange, Message, Task, Thread
from botdesk.worker.answers import Answered, AnswerRunner, Failed, Stale
from tests.ai.conftest import World, add_list


async def messages(db: Database, thread_id: str, kind: str = "bot") -> list[str]:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(Message.text)
            .where(Message.thread_id == thread_id, Message.type == kind)
            .order_by(Message.created)
        )
        return list(rows)


async def drain(runner: AnswerRunner, seconds: float = 3.0) -> None:
    """Run until no answer job is left (or time is up)."""
    deadline = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < deadline:
        await runner.run_once()
        async with runner.db.sessions() as session:
            if not list(await session.scalars(select(AnswerJob.thread_id))):
                return
        await asyncio.sleep(0.05)


async def test_five_fragments_get_one_answer(
    make_world: Any, db: Database, settings: Settings
) -> None:
    world: World = await make_world()
    for part in ["hi", "I have", "a question:", "how much", "is delivery?"]:
        thread = await world.say("c1", part)
    runner = AnswerRunner(db, settings)
    assert await runner.run_once() == 0  # still inside the debounce window
    await drain(runner)
    assert await messages(db, thread.id) == ["Delivery costs $5; free for orders over $50."]


async def test_flags_are_set_before_the_bot_message(
    make_world: Any, db: Database, settings: Settings
) -> None:
    world: World = await make_world()
    thread = await world.say("c2", "my email is ann@example.com")
    await drain(AnswerRunner(db, settings))
    async with db.sessions() as session:
        row = await session.get(Thread, thread.id)
        assert row.get_contact and row.contact == "ann@example.com"
        change = await session.scalar(select(FlagChange).where(FlagChange.thread_id == thread.id))
        assert change.source == "ai"
        events = list(
            await session.scalars(
                select(Event).where(Event.thread_id == thread.id).order_by(Event.seq)
            )
        )
    kinds = [(e.wh_type, e.kind) for e in events]
    assert kinds.index(("get_contact", "flag")) < kinds.index(("all_messages", "message"), 1)
    assert b'"get_contact": "yes"' in events[-1].body or b'"get_contact":"yes"' in events[-1].body


async def test_operator_close_and_black_list_silence_the_ai(
    make_world: Any, db: Database, settings: Settings
) -> None:
    world: World = await make_world()
    await add_list(world, "black", ["@blocked_user"])
    t1 = await world.say("c3", "how much is delivery?")
    await world.update(Thread, t1.id, operator=True)
    t2 = await world.say("c4", "how much is delivery?")
    await world.update(Thread, t2.id, close=True)
    t3 = await world.say("blocked_user", "how much is delivery?")
    await drain(AnswerRunner(db, settings))
    for thread in (t1, t2, t3):
        assert await messages(db, thread.id) == []


async def test_white_list_and_paused_task(
    make_world: Any, db: Database, settings: Settings
) -> None:
    world: World = await make_world()
    await add_list(world, "white", ["+998 90 123 45 67"])
    listed = await world.say("998901234567", "how much is delivery?")
    stranger = await world.say("c5", "how much is delivery?")
    await drain(AnswerRunner(db, settings))
    assert len(await messages(db, listed.id)) == 1
    assert await messages(db, stranger.id) == []
    await world.update(Task, world.task_id, status="paused")
    await world.say("998901234567", "and opening hours?")
    await drain(AnswerRunner(db, settings))
    assert len(await messages(db, listed.id)) == 1


class Scripted:
    """A provider with a hook run during generation."""

    def __init__(self, during: Any = None, result: AnswerResult | None = None, fail: int = 0):
        self.during, self.result, self.fail, self.calls = during, result, fail, []

    async def answer(self, ai: AI, history: list[Turn], context: AnswerContext) -> AnswerResult:
        self.calls.append([t.text for t in history if t.role == "user"])
        if self.fail:
            self.fail -= 1
            raise ProviderError("LLM down")
        if self.during:
            during, self.during = self.during, None
            await during()
        return self.result or AnswerResult(text=f"seen {len(self.calls[-1])}")


async def test_a_message_during_generation_regenerates(
    make_world: Any, db: Database, settings: Settings
) -> None:
    world: World = await make_world()
    thread = await world.say("c6", "first")
    provider = Scripted(during=lambda: world.say("c6", "second"))
    runner = AnswerRunner(db, settings, providers=lambda ai: provider)
    await asyncio.sleep(0.25)
    claimed = await runner.claim()
    assert isinstance(await runner.process(claimed[0]), Stale)
    await drain(runner)
    assert await messages(db, thread.id) == ["seen 2"]


async def test_llm_down_keeps_the_job_then_hands_to_operator(
    make_world: Any, db: Database, settings: Settings
) -> None:
    world: World = await make_world(ai_settings={"max_failures": 3})
    thread = await world.say("c7", "hello?")
    provider = Scripted(fail=2)
    runner = AnswerRunner(db, settings, providers=lambda ai: provider)
    await drain(runner)
    assert await messages(db, thread.id) == ["seen 1"]  # retried, not lost
    down = Scripted(fail=99)
    thread2 = await world.say("c8", "hello?")
    await asyncio.sleep(0.25)
    outcomes = []
    runner2 = AnswerRunner(db, settings, providers=lambda ai: down)
    for _ in range(3):
        await asyncio.sleep(0.1)
        outcomes += [await runner2.process(j) for j in await runner2.claim()]
    assert [type(o) for o in outcomes] == [Failed, Failed, Failed]
    async with db.sessions() as session:
        row = await session.get(Thread, thread2.id)
        assert row.operator
        assert await session.get(AnswerJob, thread2.id) is None


async def test_spend_limit_hands_the_dialog_to_an_operator(
    make_world: Any, db: Database, settings: Settings
) -> None:
    world: World = await make_world(spending_limit=0.01)
    usage = Usage(input_tokens=1000, output_tokens=500, cost_usd=0.006)
    provider = Scripted(result=AnswerResult(text="ok", usage=usage))
    runner = AnswerRunner(db, settings, providers=lambda ai: provider)
    thread = await world.say("c9", "one")
    await drain(runner)
    await world.say("c9", "two")
    await drain(runner)
    await world.say("c9", "three")
    await drain(runner)
    assert await messages(db, thread.id) == ["ok", "ok"]
    async with db.sessions() as session:
        row = await session.get(Thread, thread.id)
        assert row.operator and row.input_tokens == 2000 and abs(row.cost_usd - 0.012) < 1e-9
        sources = list(
            await session.scalars(
                select(FlagChange.source).where(FlagChange.thread_id == thread.id)
            )
        )
    assert sources == ["limit"]


async def test_two_runners_never_answer_one_thread_twice(
    make_world: Any, db: Database, settings: Settings
) -> None:
    world: World = await make_world()
    threads = [await world.say(f"p{i}", "how much is delivery?") for i in range(10)]
    await asyncio.sleep(0.25)
    first, second = AnswerRunner(db, settings), AnswerRunner(db, settings)
    results = await asyncio.gather(first.run_once(), second.run_once())
    assert sum(results) == 10
    for thread in threads:
        assert len(await messages(db, thread.id)) == 1
    assert Answered  # typed outcome exported


class PerChat:
    """A provider whose answer (or failure) depends on the chat."""

    def __init__(self, results: dict[str, AnswerResult | Exception]) -> None:
        self.results = results

    async def answer(self, ai: AI, history: list[Turn], context: AnswerContext) -> AnswerResult:
        result = self.results.get(context.chat_id, AnswerResult(text=f"hi {context.chat_id}"))
        if isinstance(result, Exception):
            raise result
        return result


async def test_one_failing_answer_does_not_fail_its_round(
    make_world: Any, db: Database, settings: Settings
) -> None:
    world: World = await make_world()
    threads = {chat: await world.say(chat, "hello") for chat in ("b1", "b2", "b3")}
    await asyncio.sleep(0.25)
    runner = AnswerRunner(db, settings, providers=lambda ai: PerChat({"b2": ProviderError("x")}))
    outcomes = await runner.process_batch(await runner.claim())
    assert sorted(type(o).__name__ for o in outcomes) == ["Answered", "Answered", "Failed"]
    assert await messages(db, threads["b1"].id) == ["hi b1"]
    assert await messages(db, threads["b2"].id) == []
    assert await messages(db, threads["b3"].id) == ["hi b3"]


async def test_an_answer_that_cannot_be_recorded_fails_alone(
    make_world: Any, db: Database, settings: Settings
) -> None:
    """Recording the round together fails; each answer is then recorded on its own."""
    world: World = await make_world()
    threads = {chat: await world.say(chat, "hello") for chat in ("r1", "r2", "r3")}
    await asyncio.sleep(0.25)
    bad = AnswerResult(text="never sent", flags=(FlagRequest("no_such_flag"),))
    runner = AnswerRunner(db, settings, providers=lambda ai: PerChat({"r2": bad}))
    outcomes = await runner.process_batch(await runner.claim())
    assert sorted(type(o).__name__ for o in outcomes) == ["Answered", "Answered", "Failed"]
    assert await messages(db, threads["r1"].id) == ["hi r1"]
    assert await messages(db, threads["r2"].id) == []
    assert await messages(db, threads["r3"].id) == ["hi r3"]
    async with db.sessions() as session:
        job = await session.get(AnswerJob, threads["r2"].id)
        assert job is not None and job.attempts == 1 and "no_such_flag" in job.last_error


async def test_an_answer_without_debounce_wakes_the_runner_before_its_poll(
    make_world: Any, db: Database, settings: Settings
) -> None:
    world: World = await make_world(ai_settings={"debounce_seconds": 0})
    slow_poll = settings.model_copy(update={"worker_poll_seconds": 30.0})
    runner = AnswerRunner(db, slow_poll, providers=lambda ai: PerChat({}))
    stop = asyncio.Event()
    running = asyncio.create_task(runner.run_forever(stop))
    try:
        await asyncio.sleep(0.2)  # the runner found nothing and waits for its 30 s poll
        thread = await world.say("w1", "hello")
        for _ in range(50):
            if await messages(db, thread.id):
                break
            await asyncio.sleep(0.05)
        assert await messages(db, thread.id) == ["hi w1"]
    finally:
        stop.set()
        await asyncio.wait_for(running, 5)
