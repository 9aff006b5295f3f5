"""The background worker: runs every job runner (webhook delivery, AI answers, reminders)
until stopped. Runs inside `botdesk serve` by default, or alone as `botdesk worker`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Protocol

from botdesk.core.config import Settings
from botdesk.db.engine import Database
from botdesk.worker.answers import AnswerRunner
from botdesk.worker.dispatcher import Dispatcher
from botdesk.worker.reminders import ReminderRunner

log = logging.getLogger("botdesk.worker")

# Each runner has `run_forever(stop: asyncio.Event)` and is built from (db, settings).
RUNNERS = (Dispatcher, AnswerRunner, ReminderRunner)


class Runner(Protocol):
    async def run_forever(self, stop: asyncio.Event) -> None: ...


def load_runners(db: Database, settings: Settings) -> list[Runner]:
    return [runner(db, settings) for runner in RUNNERS]


async def run_worker(settings: Settings, stop: asyncio.Event, db: Database | None = None) -> None:
    """Run all runners until `stop` is set; a crashing runner is restarted after a pause."""
    owns_db = db is None
    db = db or Database(settings)
    runners = load_runners(db, settings)
    log.info("worker started with %s", [type(r).__name__ for r in runners])

    async def supervise(runner: Runner) -> None:
        while not stop.is_set():
            try:
                await runner.run_forever(stop)
            except Exception:  # noqa: BLE001 - a runner must never take the worker down
                log.exception("%s crashed; restarting in 1 s", type(runner).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)

    try:
        await asyncio.gather(*(supervise(r) for r in runners), stop.wait())
    finally:
        if owns_db:
            await db.dispose()


def run_worker_process(settings: Settings) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run_worker(settings, stop)

    asyncio.run(main())
