"""Tasks: bind a channel, an AI, integrations, a manager and lists; start, pause or stop."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.api import schemas as s
from botdesk.models import AI, Channel, ChatList, Integration, Manager, Task
from botdesk.panel.deps import Ctx, CtxDep, FormDep, redirect
from botdesk.panel.forms import Field, Options
from botdesk.panel.pages.resources import Resource, load, resource_router
from botdesk.setup import service
from botdesk.setup.service import list_owned

STATUSES = (("running", "Running"), ("paused", "Paused"), ("stopped", "Stopped"))
# The buttons on a task's page and the status each sets.
STATUS_ACTIONS = {"start": "running", "pause": "paused", "stop": "stopped"}


def _options(model: type, label: Any = None) -> Any:
    async def load_options(ctx: Ctx) -> Options:
        rows, _ = await list_owned(ctx.db, model, ctx.company_id, page=1, page_size=500)
        return [(row.id, label(row) if label else row.name) for row in rows]

    return load_options


async def _create(session: AsyncSession, *, company_id: str, data: dict) -> Task:
    return await service.create_task(session, company_id=company_id, data=data)


async def _update(session: AsyncSession, *, obj: Task, changes: dict) -> Task:
    return await service.update_task(session, task=obj, changes=changes)


async def _refuse_with_dialogs(session: AsyncSession, task: Task) -> str | None:
    if await service.task_has_threads(session, task):
        return "This task has dialogs; stop it instead of deleting it."
    return None


async def _names(ctx: Ctx, task: Task) -> dict[str, Any]:
    return {"statuses": dict(STATUSES)}


tasks = Resource(
    path="tasks",
    title="Tasks",
    noun="task",
    model=Task,
    create_schema=s.TaskCreate,
    update_schema=s.TaskUpdate,
    create=_create,
    update=_update,
    delete_guard=_refuse_with_dialogs,
    edit_template="task.html",
    extra=_names,
    intro="A task binds a channel, an AI and integrations; its id is what the API references.",
    fields=(
        Field("name", "Name", required=True),
        Field(
            "type",
            "Type",
            "select",
            (("web", "Web"), ("api", "API"), ("outbound", "Outbound")),
            create_only=True,
        ),
        Field("mode", "Mode", "select", (("inbound", "Inbound"), ("outbound", "Outbound"))),
        Field("channel_id", "Channel", "select", load_options=_options(Channel), required=True),
        Field("ai_id", "AI", "select", load_options=_options(AI), required=True),
        Field(
            "integration_ids",
            "Integrations",
            "multi",
            load_options=_options(Integration, lambda i: f"{i.name} ({i.webhook_type})"),
        ),
        Field("manager_id", "Manager", "select", load_options=_options(Manager), optional=True),
        Field(
            "spending_limit",
            "Spending limit per dialog, USD",
            "number",
            optional=True,
            help="past it the dialog goes to an operator; empty = no limit",
            attrs={"min": "0"},
        ),
        Field(
            "list_ids",
            "Lists",
            "multi",
            load_options=_options(ChatList, lambda x: f"{x.name} ({x.kind} list)"),
        ),
        Field("greeting", "Greeting (first message of an outbound dialog)", "textarea"),
        Field("status", "Status", "select", STATUSES),
    ),
    columns=(
        ("Name", lambda t: t.name),
        ("Type", lambda t: f"{t.type} · {t.mode}"),
        ("Status", lambda t: t.status),
        ("Id", lambda t: t.id),
    ),
)

router = resource_router(tasks)


@router.post("/panel/tasks/{id}/status")
async def set_status(id: str, ctx: CtxDep, form: FormDep) -> Response:
    """Start, pause or stop a task."""
    task = await load(ctx, tasks, id)
    status = STATUS_ACTIONS.get(str(form.get("action", "")))
    if status is not None:
        await service.update_task(ctx.db, task=task, changes={"status": status})
        await ctx.db.commit()
    return redirect(f"/panel/tasks/{task.id}")
