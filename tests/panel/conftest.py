"""Panel test kit: a browser-like client per user (own cookies), logged in through the form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from botdesk.core.config import Settings
from botdesk.db.engine import Database

PASSWORD = "correct horse"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


class Browser:
    """An httpx client that keeps its cookies and knows its CSRF token, like one browser."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.csrf = ""

    async def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        page = await self.http.get("/panel/login")
        response = await self.http.post(
            "/panel/login",
            data={"email": email, "password": password, "csrf_token": csrf_of(page.text)},
        )
        if response.status_code == 303:
            self.csrf = csrf_of((await self.http.get("/panel/chats")).text)
        return response

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(path, **kwargs)

    async def post(
        self, path: str, data: dict[str, Any] | None = None, **kw: Any
    ) -> httpx.Response:
        return await self.http.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kw)


@pytest.fixture
async def app(settings: Settings, db: Database) -> Any:
    from botdesk.api.app import create_app

    return create_app(settings, db=db)


@pytest.fixture
async def browser(app: Any) -> AsyncIterator[Any]:
    """`await browser()` opens a new browser (its own cookie jar) on the app."""
    opened: list[httpx.AsyncClient] = []

    async def open_browser(base_url: str = "http://botdesk.test") -> Browser:
        http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)
        opened.append(http)
        return Browser(http)

    yield open_browser
    for http in opened:
        await http.aclose()


@pytest.fixture
async def logged_in(browser: Any, make_tenant: Any) -> Any:
    """`await logged_in("Acme")`: a tenant and a browser logged in as its owner."""

    async def make(name: str = "Acme") -> tuple[Any, Browser]:
        tenant = await make_tenant(name)
        b = await browser()
        response = await b.login(f"{name.lower()}@example.com")
        assert response.status_code == 303, response.text
        return tenant, b

    return make
