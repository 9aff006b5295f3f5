"""Shared dependencies of the HTTP routes: the database session and the authenticated company."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.api.errors import ApiError
from botdesk.core.config import Settings
from botdesk.db.engine import Database
from botdesk.tenancy.service import company_for_bearer


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_session(db: Annotated[Database, Depends(get_db)]) -> AsyncIterator[AsyncSession]:
    """A session for one request; the route commits what it changed, anything else rolls back."""
    async with db.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_current_company(request: Request, session: SessionDep) -> str:
    """The company behind `Authorization: Bearer <token from /wf/auth or API key>`."""
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise ApiError(401, "authorization: a Bearer token or API key is required")
    company_id = await company_for_bearer(session, credential.strip())
    if company_id is None:
        raise ApiError(401, "authorization: the token or API key is invalid or expired")
    return company_id


CurrentCompany = Annotated[str, Depends(get_current_company)]
