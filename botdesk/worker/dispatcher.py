"""The webhook dispatcher: claim → send → record, pipelined so no receiver stalls the rest.

A claim loop keeps up to `MAX_IN_FLIGHT` deliveries in flight, respecting a per-integration
cap; each send runs as its own task and hands its typed result to a recorder that writes
outcomes in batches. Run it inside the worker (`run_forever`) or alone:
`python -m botdesk.worker.dispatcher --database-url …` (used by the crash tests and the bench).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
from collections.abc import Callable

from botdesk.core import wakeup
from botdesk.core.config import Settings
from botdesk.core.ids import now_ms
from botdesk.core.metrics import DELIVERIES
from botdesk.db.engine import Database
from botdesk.webhooks.policy import RetryPolicy
from botdesk.webhooks.queue import Claimed, Finished, claim, record
from botdesk.webhooks.sender import Sender
from botdesk.webhooks.ssrf import Resolve

log = logging.getLogger("botdesk.webhooks")

# Deliveries one worker process sends at once, across all integrations.
MAX_IN_FLIGHT = 512
# Most rows one claim transaction leases: bigger batches, fewer round trips.
CLAIM_BATCH = 256
# Deliveries claimed per integration, as a multiple of its concurrency cap: the extra ones wait
# on the cap's semaphore so a finished send is replaced at once, not after a claim round trip.
CLAIM_AHEAD = 2
# Pause before claiming again once woken, in seconds: fewer, fuller claim transactions.
CLAIM_COALESCE_S = 0.003
# How long the recorder gathers results before writing them, in seconds.
RECORD_LINGER_S = 0.005


class Dispatcher:
    """Delivers webhooks from the outbox; several processes may run against one database."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        clock: Callable[[], int] = now_ms,
        resolve: Resolve | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.policy = RetryPolicy.from_settings(settings)
        self.sender = Sender(settings, resolve)
        self.cap = settings.webhook_concurrency_per_integration
        self.lease_ms = int(settings.webhook_lease_seconds * 1000)
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:64]
        self.in_flight: dict[str, int] = {}
        self._semaphores: dict[str, asyncio.Semaphore] = {}
        self._results: asyncio.Queue[Finished] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._unrecorded = 0

    # --- stages -------------------------------------------------------------------------

    async def claim(self, limit: int) -> list[Claimed]:
        limit_per_integration = self.cap * CLAIM_AHEAD
        room = {key: limit_per_integration - n for key, n in self.in_flight.items()}
        async with self.db.transaction() as session:
            claimed = await claim(
                session,
                worker=self.worker_id,
                now=self.clock(),
                lease_ms=self.lease_ms,
                limit=limit,
                room=room,
                cap=limit_per_integration,
            )
        for item in claimed:
            self.in_flight[item.integration_id] = self.in_flight.get(item.integration_id, 0) + 1
        return claimed

    async def send(self, item: Claimed) -> Finished:
        semaphore = self._semaphores.setdefault(item.integration_id, asyncio.Semaphore(self.cap))
        try:
            async with semaphore:
                outcome = await self.sender.send(
                    url=item.url, msg_id=item.msg_id, body=item.body, secrets=item.secrets
                )
        finally:
            # The slot frees now: the row stays leased and pending until recorded, so neither
            # it nor its successor in the thread can be claimed in between.
            key = item.integration_id
            self.in_flight[key] -= 1
            if self.in_flight[key] <= 0:
                del self.in_flight[key]
            self._wake.set()
        return Finished(item, outcome)

    async def record(self, finished: list[Finished]) -> None:
        async with self.db.transaction() as session:
            await record(session, finished, now=self.clock(), policy=self.policy)
        for item in finished:
            DELIVERIES.labels(type(item.outcome).__name__.lower()).inc()

    # --- loops --------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim one batch, send it, record it; returns how many deliveries were processed."""
        claimed = await self.claim(CLAIM_BATCH)
        if not claimed:
            return 0
        finished = await asyncio.gather(*(self.send(item) for item in claimed))
        await self.record(list(finished))
        return len(finished)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Keep claiming and sending until `stop` is set; in-flight sends finish first."""
        recorder = asyncio.create_task(self._record_loop())
        sends: set[asyncio.Task[None]] = set()
        committed = wakeup.subscribe("deliveries")  # new events committed in this process
        try:
            while not stop.is_set():
                total = sum(self.in_flight.values())
                free = MAX_IN_FLIGHT - total
                claimed = await self._claim_safely(min(free, CLAIM_BATCH)) if free > 0 else []
                for item in claimed:
                    task = asyncio.create_task(self._send_and_queue(item))
                    sends.add(task)
                    task.add_done_callback(sends.discard)
                if len(claimed) >= min(free, CLAIM_BATCH) > 0:
                    continue  # more may be due right now
                self._wake.clear()
                committed.clear()
                waits = [
                    asyncio.ensure_future(stop.wait()),
                    asyncio.ensure_future(self._wake.wait()),
                    asyncio.ensure_future(committed.wait()),
                ]
                await asyncio.wait(
                    waits,
                    timeout=self.settings.worker_poll_seconds,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                for waiter in waits:
                    waiter.cancel()
                await asyncio.sleep(CLAIM_COALESCE_S)  # let a few more slots free up
            if sends:
                await asyncio.wait(sends)
            while self._unrecorded:
                await asyncio.sleep(0.01)
        finally:
            wakeup.unsubscribe("deliveries", committed)
            recorder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recorder
            await self.sender.close()

    async def _claim_safely(self, limit: int) -> list[Claimed]:
        try:
            return await self.claim(limit)
        except Exception:  # noqa: BLE001 - a database hiccup must not stop delivery for good
            log.exception("claiming deliveries failed; retrying")
            await asyncio.sleep(1.0)
            return []

    async def _send_and_queue(self, item: Claimed) -> None:
        self._unrecorded += 1
        await self._results.put(await self.send(item))

    async def _record_loop(self) -> None:
        while True:
            batch = [await self._results.get()]
            await asyncio.sleep(RECORD_LINGER_S)
            while not self._results.empty() and len(batch) < CLAIM_BATCH * 2:
                batch.append(self._results.get_nowait())
            while True:
                try:
                    await self.record(batch)
                    self._unrecorded -= len(batch)
                    break
                except Exception:  # noqa: BLE001 - keep the results; leases cover a crash
                    log.exception("recording %d outcomes failed; retrying", len(batch))
                    await asyncio.sleep(1.0)
            self._wake.set()  # successors in a sequence may be due now

    async def close(self) -> None:
        await self.sender.close()


def main(argv: list[str] | None = None) -> None:
    """Run one dispatcher process until SIGTERM/SIGINT (SIGKILL is the crash test's business)."""
    parser = argparse.ArgumentParser(prog="python -m botdesk.worker.dispatcher")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    overrides = {"database_url": args.database_url} if args.database_url else {}
    settings = Settings(**overrides)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        db = Database(settings)
        try:
            await Dispatcher(db, settings).run_forever(stop)
        finally:
            await db.dispose()

    asyncio.run(run())


if __name__ == "__main__":
    main()
