"""Statements deferred to the end of a transaction and run there in one batch.

A group commit posts dozens of messages in one transaction; a listener that upserts a row per
message would cost a round trip each. Deferred, the upserts run together just before the commit
(`executemany`), still inside the same transaction, so they commit or roll back with it.
Not for use inside a SAVEPOINT (nothing in botdesk uses one): rolling back only the savepoint
would not drop what it deferred.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

# session.info key: {id(statement): (statement, [params, ...])}
PENDING = "botdesk.deferred"


def defer(session: Any, statement: Any, params: dict[str, Any]) -> None:
    """Run `statement` with `params` when the session's transaction commits."""
    pending = session.info.setdefault(PENDING, {})
    pending.setdefault(id(statement), (statement, []))[1].append(params)


@event.listens_for(Session, "before_commit")
def _run_deferred(session: Session) -> None:
    # Runs inside the commit (in the greenlet for AsyncSession), so it may emit SQL.
    while pending := session.info.pop(PENDING, None):
        for statement, params in pending.values():
            session.execute(statement, params)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
