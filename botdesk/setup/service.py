"""Create, read, update and delete what a company sets up, always scoped to that company.

Every lookup filters by company: another company's object is simply "not found".
"""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.core.ids import new_id
from botdesk.core.security import new_webhook_secret
from botdesk.models import AI, Channel, ChatList, Integration, Manager, Task, Thread

DEFAULT_FUNCTIONS = ["success", "get_contact", "interest", "close", "operator"]

M = TypeVar("M", Channel, Manager, AI, Integration, ChatList, Task, Thread)


class SetupError(Exception):
    """Input that is well-formed but not acceptable; `field` names the culprit."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.status = status


async def get_owned(session: AsyncSession, model: type[M], company_id: str, id: str) -> M | None:
    obj = await session.get(model, id)
    if obj is None or obj.company_id != company_id:
        return None
    return obj


async def list_owned(
    session: AsyncSession, model: type[M], company_id: str, *, page: int, page_size: int
) -> tuple[list[M], int]:
    base = select(model).where(model.company_id == company_id)
    total = (await session.execute(select(func.count()).select_from(base.subquery()))).scalar_one()
    rows = await session.execute(
        base.order_by(model.created.desc(), model.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return list(rows.scalars()), int(total)


def apply(obj: Any, changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        setattr(obj, key, value)


async def create_owned(
    session: AsyncSession, *, model: type, company_id: str, data: dict[str, Any]
) -> Any:
    """A new object of the company for set-up objects that need nothing but their fields."""
    obj = model(id=new_id(), company_id=company_id, **data)
    session.add(obj)
    return obj


async def update_owned(session: AsyncSession, *, obj: Any, changes: dict[str, Any]) -> Any:
    apply(obj, changes)
    return obj


def validate_webhook_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SetupError("webhook_url", "must be an absolute http(s) URL")
    try:
        from botdesk.webhooks.ssrf import check_url_literal
    except ImportError:  # pragma: no cover - during development only
        return
    from botdesk.core.config import get_settings

    problem = check_url_literal(url, get_settings().webhook_allow_private)
    if problem:
        raise SetupError("webhook_url", problem)


async def create_integration(
    session: AsyncSession, *, company_id: str, data: dict[str, Any]
) -> Integration:
    validate_webhook_url(data["webhook_url"])
    integration = Integration(
        id=new_id(), company_id=company_id, secret=new_webhook_secret(), **data
    )
    session.add(integration)
    return integration


async def create_ai(session: AsyncSession, *, company_id: str, data: dict[str, Any]) -> AI:
    if data.get("functions") is None:
        data["functions"] = list(DEFAULT_FUNCTIONS)
    ai = AI(id=new_id(), company_id=company_id, **data)
    session.add(ai)
    return ai


async def _resolve_refs(
    session: AsyncSession, company_id: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Check that every referenced object belongs to the company; turn id lists into rows."""
    refs: dict[str, Any] = {}
    for field, model in (("channel_id", Channel), ("ai_id", AI), ("manager_id", Manager)):
        value = data.get(field)
        if value is not None and await get_owned(session, model, company_id, value) is None:
            raise SetupError(field, f"no {model.__tablename__[:-1]} with id {value!r}")
    for field, model in (("integration_ids", Integration), ("list_ids", ChatList)):
        ids = data.pop(field, None)
        if ids is None:
            continue
        rows = []
        for value in dict.fromkeys(ids):
            row = await get_owned(session, model, company_id, value)
            if row is None:
                raise SetupError(field, f"no {model.__tablename__[:-1]} with id {value!r}")
            rows.append(row)
        refs["integrations" if field == "integration_ids" else "lists"] = rows
    return refs


async def create_task(session: AsyncSession, *, company_id: str, data: dict[str, Any]) -> Task:
    refs = await _resolve_refs(session, company_id, data)
    task = Task(id=new_id(), company_id=company_id, **data)
    task.integrations = refs.get("integrations", [])
    task.lists = refs.get("lists", [])
    session.add(task)
    return task


async def update_task(session: AsyncSession, *, task: Task, changes: dict[str, Any]) -> Task:
    refs = await _resolve_refs(session, task.company_id, changes)
    apply(task, changes)
    if "integrations" in refs:
        task.integrations = refs["integrations"]
    if "lists" in refs:
        task.lists = refs["lists"]
    return task


async def in_use(session: AsyncSession, obj: Any) -> bool:
    """Channels, AIs and managers referenced by a task cannot be deleted."""
    column = {Channel: Task.channel_id, AI: Task.ai_id, Manager: Task.manager_id}.get(type(obj))
    if column is None:
        return False
    found = await session.execute(select(Task.id).where(column == obj.id).limit(1))
    return found.scalar_one_or_none() is not None


async def task_has_threads(session: AsyncSession, task: Task) -> bool:
    found = await session.execute(select(Thread.id).where(Thread.task_id == task.id).limit(1))
    return found.scalar_one_or_none() is not None
