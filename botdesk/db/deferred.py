"""Statements deferred to the end of a transaction and run there in one batch.

A group commit posts dozens of messages in one transaction; a listener that upserts a row per
message would cost a round trip each. Deferred, the upserts run together just before the commit
(`executemany`), still inside the same transaction, so they commit or roll back with it.
Not for use inside a SAVEPOINT (nothing in botdesk uses one): rolling back only the savepoint
would not drop what it deferred.

Each statement is compiled once per dialect and set of columns, then run as driver SQL with
plain tuples: SQLAlchemy's per-row parameter handling would cost more than the database does.
On PostgreSQL, `flush` sends all deferred INSERTs as one statement (one data-modifying CTE per
table, each row set passed as column arrays): one round trip instead of one per table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import bindparam, event, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

# session.info key: {id(statement): (statement, {key: params}, keyed)}
PENDING = "botdesk.deferred"

# (statement id, dialect name, column names) -> (SQL, how to pick each positional value)
_Plan = tuple[str, list[tuple[str, Any, Callable[[Any], Any] | None]]]
_plans: dict[tuple[int, str, tuple[str, ...]], tuple[Any, _Plan | None]] = {}


def defer(session: Any, statement: Any, params: dict[str, Any], *, key: Any = None) -> None:
    """Run `statement` with `params` when the session's transaction commits.

    With a `key`, a later call with the same key replaces the earlier params: the statement
    runs once per key. An INSERT ... ON CONFLICT DO UPDATE must be deferred with its conflict
    key, as one statement may not update a row twice.
    """
    pending = session.info.setdefault(PENDING, {})
    entry = pending.get(id(statement))
    if entry is None:
        entry = pending[id(statement)] = (statement, {}, key is not None)
    rows = entry[1]
    rows[key if key is not None else len(rows)] = params


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
    batches = [
        (statement, columns, same, keyed)
        for statement, rows, keyed in pending.values()
        for columns, same in _by_columns(list(rows.values())).items()
    ]
    if inside and connection.dialect.name == "postgresql":
        merged = [batch for batch in batches if _mergeable(batch[0], batch[3])]
        if len(merged) > 1:
            sql, picks = _merged_plan(merged, connection.dialect)
            await driver.execute(sql, *_arrays(picks, merged))
            batches = [batch for batch in batches if not _mergeable(batch[0], batch[3])]
    for statement, columns, same, _ in batches:
        plan = _plan(statement, connection.dialect, columns)
        if plan is None or not inside:
            await connection.execute(statement, same)
        else:
            await driver.executemany(plan[0], _values(plan, same))


def _mergeable(statement: Any, keyed: bool) -> bool:
    """A plain INSERT, or an upsert deferred once per conflict key."""
    if not isinstance(statement, Insert) or statement._values or statement.select is not None:
        return False
    return keyed or statement._post_values_clause is None


# One merged statement per shape: which statements, with which columns, in which order.
_Picks = list[tuple[int, str, Any, Any]]  # (batch or -1, column or bind name, constant, convert)
_merged: dict[tuple[Any, ...], tuple[list[Any], tuple[str, _Picks]]] = {}


def _merged_plan(
    batches: list[tuple[Any, tuple[str, ...], list[dict[str, Any]], bool]], dialect: Dialect
) -> tuple[str, _Picks]:
    """`WITH w0 AS (INSERT ... SELECT unnest($1), unnest($2) ...), w1 AS (...) SELECT 1`; and for
    each parameter, the batch and column it carries (or the constant it is)."""
    shape = tuple((id(statement), columns) for statement, columns, _, _ in batches)
    cached = _merged.get(shape)
    if cached is not None and all(
        kept is batch[0] for kept, batch in zip(cached[0], batches, strict=True)
    ):
        return cached[1]
    ctes = []
    for index, (statement, columns, _, _) in enumerate(batches):
        table = statement.table
        arrays = select(
            *(
                func.unnest(bindparam(f"b{index}_{name}", type_=ARRAY(table.c[name].type)))
                for name in columns
            )
        )
        ctes.append(statement.from_select(list(columns), arrays).cte(f"w{index}"))
    compiled = select(literal_column("1")).add_cte(*ctes).compile(dialect=dialect)
    picks: _Picks = []
    for name in compiled.positiontup or []:
        index, _, column = name[1:].partition("_")
        if name.startswith("b") and index.isdigit() and column in batches[int(index)][1]:
            # Each element converted as a single value would be (e.g. JSON to its text).
            element = batches[int(index)][0].table.c[column].type.dialect_impl(dialect)
            picks.append((int(index), column, None, element.bind_processor(dialect)))
        else:  # a constant of the statement itself, e.g. `version + 1`
            picks.append((-1, name, compiled.binds[name].effective_value, None))
    plan = (compiled.string, picks)
    _merged[shape] = ([batch[0] for batch in batches], plan)
    return plan


def _arrays(
    picks: _Picks,
    batches: list[tuple[Any, tuple[str, ...], list[dict[str, Any]], bool]],
) -> list[Any]:
    return [
        constant if index < 0 else _column(batches[index][2], column, convert)
        for index, column, constant, convert in picks
    ]


def _column(rows: list[dict[str, Any]], name: str, convert: Any) -> list[Any]:
    if convert is None:
        return [row[name] for row in rows]
    return [convert(row[name]) for row in rows]


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
        for statement, rows, _ in pending.values():
            executemany(connection, statement, list(rows.values()))


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
