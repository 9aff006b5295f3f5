"""Statements deferred to the end of a transaction and run there in one batch.

A group commit posts dozens of messages in one transaction; a listener that upserts a row per
message would cost a round trip each. Deferred, the upserts run together just before the commit
(`executemany`), still inside the same transaction, so they commit or roll back with it.
Not for use inside a SAVEPOINT (nothing in botdesk uses one): rolling back only the savepoint
would not drop what it deferred.

Each statement is compiled once per dialect and set of columns, then run as driver SQL with
plain tuples: SQLAlchemy's per-row parameter handling would cost more than the database does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

# session.info key: {id(statement): (statement, [params, ...])}
PENDING = "botdesk.deferred"

# (statement id, dialect name, column names) -> (SQL, how to pick each positional value)
_Plan = tuple[str, list[tuple[str, Any, Callable[[Any], Any] | None]]]
_plans: dict[tuple[int, str, tuple[str, ...]], tuple[Any, _Plan | None]] = {}


def defer(session: Any, statement: Any, params: dict[str, Any]) -> None:
    """Run `statement` with `params` when the session's transaction commits."""
    pending = session.info.setdefault(PENDING, {})
    pending.setdefault(id(statement), (statement, []))[1].append(params)


def executemany(connection: Connection, statement: Any, rows: list[dict[str, Any]]) -> None:
    """Run a Core statement once per row, in one driver call where the statement allows it."""
    for columns, same in _by_columns(rows).items():
        plan = _plan(statement, connection.dialect, columns)
        if plan is None:
            connection.execute(statement, same)
        else:
            connection.exec_driver_sql(plan[0], _values(plan, same))


async def flush(session: AsyncSession) -> None:
    """Run what is deferred now, from the event loop straight through the driver (asyncpg or
    aiosqlite), without a trip through SQLAlchemy's greenlet per statement. For the group
    commit, which calls it just before committing."""
    pending = session.info.pop(PENDING, None)
    if not pending:
        return
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    # asyncpg says so with a method, aiosqlite with an attribute; SQLAlchemy begins the driver's
    # transaction lazily, so outside one everything goes through SQLAlchemy instead.
    in_transaction = getattr(driver, "is_in_transaction", None)
    inside = in_transaction() if callable(in_transaction) else bool(in_transaction)
    for statement, rows in pending.values():
        for columns, same in _by_columns(rows).items():
            plan = _plan(statement, connection.dialect, columns)
            if plan is None or not inside:
                await connection.execute(statement, same)
            else:
                await driver.executemany(plan[0], _values(plan, same))


def _by_columns(rows: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_columns.setdefault(tuple(row), []).append(row)
    return by_columns


def _values(plan: _Plan, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        tuple(
            (convert(row[name]) if convert else row[name]) if name in row else constant
            for name, constant, convert in plan[1]
        )
        for row in rows
    ]


def _plan(statement: Any, dialect: Dialect, columns: tuple[str, ...]) -> _Plan | None:
    key = (id(statement), dialect.name, columns)
    cached = _plans.get(key)
    if cached is not None and cached[0] is statement:
        return cached[1]
    compiled = statement.compile(dialect=dialect, column_keys=list(columns))
    plan: _Plan | None = None
    # Only plain positional SQL without defaults computed in Python; anything else runs through
    # SQLAlchemy as usual.
    if compiled.positiontup is not None and not (
        getattr(compiled, "insert_prefetch", None) or getattr(compiled, "update_prefetch", None)
    ):
        picks = []
        for name in compiled.positiontup:
            bind = compiled.binds[name]
            convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
            constant = bind.effective_value if name not in columns else None
            if name not in columns and convert is not None:
                constant = convert(constant)
            picks.append((name, constant, convert))
        plan = (compiled.string, picks)
    # The statement is kept with its plan so a recycled id() is never mistaken for it.
    _plans[key] = (statement, plan)
    return plan


@event.listens_for(Session, "before_commit")
def _run_deferred(session: Session) -> None:
    # Runs inside the commit (in the greenlet for AsyncSession), so it may emit SQL.
    while pending := session.info.pop(PENDING, None):
        connection = session.connection()
        for statement, params in pending.values():
            executemany(connection, statement, params)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
