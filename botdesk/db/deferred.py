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
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        by_columns.setdefault(tuple(row), []).append(row)
    for columns, same in by_columns.items():
        plan = _plan(statement, connection.dialect, columns)
        if plan is None:
            connection.execute(statement, same)
            continue
        sql, picks = plan
        values = [
            tuple(
                (convert(row[name]) if convert else row[name]) if name in row else constant
                for name, constant, convert in picks
            )
            for row in same
        ]
        connection.exec_driver_sql(sql, values)


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
