"""The dispatcher against real receivers, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random

import pytest
from aiohttp import web
from sqlalchemy import func, select

from botdesk.core.ids import now_ms
from botdesk.db.engine import Database
from botdesk.models import Delivery, DeliveryAttempt, Event, Integration
from botdesk.worker.dispatcher import Dispatcher
from tests.webhooks.conftest import deliver_until, fast_settings, post, seed

pytestmark = pytest.mark.timeout(60)

# The seed's webhook example: field -> JSON type.
SEED_FIELDS = {
    "channel_id": str, "close": str, "company_id": str, "contacts": str,
    "external_chat_id": str, "get_contact": str, "interest": str, "is_bot": str,
    "manager_id": str, "message_id": str, "message_text": str, "message_type": str,
    "operator": str, "panel_url": str, "share_url": str, "success": str, "task_id": str,
    "thread_id": str, "title": str, "wh_type": str,
}  # fmt: skip
DAY_MS = 86_400_000


class Clock:
    """An injectable clock (ms) that tests move forward by hand."""

    def __init__(self) -> None:
        self.now = now_ms() + 1000

    def __call__(self) -> int:
        return self.now


def dispatcher(db: Database, **overrides) -> Dispatcher:
    settings = fast_settings(db.settings.database_url, **overrides.pop("settings", {}))
    return Dispatcher(db, settings, **overrides)


async def deliveries(db: Database) -> list[Delivery]:
    async with db.transaction() as session:
        return list((await session.execute(select(Delivery).order_by(Delivery.seq))).scalars())


async def integration(db: Database, integration_id: str) -> Integration:
    async with db.transaction() as session:
        found = await session.get(Integration, integration_id)
        assert found is not None
        return found


def reached(receiver, chat_id: str) -> bool:
    return any(json.loads(h.body)["external_chat_id"] == chat_id for h in receiver.hits)


async def fail_with(status: int) -> web.Response:
    return web.Response(status=status, text=f"status {status}")


async def test_payload_has_the_seeds_fields_and_types(wh_db, receivers) -> None:
    receiver = await receivers()
    setup = await seed(wh_db, [receiver.url])
    await post(wh_db, setup.task_id, "123456789", "hello")
    d = dispatcher(wh_db)
    await deliver_until(d, lambda: len(receiver.hits) == 1)
    await d.close()
    payload = json.loads(receiver.hits[0].body)
    assert set(SEED_FIELDS) <= set(payload)
    assert set(payload) - set(SEED_FIELDS) == {"sequence", "event_time"}
    for name, kind in SEED_FIELDS.items():
        assert isinstance(payload[name], kind), name
    assert payload["external_chat_id"] == "123456789" and payload["message_type"] == "user"
    assert payload["wh_type"] == "all_messages" and payload["close"] == "no"
    assert payload["panel_url"].startswith("http")


async def test_fails_n_times_then_succeeds_with_the_same_webhook_id(wh_db, receivers) -> None:
    receiver = await receivers(lambda r, n: fail_with(500 if n <= 3 else 200))
    setup = await seed(wh_db, [receiver.url])
    await post(wh_db, setup.task_id, "c1", "hello")
    d = dispatcher(wh_db)
    await deliver_until(d, lambda: len(receiver.hits) == 4)
    await d.close()
    assert len({hit.headers["webhook-id"] for hit in receiver.hits}) == 1
    assert receiver.hits[0].body == receiver.hits[3].body
    [delivery] = await deliveries(wh_db)
    assert delivery.status == "delivered" and delivery.attempts == 4
    async with wh_db.transaction() as session:
        attempts = list((await session.execute(select(DeliveryAttempt))).scalars())
    assert sorted(a.status_code for a in attempts) == [200, 500, 500, 500]
    assert {a.response_excerpt for a in attempts if a.status_code == 500} == {"status 500"}
    assert all(a.duration_ms >= 0 and a.started > 0 for a in attempts)
    assert (await integration(wh_db, setup.integration_ids[0])).failing_since is None


async def test_rollback_produces_nothing(wh_db, receivers) -> None:
    receiver = await receivers()
    setup = await seed(wh_db, [receiver.url])
    with pytest.raises(RuntimeError):
        async with wh_db.transaction() as session:
            from botdesk.dialogs.service import post_user_message
            from botdesk.models import Task

            task = await session.get(Task, setup.task_id)
            await post_user_message(session, task=task, chat_id="c1", text="never")
            raise RuntimeError("rolled back")
    async with wh_db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Event)) == 0
        assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
    d = dispatcher(wh_db)
    assert await d.run_once() == 0
    await d.close()
    assert receiver.hits == []


async def test_exhausted_schedule_fails_and_unblocks_the_next_event(wh_db, receivers) -> None:
    receiver = await receivers(lambda r, n: fail_with(500 if n <= 5 else 200))
    setup = await seed(wh_db, [receiver.url])
    await post(wh_db, setup.task_id, "c1", "first")
    await post(wh_db, setup.task_id, "c1", "second")
    d = dispatcher(wh_db)
    await deliver_until(d, lambda: len(receiver.hits) == 6)
    await d.close()
    first, second = await deliveries(wh_db)
    assert (first.status, first.attempts) == ("failed", 5)
    assert second.status == "delivered"
    assert [json.loads(h.body)["message_text"] for h in receiver.hits] == ["first"] * 5 + ["second"]


async def test_410_disables_the_integration_and_holds_later_events(wh_db, receivers) -> None:
    receiver = await receivers(lambda r, n: fail_with(410))
    setup = await seed(wh_db, [receiver.url])
    await post(wh_db, setup.task_id, "c1", "hello")
    d = dispatcher(wh_db)
    await deliver_until(d, lambda: len(receiver.hits) == 1)
    hook = await integration(wh_db, setup.integration_ids[0])
    assert not hook.enabled and "410" in hook.disabled_reason
    await post(wh_db, setup.task_id, "c2", "later")
    assert await d.run_once() == 0
    await d.close()
    assert len(receiver.hits) == 1
    assert [x.status for x in await deliveries(wh_db)] == ["pending", "pending"]


async def test_429_waits_at_least_60_seconds(wh_db, receivers) -> None:
    receiver = await receivers(lambda r, n: fail_with(429 if n == 1 else 200))
    setup = await seed(wh_db, [receiver.url])
    await post(wh_db, setup.task_id, "c1", "hello")
    clock = Clock()
    d = dispatcher(wh_db, clock=clock)
    await deliver_until(d, lambda: len(receiver.hits) == 1)
    [delivery] = await deliveries(wh_db)
    assert delivery.next_attempt >= clock.now + 60_000
    assert await d.run_once() == 0
    clock.now += 61_000
    await deliver_until(d, lambda: len(receiver.hits) == 2)
    await d.close()


async def test_five_days_of_failures_disable_the_integration(wh_db, receivers) -> None:
    receiver = await receivers(lambda r, n: fail_with(500))
    setup = await seed(wh_db, [receiver.url])
    clock = Clock()
    d = dispatcher(wh_db, clock=clock, settings={"webhook_retry_schedule": [0] + [3600] * 200})
    for day in range(6):
        await post(wh_db, setup.task_id, f"c{day}", "hello")
        await deliver_until(d, lambda day=day: reached(receiver, f"c{day}"))
        hook = await integration(wh_db, setup.integration_ids[0])
        assert hook.enabled == (day < 5), day
        clock.now += DAY_MS
    assert "5 days" in hook.disabled_reason
    await d.close()


async def test_a_sporadically_failing_receiver_stays_enabled(wh_db, receivers) -> None:
    receiver = await receivers(lambda r, n: fail_with(500 if n % 3 else 200))
    setup = await seed(wh_db, [receiver.url])
    clock = Clock()
    d = dispatcher(wh_db, clock=clock, settings={"webhook_retry_schedule": [0] * 50})
    for day in range(8):
        await post(wh_db, setup.task_id, f"c{day}", "hello")
        await deliver_until(d, lambda day=day: len(receiver.hits) >= 3 * (day + 1))
        clock.now += DAY_MS
    hook = await integration(wh_db, setup.integration_ids[0])
    assert hook.enabled
    await d.close()


async def test_per_thread_order_holds_under_parallel_load(wh_db, receivers) -> None:
    rng = random.Random(7)
    accepted: dict[str, list[tuple[str, int]]] = {}

    async def flaky(request: web.Request, _n: int) -> web.Response:
        if rng.random() < 0.25:
            return web.Response(status=500)
        payload = json.loads(await request.read())
        accepted.setdefault(request.path, []).append((payload["thread_id"], payload["sequence"]))
        return web.Response()

    hooks = [await receivers(flaky, path=f"/r{i}") for i in range(2)]
    setup = await seed(wh_db, [h.url for h in hooks])
    for i in range(10):
        for chat in range(8):
            await post(wh_db, setup.task_id, f"chat{chat}", f"m{i}")
    d = dispatcher(wh_db, settings={"webhook_retry_schedule": [0] + [0.01] * 40})
    total = 2 * 10 * 8
    await deliver_until(d, lambda: sum(len(v) for v in accepted.values()) >= total, within=45)
    await d.close()
    for seen in accepted.values():
        by_thread: dict[str, list[int]] = {}
        for thread_id, seq in seen:
            by_thread.setdefault(thread_id, []).append(seq)
        assert len(by_thread) == 8
        for seqs in by_thread.values():
            assert seqs == list(range(1, 11))


async def test_a_set_flag_reaches_only_the_integrations_subscribed_to_it(wh_db, receivers) -> None:
    from botdesk.dialogs.service import set_flag
    from botdesk.models import Task, Thread

    messages, successes = await receivers(path="/all"), await receivers(path="/success")
    setup = await seed(wh_db, [messages.url])
    flagged = await seed(wh_db, [successes.url], webhook_type="success")
    async with wh_db.transaction() as session:  # one task with both integrations
        task = await session.get(Task, setup.task_id)
        other = await session.get(Integration, flagged.integration_ids[0])
        other.company_id = task.company_id
        task.integrations = [*task.integrations, other]
    await post(wh_db, setup.task_id, "c1", "hello")
    async with wh_db.transaction() as session:
        task = await session.get(Task, setup.task_id)
        thread = (await session.execute(select(Thread))).scalar_one()
        await set_flag(session, thread=thread, task=task, flag="success", source="test")
    d = dispatcher(wh_db)
    await deliver_until(d, lambda: len(messages.hits) == 1 and len(successes.hits) == 1)
    await d.close()
    assert json.loads(messages.hits[0].body)["wh_type"] == "all_messages"
    flag_payload = json.loads(successes.hits[0].body)
    assert flag_payload["wh_type"] == "success" and flag_payload["success"] == "yes"
    assert set(SEED_FIELDS) <= set(flag_payload)
