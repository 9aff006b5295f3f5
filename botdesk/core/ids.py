"""Ids in the seed's format: `<13-digit ms timestamp>x<18 random digits>`."""

from __future__ import annotations

import secrets
import time


def now_ms() -> int:
    return int(time.time() * 1000)


def new_id(at_ms: int | None = None) -> str:
    """A new object id, sortable by creation time like the seed's."""
    stamp = now_ms() if at_ms is None else at_ms
    return f"{stamp}x{secrets.randbelow(10**18):018d}"


def new_webhook_id() -> str:
    """The Standard Webhooks message id; stable across retries of one event."""
    return "msg_" + secrets.token_urlsafe(18)
