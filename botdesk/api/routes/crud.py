"""One small factory for the create / list / get / update / delete routes every setup object has.

Each resource supplies its schemas, a presenter and, where creating needs more than a row
(secrets, references), its own create and update functions from `setup.service`.
"""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.api.deps import CurrentCompany, SessionDep, SettingsDep
from botdesk.api.errors import ApiError, NotFound
from botdesk.api.schemas import Page
from botdesk.setup.service import (
    SetupError,
    create_owned,
    get_owned,
    in_use,
    list_owned,
    update_owned,
)

Creator = Callable[..., Awaitable[Any]]


def crud_router(
    *,
    path: str,
    tag: str,
    model: type,
    create_schema: type[BaseModel],
    update_schema: type[BaseModel],
    public_schema: type[BaseModel],
    present: Callable[[Any], BaseModel],
    create: Creator | None = None,
    update: Creator | None = None,
    created_schema: type[BaseModel] | None = None,
    present_created: Callable[[Any], BaseModel] | None = None,
    before_delete: Callable[[AsyncSession, Any], Awaitable[None]] | None = None,
) -> APIRouter:
    router = APIRouter(prefix=f"/v1/{path}", tags=[tag])
    noun = path[:-1]

    async def load(session: AsyncSession, company_id: str, id: str) -> Any:
        obj = await get_owned(session, model, company_id, id)
        if obj is None:
            raise NotFound(f"{noun} {id}")
        return obj

    async def create_route(
        body: create_schema,
        session: SessionDep,
        company_id: CurrentCompany,  # type: ignore[valid-type]
    ) -> Any:
        data = body.model_dump()
        try:
            if create is None:
                obj = await create_owned(session, model=model, company_id=company_id, data=data)
            else:
                obj = await create(session, company_id=company_id, data=data)
        except SetupError as exc:
            raise ApiError(exc.status, str(exc)) from exc
        await session.commit()
        return (present_created or present)(obj)

    router.add_api_route(
        "",
        create_route,
        methods=["POST"],
        status_code=201,
        response_model=created_schema or public_schema,
        summary=f"Create a {noun}",
    )

    async def list_route(
        session: SessionDep,
        company_id: CurrentCompany,
        settings: SettingsDep,
        page: int = Query(1, ge=1, le=100000),
    ) -> Any:
        rows, total = await list_owned(
            session, model, company_id, page=page, page_size=settings.page_size
        )
        return {
            "items": [present(r) for r in rows],
            "page": page,
            "page_size": settings.page_size,
            "total": total,
        }

    router.add_api_route(
        "",
        list_route,
        methods=["GET"],
        response_model=Page[public_schema],  # type: ignore[valid-type]
        summary=f"List {path}",
    )

    async def get_route(id: str, session: SessionDep, company_id: CurrentCompany) -> Any:
        return present(await load(session, company_id, id))

    router.add_api_route(
        "/{id}", get_route, methods=["GET"], response_model=public_schema, summary=f"Get a {noun}"
    )

    async def update_route(
        id: str,
        body: update_schema,
        session: SessionDep,
        company_id: CurrentCompany,  # type: ignore[valid-type]
    ) -> Any:
        obj = await load(session, company_id, id)
        changes = body.model_dump(exclude_unset=True)
        try:
            await (update or update_owned)(session, obj=obj, changes=changes)
        except SetupError as exc:
            raise ApiError(exc.status, str(exc)) from exc
        await session.commit()
        return present(obj)

    router.add_api_route(
        "/{id}",
        update_route,
        methods=["PATCH"],
        response_model=public_schema,
        summary=f"Update a {noun}",
    )

    async def delete_route(id: str, session: SessionDep, company_id: CurrentCompany) -> Response:
        obj = await load(session, company_id, id)
        if await in_use(session, obj):
            raise ApiError(409, f"id: this {noun} is used by a task; change the task first")
        if before_delete is not None:
            await before_delete(session, obj)
        await session.delete(obj)
        await session.commit()
        return Response(status_code=204)

    router.add_api_route(
        "/{id}",
        delete_route,
        methods=["DELETE"],
        status_code=204,
        response_class=Response,
        summary=f"Delete a {noun}",
    )
    return router
