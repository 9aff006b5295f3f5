"""One small factory for the list / create / edit / delete pages every setup object has.

Each section (channels, AI, integrations, tasks, lists, managers) describes its fields and,
where creating needs more than a row (secrets, references), its `setup.service` functions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from botdesk.panel.deps import Ctx, CtxDep, FormDep, not_found, redirect
from botdesk.panel.forms import Field, FormErrors, parse, resolve, validate, value_of
from botdesk.setup.service import (
    SetupError,
    create_owned,
    get_owned,
    in_use,
    list_owned,
    update_owned,
)

Creator = Callable[..., Awaitable[Any]]
Column = tuple[str, Callable[[Any], Any]]
# Extra values for the edit page (delivery log, test box, ...), given the context and object.
Extra = Callable[[Ctx, Any], Awaitable[dict[str, Any]]]
# What to show right after creating (e.g. a secret shown once), instead of the list.
OnCreated = Callable[[Ctx, Any], Awaitable[Response]]
# Parses what plain fields cannot express (knowledge rows, reminders) into schema values.
ExtraParse = Callable[[FormData, "FormErrors"], dict[str, Any]]
# Refuses a delete with a message (e.g. a task that has dialogs), or None to allow it.
DeleteGuard = Callable[[AsyncSession, Any], Awaitable[str | None]]

# Rows shown on a section's list page.
LIST_LIMIT = 500


@dataclass(frozen=True)
class Resource:
    path: str
    title: str
    noun: str
    model: type
    fields: tuple[Field, ...]
    create_schema: type[BaseModel]
    update_schema: type[BaseModel]
    columns: tuple[Column, ...]
    create: Creator | None = None
    update: Creator | None = None
    edit_template: str = "resource.html"
    extra: Extra | None = None
    on_created: OnCreated | None = None
    delete_guard: DeleteGuard | None = None
    intro: str = ""
    extra_parse: ExtraParse | None = None

    def create_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.edit_only)

    def update_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if not f.create_only)


async def load(ctx: Ctx, resource: Resource, id: str) -> Any:
    obj = await get_owned(ctx.db, resource.model, ctx.company_id, id)
    if obj is None:
        raise not_found(resource.noun)
    return obj


async def list_page(
    ctx: Ctx, r: Resource, *, values: dict | None = None, errors: FormErrors | None = None
) -> Response:
    rows, total = await list_owned(ctx.db, r.model, ctx.company_id, page=1, page_size=LIST_LIMIT)
    return ctx.render(
        "resources.html",
        400 if errors else 200,
        section=r.path,
        r=r,
        rows=rows,
        total=total,
        fields=await resolve(r.create_fields(), ctx),
        values=values or {},
        errors=errors or {},
    )


async def edit_page(
    ctx: Ctx,
    r: Resource,
    obj: Any,
    *,
    values: dict | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
    **more: Any,
) -> Response:
    fields = await resolve(r.update_fields(), ctx)
    current = {f.name: value_of(obj, f) for f in fields}
    extra = await r.extra(ctx, obj) if r.extra else {}
    return ctx.render(
        r.edit_template,
        400 if errors and status == 200 else status,
        section=r.path,
        r=r,
        obj=obj,
        fields=fields,
        values={**current, **(values or {})},
        errors=errors or {},
        **{**extra, **more},
    )


def resource_router(r: Resource) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    base = f"/panel/{r.path}"

    @router.get(base, name=f"{r.path}_list")
    async def list_route(ctx: CtxDep) -> Response:
        return await list_page(ctx, r)

    @router.post(base, name=f"{r.path}_create")
    async def create_route(ctx: CtxDep, form: FormDep) -> Response:
        errors = FormErrors()
        raw = parse(form, r.create_fields(), errors)
        if r.extra_parse is not None:
            raw.update(r.extra_parse(form, errors))
        data = validate(r.create_schema, raw, errors)
        if data is None:
            return await list_page(ctx, r, values=raw, errors=errors)
        try:
            if r.create is None:
                obj = await create_owned(
                    ctx.db, model=r.model, company_id=ctx.company_id, data=data
                )
            else:
                obj = await r.create(ctx.db, company_id=ctx.company_id, data=data)
        except SetupError as exc:
            errors[exc.field] = str(exc).partition(": ")[2]
            return await list_page(ctx, r, values=raw, errors=errors)
        await ctx.db.commit()
        if r.on_created is not None:
            return await r.on_created(ctx, obj)
        return redirect(f"{base}/{obj.id}")

    @router.get(base + "/{id}", name=f"{r.path}_edit")
    async def edit_route(id: str, ctx: CtxDep) -> Response:
        return await edit_page(ctx, r, await load(ctx, r, id))

    @router.post(base + "/{id}", name=f"{r.path}_update")
    async def update_route(id: str, ctx: CtxDep, form: FormDep) -> Response:
        obj = await load(ctx, r, id)
        errors = FormErrors()
        raw = parse(form, r.update_fields(), errors)
        if r.extra_parse is not None:
            raw.update(r.extra_parse(form, errors))
        for name in _passwords(r):
            if not raw.get(name):
                raw.pop(name, None)
        changes = validate(r.update_schema, raw, errors)
        if changes is None:
            return await edit_page(ctx, r, obj, values=raw, errors=errors)
        try:
            await (r.update or update_owned)(ctx.db, obj=obj, changes=changes)
        except SetupError as exc:
            errors[exc.field] = str(exc).partition(": ")[2]
            await ctx.db.rollback()
            return await edit_page(ctx, r, await load(ctx, r, id), values=raw, errors=errors)
        await ctx.db.commit()
        return redirect(f"{base}/{obj.id}?saved=1")

    @router.post(base + "/{id}/delete", name=f"{r.path}_delete")
    async def delete_route(id: str, ctx: CtxDep, form: FormDep) -> Response:
        obj = await load(ctx, r, id)
        refusal = None
        if await in_use(ctx.db, obj):
            refusal = f"This {r.noun} is used by a task; change the task first."
        elif r.delete_guard is not None:
            refusal = await r.delete_guard(ctx.db, obj)
        if refusal:
            return await edit_page(ctx, r, obj, status=409, refusal=refusal)
        await ctx.db.delete(obj)
        await ctx.db.commit()
        return redirect(base)

    return router


def _passwords(r: Resource) -> set[str]:
    """Password fields left empty on an edit form keep their stored value."""
    return {f.name for f in r.fields if f.kind == "password"}
