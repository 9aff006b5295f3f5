"""Group commit for incoming user messages.

A durable commit per request caps throughput near the database's commit rate, and each small
transaction pays its own round trips. Concurrent `send_message_external` requests are therefore
queued and written in small groups: one transaction, threads locked with one query, rows
inserted in batches, one commit; each request is answered only after that commit. A group
that fails is retried one message per transaction, so one bad message never fails another.
On PostgreSQL a few groups are in flight at once, never two with the same dialog.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from botdesk.db import deferred
from botdesk.db.engine import Database
from botdesk.dialogs import plain, service

log = logging.getLogger("botdesk.ingest")

# Most messages written in one transaction (the setting `group_commit_max` overrides it).
GROUP_MAX = 256
# Times a message is retried alone after a database error such as a deadlock.
RETRIES = 3


class TaskNotFound(Exception):
    """The task does not exist or belongs to another company."""


@dataclass
class Incoming:
    company_id: str
    task_id: str
    chat_id: str
    text: str
    title: str | None
    done: asyncio.Future[dict[str, Any]] = field(repr=False)


class GroupCommitter:
    """Writes waiting user messages in groups; one per process, started on first use.

    Up to `parallel` groups are in flight at once (while one waits on the database the next is
    written). A message whose dialog is in a group in flight waits for the next group: groups in
    flight never wait on each other's row locks, and one dialog's messages commit in order.
    """

    def __init__(
        self, db: Database, *, group_max: int = GROUP_MAX, parallel: int = 1, present: Any
    ) -> None:
        self.db = db
        self.group_max = max(1, group_max)
        self.parallel = max(1, parallel)
        self.present = present
        self._waiting: list[Incoming] = []
        self._busy: set[tuple[str, str]] = set()
        self._groups: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        self._idle: list[AsyncConnection] = []

    async def post_user_message(
        self, *, company_id: str, task_id: str, chat_id: str, text: str, title: str | None
    ) -> dict[str, Any]:
        """Queue the message and wait until it is committed; returns the presented thread."""
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="botdesk-group-commit")
        done: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting.append(Incoming(company_id, task_id, chat_id, text, title, done))
        self._wake.set()
        return await done

    async def close(self) -> None:
        for task in [self._dispatcher, *self._groups]:
            if task is not None:
                task.cancel()
        while self._idle:
            await self._idle.pop().close()

    async def _dispatch(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while len(self._groups) < self.parallel and (group := self._take()):
                keys = {(item.task_id, item.chat_id) for item in group}
                self._busy |= keys
                task = asyncio.create_task(self._commit(group))
                self._groups.add(task)
                task.add_done_callback(lambda done, keys=keys: self._finished(done, keys))

    def _finished(self, task: asyncio.Task[None], keys: set[tuple[str, str]]) -> None:
        self._groups.discard(task)
        self._busy -= keys
        self._wake.set()

    def _take(self) -> list[Incoming]:
        """The next group, in arrival order, leaving dialogs already in flight for later."""
        group: list[Incoming] = []
        later: list[Incoming] = []
        for item in self._waiting:
            if len(group) < self.group_max and (item.task_id, item.chat_id) not in self._busy:
                group.append(item)
            else:
                later.append(item)
        self._waiting = later
        return group

    async def _commit(self, group: list[Incoming]) -> None:
        try:
            results = await self._write(group)
        except Exception as exc:  # noqa: BLE001 - isolate the failing message below
            if len(group) > 1:
                for item in group:
                    await self._commit([item])
                return
            await self._retry_alone(group[0], exc)
            return
        for item, result in zip(group, results, strict=True):
            if not item.done.done():
                if isinstance(result, Exception):
                    item.done.set_exception(result)
                else:
                    item.done.set_result(result)

    async def _retry_alone(self, item: Incoming, error: Exception) -> None:
        for _ in range(RETRIES):
            if not isinstance(error, DBAPIError):
                break
            try:
                (result,) = await self._write([item])
            except Exception as exc:  # noqa: BLE001
                error = exc
                continue
            if isinstance(result, Exception):
                item.done.set_exception(result)
            else:
                item.done.set_result(result)
            return
        log.warning("message for task %s refused: %r", item.task_id, error)
        if not item.done.done():
            item.done.set_exception(error)

    async def _write(self, group: list[Incoming]) -> list[dict[str, Any] | Exception]:
        # Under load a group's connection is kept for the next group (no pool checkout and
        # liveness ping per group); it goes back to the pool once nothing waits, or on an error.
        connection = self._idle.pop() if self._idle else await self.db.engine.connect()
        try:
            results = await self._write_on(connection, group)
        except BaseException:
            await connection.close()
            raise
        if self._waiting:
            self._idle.append(connection)
        else:
            await connection.close()
        return results

    async def _write_on(
        self, connection: AsyncConnection, group: list[Incoming]
    ) -> list[dict[str, Any] | Exception]:
        async with self.db.sessions(bind=connection) as session, session.begin():
            tasks = await plain.load_tasks(session, {item.task_id for item in group})
            wanted = []
            for item in group:
                task = tasks.get(item.task_id)
                if task is not None and task.company_id == item.company_id:
                    wanted.append((task, item.chat_id, item.title))
            await service.lock_threads_of(session, wanted, as_plain=True)
            # Rows accumulate and are written together just before the commit (one statement on
            # PostgreSQL, one executemany per table on SQLite; see `deferred.flush`).
            with session.no_autoflush:
                results = await self._post_all(session, group, tasks)
            plain.write_threads(session)
            await deferred.flush(session)
        return results

    async def _post_all(
        self, session: AsyncSession, group: list[Incoming], tasks: dict[str, Any]
    ) -> list[dict[str, Any] | Exception]:
        results: list[dict[str, Any] | Exception] = []
        for item in group:
            task = tasks.get(item.task_id)
            if task is None or task.company_id != item.company_id:
                results.append(TaskNotFound(item.task_id))
                continue
            posted = await service.post_user_message(
                session, task=task, chat_id=item.chat_id, text=item.text, title=item.title
            )
            # The answer shows the thread as this message left it, before later ones.
            results.append(self.present(posted.thread))
        return results
