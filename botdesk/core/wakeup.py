"""In-process wake-ups: a committed change nudges the runners that wait for it, so a message
written by the API part of `botdesk serve` is delivered at once instead of at the next poll.

Other processes still find the work by polling; this only shortens the wait inside one process.
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

# session.info key: topics to announce once the session's transaction commits.
PENDING = "botdesk.wakeup"

_events: dict[str, list[asyncio.Event]] = {}


def subscribe(topic: str) -> asyncio.Event:
    """An event set whenever a transaction that touched `topic` commits."""
    waiter = asyncio.Event()
    _events.setdefault(topic, []).append(waiter)
    return waiter


def unsubscribe(topic: str, waiter: asyncio.Event) -> None:
    if waiter in _events.get(topic, []):
        _events[topic].remove(waiter)


def after_commit(session: Any, topic: str) -> None:
    """Announce `topic` when the caller's transaction commits (nothing if it rolls back)."""
    session.info.setdefault(PENDING, set()).add(topic)


def notify(topic: str) -> None:
    for waiter in _events.get(topic, []):
        waiter.set()


@event.listens_for(Session, "after_commit")
def _announce(session: Session) -> None:
    for topic in session.info.pop(PENDING, ()):
        notify(topic)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
