"""Turn rows into the JSON shapes clients see (seed thread, management objects)."""

from __future__ import annotations

from typing import Any

from botdesk.api import schemas
from botdesk.models import AI, Channel, ChatList, Integration, Manager, Message, Task, Thread


def seed_thread(thread: Thread) -> dict[str, Any]:
    """The seed's thread object, field for field: strings never null, dates in ms."""
    return {
        "Created By": thread.created_by or "",
        "Created Date": thread.created,
        "Modified Date": thread.modified,
        "_id": thread.id,
        "ai_thread_id": thread.ai_thread_id or "",
        "chat_id": thread.chat_id,
        "close": bool(thread.close),
        "company": thread.company_id,
        "contact": thread.contact or "",
        "count_message": thread.count_message or 0,
        "get_contact": bool(thread.get_contact),
        "interest": bool(thread.interest),
        "is_bot": bool(thread.is_bot),
        "operator": bool(thread.operator),
        "success": bool(thread.success),
        "task": thread.task_id,
        "title": thread.title or "",
        "user_replied": bool(thread.user_replied),
        "wh_get_contact": bool(thread.wh_get_contact),
        "wh_interest": bool(thread.wh_interest),
        "wh_success": bool(thread.wh_success),
    }


def channel(row: Channel) -> schemas.ChannelPublic:
    return schemas.ChannelPublic.model_validate(row, from_attributes=True)


def manager(row: Manager) -> schemas.ManagerPublic:
    return schemas.ManagerPublic.model_validate(row, from_attributes=True)


def chat_list(row: ChatList) -> schemas.ListPublic:
    return schemas.ListPublic.model_validate(row, from_attributes=True)


def ai(row: AI) -> schemas.AIPublic:
    return schemas.AIPublic(
        id=row.id,
        name=row.name,
        provider=row.provider,
        prompt=row.prompt,
        knowledge=row.knowledge,
        knowledge_text=row.knowledge_text,
        functions=row.functions,
        temperature=row.temperature,
        top_p=row.top_p,
        model=row.model,
        base_url=row.base_url,
        has_api_key=bool(row.api_key),
        reminders=row.reminders,
        settings=row.settings,
        created=row.created,
    )


def integration(row: Integration) -> schemas.IntegrationPublic:
    return schemas.IntegrationPublic.model_validate(row, from_attributes=True)


def integration_with_secret(row: Integration) -> schemas.IntegrationWithSecret:
    return schemas.IntegrationWithSecret.model_validate(row, from_attributes=True)


def task(row: Task) -> schemas.TaskPublic:
    return schemas.TaskPublic(
        id=row.id,
        name=row.name,
        type=row.type,
        mode=row.mode,
        channel_id=row.channel_id,
        ai_id=row.ai_id,
        integration_ids=[i.id for i in row.integrations],
        list_ids=[x.id for x in row.lists],
        manager_id=row.manager_id,
        spending_limit=row.spending_limit,
        status=row.status,
        greeting=row.greeting,
        created=row.created,
    )


def thread(row: Thread) -> schemas.ThreadPublic:
    return schemas.ThreadPublic(
        id=row.id,
        task_id=row.task_id,
        chat_id=row.chat_id,
        title=row.title,
        contact=row.contact,
        flags=schemas.FlagsPublic.model_validate(row, from_attributes=True),
        count_message=row.count_message,
        last_message=row.last_message,
        last_message_text=row.last_message_text,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cost_usd=row.cost_usd,
        created=row.created,
        modified=row.modified,
    )


def message(row: Message) -> schemas.MessagePublic:
    return schemas.MessagePublic(id=row.id, type=row.type, text=row.text, created=row.created)
