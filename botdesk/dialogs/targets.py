"""Outreach targets of outbound tasks (the seed's `add_target`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.core.ids import new_id
from botdesk.models import Target, Task


async def add_target(session: AsyncSession, *, task: Task, target: str) -> bool:
    """Add `target` to the task once; returns False when it was already there."""
    target = target.strip()
    exists = await session.execute(
        select(Target.id).where(Target.task_id == task.id, Target.target == target)
    )
    if exists.scalar_one_or_none() is not None:
        return False
    session.add(Target(id=new_id(), company_id=task.company_id, task_id=task.id, target=target))
    return True
