"""Read-side queries over dialogs, always scoped to one company."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.models import FLAGS, Message, Task, Thread

ThreadSort = Literal["date", "-date", "count", "-count"]


async def get_thread(session: AsyncSession, *, company_id: str, thread_id: str) -> Thread | None:
    thread = await session.get(Thread, thread_id)
    if thread is None or thread.company_id != company_id:
        return None
    return thread


async def thread_with_task(
    session: AsyncSession, *, company_id: str, thread_id: str, for_update: bool = False
) -> tuple[Thread, Task] | None:
    """The thread and its task; `for_update` locks the thread for a change."""
    if for_update:
        from botdesk.dialogs.service import lock_thread

        thread = await lock_thread(session, thread_id)
        if thread is not None and thread.company_id != company_id:
            thread = None
    else:
        thread = await get_thread(session, company_id=company_id, thread_id=thread_id)
    if thread is None:
        return None
    task = await session.get(Task, thread.task_id)
    assert task is not None
    return thread, task


async def list_threads(
    session: AsyncSession,
    *,
    company_id: str,
    task_id: str | None = None,
    flag: str | None = None,
    sort: ThreadSort = "-date",
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[Thread], int]:
    """Dialogs of the company, optionally of one task and with one flag set; newest first."""
    query = select(Thread).where(Thread.company_id == company_id)
    if task_id:
        query = query.where(Thread.task_id == task_id)
    if flag:
        assert flag in FLAGS
        query = query.where(getattr(Thread, flag).is_(True))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    column = Thread.count_message if sort.endswith("count") else Thread.last_message
    order = column.desc() if sort.startswith("-") else column.asc()
    query = query.order_by(order, Thread.id.desc()).offset((page - 1) * page_size).limit(page_size)
    return list((await session.execute(query)).scalars()), int(total)


async def messages_of(session: AsyncSession, *, thread_id: str, limit: int = 1000) -> list[Message]:
    """The thread's messages in order (live updates follow with `dialogs.live`)."""
    query = (
        select(Message)
        .where(Message.thread_id == thread_id)
        .order_by(Message.created, Message.id)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())
