"""`record_event`: the one way an outgoing event is written, inside the caller's transaction.

The event row and one delivery row per subscribed integration are written in the caller's
transaction (just before it commits); nothing is sent from here. If the transaction rolls
back, no webhook exists; once it commits, the dispatcher cannot miss it.
"""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.core import wakeup
from botdesk.core.config import get_settings
from botdesk.core.ids import new_id, new_webhook_id, now_ms
from botdesk.db.deferred import defer
from botdesk.dialogs.plain import PlainMessage
from botdesk.models import Delivery, Event, Task, Thread
from botdesk.webhooks.payload import build_payload, encode

# Core inserts on the tables: a group commit writes many events, and the ORM's per-object
# bookkeeping would cost more than the SQL. They run deferred, batched, before the commit.
_INSERT_EVENT = insert(Event.__table__)
_INSERT_DELIVERY = insert(Delivery.__table__)


async def record_event(
    session: AsyncSession,
    *,
    thread: Thread,
    task: Task,
    wh_type: str,
    message: PlainMessage | None = None,
) -> str:
    """Write the event for `wh_type` (a message or a flag) and its deliveries; returns the
    event's id (the `webhook-id`).

    Deliveries are written for disabled integrations too: they wait, and flow once it is
    re-enabled, so disabling never loses a message.
    """
    thread.event_seq = (thread.event_seq or 0) + 1
    seq = thread.event_seq
    payload = build_payload(
        base_url=get_settings().base_url,
        thread=thread,
        task=task,
        wh_type=wh_type,
        message=message,
        seq=seq,
    )
    now = now_ms()
    event_id = new_webhook_id()
    defer(
        session,
        _INSERT_EVENT,
        {
            "id": event_id,
            "company_id": thread.company_id,
            "thread_id": thread.id,
            "kind": "message" if message else "flag",
            "wh_type": wh_type,
            "message_id": message.id if message else None,
            "seq": seq,
            "body": encode(payload),
            "created": now,
        },
    )
    for integration in task.integrations:
        if integration.webhook_type == wh_type:
            defer(
                session,
                _INSERT_DELIVERY,
                {
                    "id": new_id(now),
                    "event_id": event_id,
                    "integration_id": integration.id,
                    "company_id": thread.company_id,
                    "thread_id": thread.id,
                    "seq": seq,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt": now,
                    "last_error": "",
                    "manual": False,
                    "created": now,
                },
            )
    wakeup.after_commit(session, "deliveries")
    return event_id
