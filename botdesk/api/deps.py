"""Shared dependencies of the HTTP routes: the database session and the authenticated company."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.api.errors import ApiError
from botdesk.core.config import Settings
from botdesk.core.ids import now_ms
from botdesk.db.engine import Database
from botdesk.tenancy.service import company_for_bearer


async def get_db(request: Request) -> Database:
    # async: a plain def would be run in a worker thread on every request.
    return request.app.state.db


async def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


async def get_session(db: Annotated[Database, Depends(get_db)]) -> AsyncIterator[AsyncSession]:
    """A session for one request; the route commits what it changed, anything else rolls back."""
    async with db.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


# A valid credential is remembered this long per process, in seconds: it saves a query per
# request; a revoked key stops working within this time. Unknown credentials are never cached.
AUTH_CACHE_SECONDS = 5.0
AUTH_CACHE_SIZE = 10_000
_auth_cache: dict[str, tuple[str, int]] = {}


# Declares the bearer scheme in the OpenAPI document; the checking is done below.
_bearer = HTTPBearer(auto_error=False, description="The token from /api/1.1/wf/auth or an API key")


async def get_current_company(
    db: Annotated[Database, Depends(get_db)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The company behind `Authorization: Bearer <token from /wf/auth or API key>`."""
    return await company_of(db, bearer.credentials if bearer else "")


async def company_of(db: Database, credential: str) -> str:
    """The company a bearer credential belongs to, or ApiError 401."""
    credential = credential.strip()
    if not credential:
        raise ApiError(401, "authorization: a Bearer token or API key is required")
    now = now_ms()
    cached = _auth_cache.get(credential)
    if cached is not None and cached[1] > now:
        return cached[0]
    # One lookup per credential at a time: when a busy key's cache entry expires, the requests
    # already in flight share the query instead of each running it.
    key = (id(asyncio.get_running_loop()), credential)
    pending = _lookups.get(key)
    if pending is None:
        pending = asyncio.ensure_future(_look_up(db, credential))
        _lookups[key] = pending
        pending.add_done_callback(lambda _: _lookups.pop(key, None))
    company_id = await asyncio.shield(pending)
    if company_id is None:
        raise ApiError(401, "authorization: the token or API key is invalid or expired")
    return company_id


_lookups: dict[tuple[int, str], asyncio.Future[str | None]] = {}


async def _look_up(db: Database, credential: str) -> str | None:
    # Its own short transaction: on SQLite every transaction holds the write lock, and the
    # request may next wait for a group commit that needs it.
    async with db.sessions() as session:
        found = await company_for_bearer(session, credential)
    if found is None:
        _auth_cache.pop(credential, None)
        return None
    company_id, valid_until = found
    if len(_auth_cache) >= AUTH_CACHE_SIZE:
        _auth_cache.clear()
    now = now_ms()
    _auth_cache[credential] = (company_id, min(valid_until, now + int(AUTH_CACHE_SECONDS * 1000)))
    return company_id


CurrentCompany = Annotated[str, Depends(get_current_company)]
