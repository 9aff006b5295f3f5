"""`record_event`: the one way an outgoing event is written, inside the caller's transaction.

The event row and one delivery row per subscribed integration are added to the
session; nothing is sent from here. If the transaction rolls back, no webhook exists; once it
commits, the dispatcher cannot miss it.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.core import wakeup
from botdesk.core.config import get_settings
from botdesk.core.ids import new_id, new_webhook_id, now_ms
from botdesk.models import Delivery, Event, Message, Task, Thread
from botdesk.webhooks.payload import build_payload, encode


async def record_event(
    session: AsyncSession,
    *,
    thread: Thread,
    task: Task,
    wh_type: str,
    message: Message | None = None,
) -> Event:
    """Write the event for `wh_type` (a message or a flag) and its deliveries.

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
    event = Event(
        id=new_webhook_id(),
        company_id=thread.company_id,
        thread_id=thread.id,
        kind="message" if message else "flag",
        wh_type=wh_type,
        message_id=message.id if message else None,
        seq=seq,
        body=encode(payload),
    )
    session.add(event)
    wakeup.after_commit(session, "deliveries")
    now = now_ms()
    for integration in task.integrations:
        if integration.webhook_type == wh_type:
            session.add(
                Delivery(
                    id=new_id(),
                    event=event,
                    integration_id=integration.id,
                    company_id=thread.company_id,
                    thread_id=thread.id,
                    seq=seq,
                    next_attempt=now,
                )
            )
    return event
