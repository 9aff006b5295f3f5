"""Webhook test kit: real aiohttp receivers on 127.0.0.1:0, a seeded company, fast settings."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from botdesk.core.config import Settings
from botdesk.db.engine import Database
from botdesk.dialogs.service import post_user_message
from botdesk.models import AI, Channel, Company, Integration, Task
from botdesk.webhooks.signing import new_secret

Handler = Callable[[web.Request, int], Awaitable[web.StreamResponse]]


async def ok(_request: web.Request, _n: int) -> web.StreamResponse:
    return web.Response(text="ok")


@dataclass
class Hit:
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """A real HTTP receiver; `handler(request, n)` answers the n-th request (from 1)."""

    handler: Handler = ok
    hits: list[Hit] = field(default_factory=list)
    url: str = ""
    runner: web.AppRunner | None = None

    async def start(self, path: str = "/hook") -> Receiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}{path}"
        return self

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.read()
        self.hits.append(Hit(dict(request.headers), body, time.time()))
        return await self.handler(request, len(self.hits))

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
async def receivers() -> AsyncIterator[Callable[..., Awaitable[Receiver]]]:
    started: list[Receiver] = []

    async def start(handler: Handler = ok, path: str = "/hook") -> Receiver:
        receiver = await Receiver(handler).start(path)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        await receiver.stop()


def fast_settings(database_url: str, **overrides: Any) -> Settings:
    """Settings with the retry schedule and timeouts compressed so tests finish in seconds."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "base_url": "http://botdesk.test",
        "webhook_allow_private": ["127.0.0.0/8"],
        "webhook_retry_schedule": [0, 0.05, 0.05, 0.05, 0.05],
        "webhook_connect_timeout": 1.0,
        "webhook_total_timeout": 1.0,
        "webhook_lease_seconds": 5.0,
        "worker_poll_seconds": 0.02,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
async def wh_db(database_url: str) -> AsyncIterator[Database]:
    database = Database(fast_settings(database_url))
    yield database
    await database.dispose()


@dataclass
class Setup:
    company_id: str
    task_id: str
    integration_ids: list[str]
    secrets: list[str]


async def seed(db: Database, urls: list[str], webhook_type: str = "all_messages") -> Setup:
    """A company with a channel, an AI, one integration per URL and a task using them all."""
    async with db.transaction() as session:
        company = Company(name="Acme")
        session.add(company)
        await session.flush()
        channel = Channel(company_id=company.id, name="web", type="page_messenger")
        ai = AI(company_id=company.id, name="bot")
        integrations = [
            Integration(
                company_id=company.id,
                name=f"hook {i}",
                webhook_url=url,
                webhook_type=webhook_type,
                secret=new_secret(),
            )
            for i, url in enumerate(urls)
        ]
        session.add_all([channel, ai, *integrations])
        await session.flush()
        task = Task(company_id=company.id, name="t", channel_id=channel.id, ai_id=ai.id)
        task.integrations = integrations
        session.add(task)
        await session.flush()
        return Setup(
            company.id, task.id, [i.id for i in integrations], [i.secret for i in integrations]
        )


async def post(db: Database, task_id: str, chat_id: str, text: str) -> None:
    """A user message committed the way the API commits one."""
    async with db.transaction() as session:
        task = await session.get(Task, task_id)
        assert task is not None
        await post_user_message(session, task=task, chat_id=chat_id, text=text)


async def deliver_until(
    dispatcher: Any, done: Callable[[], bool | Awaitable[bool]], within: float = 10.0
) -> None:
    """Run the dispatcher batch by batch until `done()` holds (or fail after `within` seconds)."""
    deadline = time.monotonic() + within
    while True:
        result = done()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        if await dispatcher.run_once() == 0:
            await asyncio.sleep(0.02)
