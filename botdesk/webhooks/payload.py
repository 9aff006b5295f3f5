"""The seed's webhook body, built once per event and stored as the exact bytes sent."""

from __future__ import annotations

from typing import Any

import orjson

from botdesk.core.ids import now_ms
from botdesk.dialogs.plain import PlainMessage
from botdesk.models import Task, Thread

# Event types a webhook integration can subscribe to (the seed's `wh_type`).
WEBHOOK_TYPES = (
    "all_messages",
    "success",
    "get_contact",
    "interest",
    "close",
    "operator",
    "is_bot",
)


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def panel_url(base_url: str, thread_id: str) -> str:
    return f"{base_url}/panel?menu=chats&thread={thread_id}"


def share_url(base_url: str, thread: Thread) -> str:
    url = f"{base_url}/share?thread={thread.id}"
    return f"{url}&key={thread.share_key}" if thread.share_key else url


def build_payload(
    *,
    base_url: str,
    thread: Thread,
    task: Task,
    wh_type: str,
    message: PlainMessage | None,
    seq: int,
) -> dict[str, Any]:
    """Exactly the seed's fields, plus `sequence` and `event_time` (extra fields are allowed)."""
    return {
        "channel_id": task.channel_id,
        "close": yes_no(thread.close),
        "company_id": thread.company_id,
        "contacts": thread.contact,
        "external_chat_id": thread.chat_id,
        "get_contact": yes_no(thread.get_contact),
        "interest": yes_no(thread.interest),
        "is_bot": yes_no(thread.is_bot),
        "manager_id": task.manager_id or "",
        "message_id": message.id if message else "",
        "message_text": message.text if message else "",
        "message_type": message.type if message else "",
        "operator": yes_no(thread.operator),
        "panel_url": panel_url(base_url, thread.id),
        "share_url": share_url(base_url, thread),
        "success": yes_no(thread.success),
        "task_id": task.id,
        "thread_id": thread.id,
        "title": thread.title,
        "wh_type": wh_type,
        "sequence": seq,
        "event_time": now_ms(),
    }


def encode(payload: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON: the exact bytes stored, signed and sent."""
    return orjson.dumps(payload)
