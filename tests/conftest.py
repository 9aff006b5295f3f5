"""Shared fixtures: a real database per test (SQLite and PostgreSQL), the app over ASGI,
and factories for companies and their set-up."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from botdesk.core.config import Settings, get_settings
from botdesk.db.engine import Database
from tests.support import databases

BACKENDS = ["sqlite", "postgres"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    try:
        databases.drop_template()
    except Exception:  # noqa: BLE001 - PostgreSQL may be absent
        pass


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated database of the parametrized backend."""
    if backend == "sqlite":
        yield databases.new_sqlite_database(tmp_path)
        return
    url, name = databases.new_postgres_database()
    yield url
    databases.drop_postgres_database(name)


@pytest.fixture
def settings(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("BOTDESK_DATABASE_URL", database_url)
    monkeypatch.setenv("BOTDESK_BASE_URL", "http://botdesk.test")
    monkeypatch.setenv("BOTDESK_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("BOTDESK_WEBHOOK_ALLOW_PRIVATE", "127.0.0.0/8")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database(settings)
    yield database
    await database.dispose()


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    from botdesk.api.app import create_app

    app = create_app(settings, db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://botdesk.test") as http:
        yield http


@dataclass
class Tenant:
    company_id: str
    user_id: str
    api_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@pytest.fixture
def make_tenant(db: Database) -> Any:
    from botdesk.tenancy.service import bootstrap

    async def make(name: str = "Acme", email: str | None = None) -> Tenant:
        async with db.transaction() as session:
            made = await bootstrap(
                session,
                email=email or f"{name.lower()}@example.com",
                password="correct horse",
                company_name=name,
            )
        return Tenant(made.company_id, made.user_id, made.api_key)

    return make


@dataclass
class Setup:
    tenant: Tenant
    channel: dict[str, Any]
    ai: dict[str, Any]
    integration: dict[str, Any]
    task: dict[str, Any]


@pytest.fixture
def make_setup(client: httpx.AsyncClient) -> Any:
    """Channel, AI, integration and task created through the management API."""

    async def make(
        tenant: Tenant, *, webhook_url: str = "http://127.0.0.1:9/hook", **task_fields: Any
    ) -> Setup:
        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await client.post(path, json=body, headers=tenant.headers)
            assert response.status_code == 201, response.text
            return dict(response.json())

        channel = await post("/v1/channels", {"name": "Site", "type": "page_messenger"})
        ai = await post(
            "/v1/ais",
            {"name": "Helper", "knowledge": [{"question": "Hours?", "answer": "9 to 5."}]},
        )
        integration = await post("/v1/integrations", {"name": "Hook", "webhook_url": webhook_url})
        task = await post(
            "/v1/tasks",
            {
                "name": "Web",
                "channel_id": channel["id"],
                "ai_id": ai["id"],
                "integration_ids": [integration["id"]],
                **task_fields,
            },
        )
        return Setup(tenant, channel, ai, integration, task)

    return make
