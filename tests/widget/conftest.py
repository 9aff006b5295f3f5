"""The app over ASGI with its web chat state reachable, for the widget's route tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from botdesk.core.config import Settings
from botdesk.db.engine import Database


@pytest.fixture
async def app(settings: Settings, db: Database) -> FastAPI:
    from botdesk.api.app import create_app

    application = create_app(settings, db=db)
    limits = application.state.widget_limits
    limits.poll_seconds, limits.stream_seconds = 0.05, 0.6  # streams end fast over ASGI
    return application


@pytest.fixture
async def web(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://botdesk.test") as http:
        yield http


@pytest.fixture
def web_setup(web: httpx.AsyncClient, make_tenant: Any) -> Any:
    """A company with a `widget` channel and a running task on it."""

    async def make(channel_name: str = "Shop chat", **task_fields: Any) -> dict[str, Any]:
        tenant = await make_tenant()

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await web.post(path, json=body, headers=tenant.headers)
            assert response.status_code == 201, response.text
            return dict(response.json())

        channel = await post("/v1/channels", {"name": channel_name, "type": "widget"})
        ai = await post("/v1/ais", {"name": "Helper"})
        task = await post(
            "/v1/tasks",
            {"name": "Web", "channel_id": channel["id"], "ai_id": ai["id"], **task_fields},
        )
        return {"tenant": tenant, "channel": channel, "task": task}

    return make
