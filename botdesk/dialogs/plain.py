"""Tasks, threads and messages as plain objects, for writers that handle many dialogs at once.

The group commit posts dozens of messages per transaction. Loading their tasks and threads as
mapped objects (identity map, change tracking, relationship loaders) and flushing them costs
more per dialog than the SQL does, so it loads them here with one Core query each, as plain
objects that read and change like the mapped `Task` and `Thread`, and writes the threads'
changes back in one batch. Everything else in botdesk reads and changes dialogs through the
mapped classes; new messages are `PlainMessage`s everywhere (they are inserted in batches).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, bindparam, func, select, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.db.deferred import defer
from botdesk.models import AI, Integration, Task, Thread, task_integrations


@dataclass(slots=True)
class PlainMessage:
    """A message as written (messages are inserted, never changed, by the dialog verbs)."""

    id: str
    company_id: str
    thread_id: str
    type: str
    text: str
    author: str
    created: int


class PlainThread:
    """A thread row with the mapped `Thread`'s attribute names; see `write_threads`."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


class PlainIntegration:
    """What recording an event needs of an integration."""

    def __init__(self, id: str, webhook_type: str) -> None:
        self.id = id
        self.webhook_type = webhook_type


class PlainAI:
    """What scheduling an answer needs of an AI: its settings."""

    def __init__(self, settings: dict[str, Any] | None) -> None:
        self.settings = settings or {}


class PlainTask:
    """A task row with its integrations and its AI (`loaded_ai`), loaded together."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.loaded_ai = PlainAI(values.pop("ai_settings"))
        self.__dict__.update(values)
        self.integrations: list[PlainIntegration] = []


def _attributes(mapped: Any) -> list[tuple[str, Any]]:
    # Attribute names can differ from column names (Thread.extra is the column `metadata`).
    return [(attr.key, attr.columns[0]) for attr in mapped.__mapper__.column_attrs]


_THREAD = _attributes(Thread)
_TASK = _attributes(Task)
_SELECT_THREADS = select(*(column.label(key) for key, column in _THREAD))
_integrations = Integration.__table__
_SELECT_TASKS = (
    select(
        *(column.label(key) for key, column in _TASK),
        _integrations.c.id.label("integration_id"),
        _integrations.c.webhook_type.label("integration_type"),
        AI.__table__.c.settings.label("ai_settings"),
    )
    .select_from(Task.__table__)
    .outerjoin(task_integrations, task_integrations.c.task_id == Task.__table__.c.id)
    .outerjoin(_integrations, _integrations.c.id == task_integrations.c.integration_id)
    .outerjoin(AI.__table__, AI.__table__.c.id == Task.__table__.c.ai_id)
    .where(Task.__table__.c.id.in_(bindparam("ids", expanding=True)))
)

# session.info key: the plain threads of this transaction, with the values they were loaded with.
_LOADED = "botdesk.plain_threads"
_updates: dict[tuple[str, ...], Any] = {}


async def load_tasks(session: AsyncSession, ids: set[str]) -> dict[str, PlainTask]:
    """The tasks with these ids (those that exist), in one query."""
    connection = await session.connection()
    tasks: dict[str, PlainTask] = {}
    result = await connection.execute(_SELECT_TASKS, {"ids": sorted(ids)})
    names = list(result.keys())
    for row in result:
        values = dict(zip(names, row, strict=True))
        integration_id = values.pop("integration_id")
        integration_type = values.pop("integration_type")
        task = tasks.get(values["id"])
        if task is None:
            task = tasks[values["id"]] = PlainTask(values)
        if integration_id is not None:
            task.integrations.append(PlainIntegration(integration_id, integration_type))
    return tasks


def _select_locked_threads() -> dict[str, Any]:
    """Per dialect, built once: the same SQL for any number of keys, so it is compiled and
    prepared once. PostgreSQL takes the keys as two arrays; SQLite as an expanded IN list."""
    table = Thread.__table__
    pair = tuple_(table.c.task_id, table.c.chat_id)
    as_arrays = select(
        func.unnest(bindparam("task_ids", type_=ARRAY(String))),
        func.unnest(bindparam("chat_ids", type_=ARRAY(String))),
    )
    ordered = _SELECT_THREADS.order_by(table.c.id).with_for_update()
    return {
        "postgresql": ordered.where(pair.in_(as_arrays)),
        "sqlite": ordered.where(pair.in_(bindparam("keys", expanding=True))),
    }


_SELECT_LOCKED = _select_locked_threads()


async def load_locked_threads(
    session: AsyncSession, keys: list[tuple[str, str]]
) -> list[PlainThread]:
    """The threads of these (task_id, chat_id), row-locked in id order (PostgreSQL; SQLite's
    transaction already holds the write lock). `write_threads` saves what is changed on them."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        statement = _SELECT_LOCKED["postgresql"]
        params: dict[str, Any] = {
            "task_ids": [task_id for task_id, _ in keys],
            "chat_ids": [chat_id for _, chat_id in keys],
        }
    else:
        statement, params = _SELECT_LOCKED["sqlite"], {"keys": keys}
    loaded: list[tuple[PlainThread, dict[str, Any]]] = session.info.setdefault(_LOADED, [])
    threads = []
    result = await connection.execute(statement, params)
    names = list(result.keys())  # Row._asdict() per row costs more than the query
    for row in result:
        values = dict(zip(names, row, strict=True))
        thread = PlainThread(values)
        loaded.append((thread, values))
        threads.append(thread)
    return threads


def write_threads(session: AsyncSession) -> None:
    """Queue the changes made to this transaction's plain threads, written just before it
    commits; threads with the same changed columns share one statement."""
    for thread, loaded in session.info.pop(_LOADED, []):
        changed = {key: value for key, value in thread.__dict__.items() if loaded[key] != value}
        if changed:
            values = {f"new_{key}": value for key, value in changed.items()}
            defer(session, _update_thread(tuple(sorted(changed))), {"key_id": thread.id, **values})


def _update_thread(keys: tuple[str, ...]) -> Any:
    if keys not in _updates:
        table = Thread.__table__
        columns = dict(_THREAD)
        _updates[keys] = (
            update(table)
            .where(table.c.id == bindparam("key_id"))
            .values({columns[key].name: bindparam(f"new_{key}") for key in keys})
        )
    return _updates[keys]
