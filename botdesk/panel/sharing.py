"""Read-only share links of a dialog: create, revoke, and open with the link's key."""

from __future__ import annotations

import hmac

from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.core.security import new_share_key
from botdesk.models import Thread


def create_share_link(thread: Thread) -> str:
    """A new key (an old link stops working); the caller holds the thread's lock."""
    thread.share_key = new_share_key()
    return thread.share_key


def revoke_share_link(thread: Thread) -> None:
    thread.share_key = None


async def shared_thread(session: AsyncSession, *, thread_id: str, key: str) -> Thread | None:
    """The thread whose live share key is `key`, compared in constant time; else None."""
    if not key:
        return None
    thread = await session.get(Thread, thread_id)
    if thread is None or not thread.share_key:
        return None
    if not hmac.compare_digest(thread.share_key.encode(), key.encode("utf-8", "surrogatepass")):
        return None
    return thread
