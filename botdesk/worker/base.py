"""The small base every database-polling runner shares: who it is, what it needs, and the loop
that repeats a round while there is work and otherwise sleeps until woken or the poll interval."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select

from botdesk.ai.providers import Provider, get_provider
from botdesk.core import wakeup
from botdesk.core.config import Settings
from botdesk.db.engine import Database
from botdesk.models import AI


class PollingRunner:
    """Subclasses implement `run_once() -> int` (how many items the round took)."""

    # In-process wake-up topic (see core.wakeup) that ends a wait early; None polls only.
    wake_topic: str | None = None

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
        # Leases name their holder, so a process's own claims are told from a dead one's.
        self.worker_id = worker_id or f"{os.getpid()}-{uuid.uuid4().hex[:8]}"

    async def run_once(self) -> int:
        raise NotImplementedError

    async def run_forever(self, stop: asyncio.Event) -> None:
        woken = wakeup.subscribe(self.wake_topic) if self.wake_topic else asyncio.Event()
        try:
            while not stop.is_set():
                woken.clear()  # a wake-up from now on is for work this round may miss
                if await self.run_once() > 0:
                    continue  # more may be due right now
                await first_of(stop, woken, self.settings.worker_poll_seconds)
        finally:
            if self.wake_topic:
                wakeup.unsubscribe(self.wake_topic, woken)


def due_unleased(model: Any, now: int, *conditions: Any, limit: int, postgres: bool) -> Any:
    """Rows of `model` due by `now` whose lease is free or expired, oldest first. On PostgreSQL
    they are locked with SKIP LOCKED so concurrent workers take different rows; SQLite's
    writers are already serialised."""
    query = (
        select(model)
        .where(
            model.due <= now,
            or_(model.lease_until.is_(None), model.lease_until < now),
            *conditions,
        )
        .order_by(model.due)
        .limit(limit)
    )
    return query.with_for_update(skip_locked=True) if postgres else query


async def first_of(stop: asyncio.Event, woken: asyncio.Event, seconds: float) -> None:
    """Wait until stopped, woken, or `seconds` passed."""
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(woken.wait())]
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waits:
            waiter.cancel()
