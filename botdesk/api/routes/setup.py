"""Management routes for channels, managers, AIs, integrations, lists and tasks."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.api import presenters
from botdesk.api import schemas as s
from botdesk.api.errors import ApiError
from botdesk.api.routes.crud import crud_router
from botdesk.models import AI, Channel, ChatList, Integration, Manager, Task
from botdesk.setup import service


async def _update_integration(session: AsyncSession, *, obj: Integration, changes: dict) -> Any:
    if "webhook_url" in changes:
        service.validate_webhook_url(changes["webhook_url"])
    if changes.get("enabled") is True:
        changes["disabled_reason"] = ""
        changes["failing_since"] = None
    service.apply(obj, changes)
    return obj


async def _update_task(session: AsyncSession, *, obj: Task, changes: dict) -> Any:
    return await service.update_task(session, task=obj, changes=changes)


async def _refuse_task_with_dialogs(session: AsyncSession, task: Task) -> None:
    if await service.task_has_threads(session, task):
        raise ApiError(409, "id: this task has dialogs; stop it instead of deleting it")


routers = [
    crud_router(
        path="channels",
        tag="channels",
        model=Channel,
        create_schema=s.ChannelCreate,
        update_schema=s.ChannelUpdate,
        public_schema=s.ChannelPublic,
        present=presenters.channel,
    ),
    crud_router(
        path="managers",
        tag="managers",
        model=Manager,
        create_schema=s.ManagerCreate,
        update_schema=s.ManagerUpdate,
        public_schema=s.ManagerPublic,
        present=presenters.manager,
    ),
    crud_router(
        path="ais",
        tag="ais",
        model=AI,
        create_schema=s.AICreate,
        update_schema=s.AIUpdate,
        public_schema=s.AIPublic,
        present=presenters.ai,
        create=service.create_ai,
    ),
    crud_router(
        path="integrations",
        tag="integrations",
        model=Integration,
        create_schema=s.IntegrationCreate,
        update_schema=s.IntegrationUpdate,
        public_schema=s.IntegrationPublic,
        present=presenters.integration,
        create=service.create_integration,
        update=_update_integration,
        created_schema=s.IntegrationWithSecret,
        present_created=presenters.integration_with_secret,
    ),
    crud_router(
        path="lists",
        tag="lists",
        model=ChatList,
        create_schema=s.ListCreate,
        update_schema=s.ListUpdate,
        public_schema=s.ListPublic,
        present=presenters.chat_list,
    ),
    crud_router(
        path="tasks",
        tag="tasks",
        model=Task,
        create_schema=s.TaskCreate,
        update_schema=s.TaskUpdate,
        public_schema=s.TaskPublic,
        present=presenters.task,
        create=service.create_task,
        update=_update_task,
        before_delete=_refuse_task_with_dialogs,
    ),
]
