"""Dialogs in the management API: list, read, write as operator, set or clear flags."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.api import presenters
from botdesk.api import schemas as s
from botdesk.api.deps import CurrentCompany, SessionDep, SettingsDep
from botdesk.api.errors import NotFound
from botdesk.dialogs import queries
from botdesk.dialogs import service as dialogs
from botdesk.models import Task, Thread

router = APIRouter(prefix="/v1/threads", tags=["threads"])

FlagName = Literal[
    "success", "get_contact", "interest", "close", "is_bot", "operator", "user_replied"
]


async def _load(
    session: AsyncSession, company_id: str, thread_id: str, for_update: bool = False
) -> tuple[Thread, Task]:
    found = await queries.thread_with_task(
        session, company_id=company_id, thread_id=thread_id, for_update=for_update
    )
    if found is None:
        raise NotFound(f"thread {thread_id}")
    return found


@router.get("", response_model=s.Page[s.ThreadPublic])
async def list_threads(
    session: SessionDep,
    company_id: CurrentCompany,
    settings: SettingsDep,
    task_id: str | None = Query(None, max_length=40),
    flag: FlagName | None = None,
    sort: queries.ThreadSort = "-date",
    page: int = Query(1, ge=1, le=100000),
) -> Any:
    """Dialogs, filtered by task and flag, sorted by last message date or message count."""
    rows, total = await queries.list_threads(
        session,
        company_id=company_id,
        task_id=task_id,
        flag=flag,
        sort=sort,
        page=page,
        page_size=settings.page_size,
    )
    return {
        "items": [presenters.thread(r) for r in rows],
        "page": page,
        "page_size": settings.page_size,
        "total": total,
    }


@router.get("/{thread_id}", response_model=s.ThreadWithMessages)
async def get_thread(thread_id: str, session: SessionDep, company_id: CurrentCompany) -> Any:
    thread, _ = await _load(session, company_id, thread_id)
    messages = await queries.messages_of(session, thread_id=thread.id)
    return s.ThreadWithMessages(
        **presenters.thread(thread).model_dump(),
        messages=[presenters.message(m) for m in messages],
    )


@router.post("/{thread_id}/messages", response_model=s.MessagePublic, status_code=201)
async def post_operator_message(
    thread_id: str, body: s.OperatorMessageIn, session: SessionDep, company_id: CurrentCompany
) -> Any:
    """Write to the end user as an operator (sent as an `operator` webhook)."""
    thread, task = await _load(session, company_id, thread_id, for_update=True)
    message = await dialogs.post_operator_message(
        session, thread=thread, task=task, text=body.text, author="api"
    )
    await session.commit()
    return presenters.message(message)


@router.post("/{thread_id}/flags", response_model=s.ThreadPublic)
async def set_flags(
    thread_id: str, body: s.FlagsIn, session: SessionDep, company_id: CurrentCompany
) -> Any:
    """Set (true) or clear (false) flags, e.g. `{"operator": true}` hands the dialog to a person."""
    thread, task = await _load(session, company_id, thread_id, for_update=True)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    contact = changes.pop("contact", None)
    for flag, value in changes.items():
        await dialogs.set_flag(
            session,
            thread=thread,
            task=task,
            flag=flag,
            value=value,
            source="api",
            contact=contact if flag == "get_contact" else None,
        )
    if contact and "get_contact" not in changes:
        thread.contact = contact
    await session.commit()
    return presenters.thread(thread)
