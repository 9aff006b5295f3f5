"""Browser test kit: Debian's Chromium, a real `botdesk serve` with two companies, a webhook
receiver on 127.0.0.1:0, and small page helpers."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.support import databases
from tests.support.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.support.server import bootstrap, botdesk_env, running_server

WAIT_MS = 30_000
PASSWORD = "panel-pass-1"
HOURS_Q = "What are your opening hours?"
HOURS_A = "We work 9 to 5."


class Receiver:
    """A webhook receiver on 127.0.0.1:0 that keeps every JSON body it gets."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        received = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", "0"))
                received.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, match: Callable[[dict[str, Any]], bool], seconds: float = 30) -> dict:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for body in list(self.bodies):
                if match(body):
                    return body
            time.sleep(0.2)
        raise AssertionError(f"no matching webhook among {len(self.bodies)} received")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A real server with two companies (A and B), each with an owner, and a receiver."""
    require_chromium()
    env = botdesk_env(databases.new_sqlite_database(tmp_path_factory.mktemp("panel")))
    boots = {}
    for name in ("Alpha", "Beta"):
        boots[name] = bootstrap(
            env, email=f"{name.lower()}@example.com", company=name, password=PASSWORD
        )
    receiver = Receiver()
    ARTIFACTS.mkdir(exist_ok=True)
    with running_server(env) as base:
        yield {"base": base, "boots": boots, "receiver": receiver, "state": {}}
    receiver.server.shutdown()


@pytest.fixture(scope="module")
def chromium(world: dict[str, Any]) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"panel-{name}.png"), full_page=True)


def login(page: Any, base: str, email: str, next_path: str = "") -> None:
    page.goto(base + (next_path or "/panel/login"))
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")


def new_page(chromium: Any, *, phone: bool = False) -> Any:
    viewport = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    return chromium.new_context(viewport=viewport, accept_downloads=True).new_page()


def api(world: dict[str, Any], company: str = "Alpha") -> httpx.Client:
    key = world["boots"][company]["api_key"]
    return httpx.Client(
        base_url=world["base"], headers={"Authorization": f"Bearer {key}"}, timeout=30
    )


def send(world: dict[str, Any], chat_id: str, text: str) -> str:
    task_id = world["state"]["task_id"]
    with api(world) as http:
        response = http.post(
            "/api/1.1/wf/send_message_external",
            json={"task_id": task_id, "chat_id": chat_id, "message": text},
        )
    assert response.status_code == 200, response.text
    return str(response.json()["response"]["thread"]["_id"])
