"""Crash safety: a dispatcher process killed with SIGKILL mid-flight loses nothing."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time

import pytest
from aiohttp import web
from sqlalchemy import func, select

from botdesk.models import Delivery, Event
from tests.webhooks.conftest import Receiver, post, seed

pytestmark = pytest.mark.timeout(120)
MESSAGES, THREADS = 120, 12


async def start_dispatcher(database_url: str) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "BOTDESK_DATABASE_URL": database_url,
        "BOTDESK_WEBHOOK_ALLOW_PRIVATE": "127.0.0.0/8",
        "BOTDESK_WEBHOOK_LEASE_SECONDS": "2",
        "BOTDESK_WEBHOOK_RETRY_SCHEDULE": ",".join(["0"] + ["0.2"] * 60),
        "BOTDESK_WEBHOOK_TOTAL_TIMEOUT": "1",
        "BOTDESK_WORKER_POLL_SECONDS": "0.05",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "botdesk.worker.dispatcher", "--database-url", database_url,
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def wait_for(condition, within: float) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.1)


async def seed_messages(db, url: str) -> None:
    setup = await seed(db, [url])
    for i in range(MESSAGES):
        await post(db, setup.task_id, f"chat{i % THREADS}", f"message {i}")


async def check_everything_delivered(db, accepted: list[tuple[str, bytes]]) -> None:
    async def all_delivered() -> bool:
        async with db.transaction() as session:
            statement = select(func.count()).where(Delivery.status != "delivered")
            return await session.scalar(statement) == 0

    await wait_for(all_delivered, within=60)
    async with db.transaction() as session:
        event_ids = set((await session.execute(select(Event.id))).scalars())
    assert len(event_ids) == MESSAGES
    assert {msg_id for msg_id, _ in accepted} == event_ids
    bodies: dict[str, bytes] = {}
    for msg_id, body in accepted:  # a duplicate is the very same event, same id and body
        assert bodies.setdefault(msg_id, body) == body


async def test_sigkill_mid_flight_loses_nothing(wh_db, database_url) -> None:
    accepted: list[tuple[str, bytes]] = []

    async def slow_ok(request: web.Request, _n: int) -> web.Response:
        await asyncio.sleep(0.05)
        accepted.append((request.headers["webhook-id"], await request.read()))
        return web.Response()

    receiver = await Receiver(slow_ok).start()
    try:
        await seed_messages(wh_db, receiver.url)
        first = await start_dispatcher(database_url)

        async def some_in() -> bool:
            return len(receiver.hits) >= 15

        await wait_for(some_in, within=30)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        assert len(accepted) < MESSAGES
        second = await start_dispatcher(database_url)
        try:
            await check_everything_delivered(wh_db, accepted)
        finally:
            second.terminate()
            await second.wait()
    finally:
        await receiver.stop()


async def test_receiver_down_for_a_while_then_back(wh_db, database_url) -> None:
    accepted: list[tuple[str, bytes]] = []

    async def ok(request: web.Request, _n: int) -> web.Response:
        accepted.append((request.headers["webhook-id"], await request.read()))
        return web.Response()

    receiver = await Receiver(ok).start()
    port = int(receiver.url.split(":")[2].split("/")[0])
    await seed_messages(wh_db, receiver.url)
    await receiver.stop()  # down: connection refused
    worker = await start_dispatcher(database_url)
    try:
        await asyncio.sleep(2)
        async with wh_db.transaction() as session:
            tried = await session.scalar(select(func.max(Delivery.attempts)))
        assert tried and tried >= 2
        back = Receiver(ok)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", back._handle)
        back.runner = web.AppRunner(app)
        await back.runner.setup()
        await web.TCPSite(back.runner, "127.0.0.1", port).start()
        try:
            await check_everything_delivered(wh_db, accepted)
        finally:
            await back.stop()
        assert json.loads(accepted[0][1])["external_chat_id"].startswith("chat")
    finally:
        worker.terminate()
        await worker.wait()
