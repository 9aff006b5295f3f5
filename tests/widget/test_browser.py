"""The web chat in Debian's Chromium (Playwright), on loopback, against a real `botdesk serve`:
a site embeds the snippet, a visitor writes and sees the AI's answer and an operator's reply
live, a reload keeps the history, and a dropped connection resumes with no gaps or duplicates.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from botdesk.widget.snippet import snippet
from tests.client.live import Live, live_botdesk
from tests.support.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, require_chromium
from tests.widget.proxy import CuttableProxy

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    require_chromium()
    with live_botdesk(tmp_path_factory.mktemp("widget")) as server:
        yield server


@pytest.fixture(scope="module")
def proxy(live: Live) -> Iterator[CuttableProxy]:
    with CuttableProxy(urlsplit(live.base_url).port or 80) as running:
        yield running


PAGE = """<!doctype html><html><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Shop</title></head>
<body><h1>Acme Shop</h1><p>Welcome to our shop.</p>
{snippet}
</body></html>"""


@pytest.fixture(scope="module")
def chat_setup(live: Live) -> dict[str, Any]:
    """A widget channel, an AI that knows the opening hours, and a running task."""
    from botdesk.client import Client

    with Client(live.base_url, live.api_key) as client:
        channel = client.channels.create(name="Acme Shop", type="widget")
        manager = client.managers.create(name="Mia")
        ai = client.ais.create(
            name="Shop AI",
            knowledge=[{"question": "What are your opening hours?", "answer": "We work 9 to 5."}],
        )
        task = client.tasks.create(
            name="Site chat", channel_id=channel["id"], ai_id=ai["id"], manager_id=manager["id"]
        )
    return {"channel": channel["id"], "task": task["id"]}


@pytest.fixture(scope="module")
def site(proxy: CuttableProxy, chat_setup: dict[str, Any]) -> Iterator[str]:
    """Another origin (its own port) serving a page that embeds the one-line snippet."""
    body = PAGE.format(
        snippet=snippet(f"http://127.0.0.1:{proxy.port}", chat_setup["channel"])
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(live: Live) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def open_chat(page: Any, site: str) -> Any:
    page.goto(site)
    page.click("#botdesk-launcher")
    frame = page.frame_locator("#botdesk-frame")
    frame.locator("#status:is([data-state=online], [data-state=idle])").wait_for(timeout=WAIT_MS)
    return frame


def chat_state(frame: Any) -> dict[str, Any]:
    return frame.locator("#chat").evaluate(
        "() => ({visitor: botdeskChat.visitor, received: botdeskChat.received.slice(),"
        " duplicates: botdeskChat.duplicates, cursor: botdeskChat.cursor,"
        " connected: !!botdeskChat.source})"
    )


def shown(frame: Any) -> list[str]:
    """Texts of the confirmed messages, in the order the visitor sees them."""
    return frame.locator("li.msg[data-id] .msg-text").all_inner_texts()


def server_thread(live: Live, chat_setup: dict[str, Any], visitor: str) -> dict[str, Any]:
    from botdesk.widget.service import chat_id_for

    headers = {"Authorization": f"Bearer {live.api_key}"}
    chat_id = chat_id_for(chat_setup["channel"], visitor)
    listed = httpx.get(
        f"{live.base_url}/v1/threads", params={"task_id": chat_setup["task"]}, headers=headers
    ).json()["items"]
    [thread] = [t for t in listed if t["chat_id"] == chat_id]
    return httpx.get(f"{live.base_url}/v1/threads/{thread['id']}", headers=headers).json()


def operator_says(live: Live, thread_id: str, text: str) -> None:
    response = httpx.post(
        f"{live.base_url}/v1/threads/{thread_id}/messages",
        json={"text": text},
        headers={"Authorization": f"Bearer {live.api_key}"},
    )
    assert response.status_code == 201, response.text


def operator_replies_in_panel(page: Any, live: Live, thread_id: str, text: str) -> None:
    """An operator logs into the panel, opens the dialog and writes to the visitor."""
    page.goto(f"{live.base_url}/panel/login")
    page.fill("input[name=email]", live.email)
    page.fill("input[name=password]", live.password)
    page.click("form button[type=submit]")
    page.wait_for_url(lambda url: "/panel/login" not in url, timeout=WAIT_MS)
    page.goto(f"{live.base_url}/panel/chats/{thread_id}")
    page.fill("form.reply textarea[name=text]", text)
    page.click("form.reply button[type=submit]")


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"widget-{name}.png"))


def test_visitor_sees_ai_and_operator_live_and_keeps_history_on_reload(
    browser: Any, site: str, live: Live, chat_setup: dict[str, Any]
) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    page = context.new_page()
    frame = open_chat(page, site)
    assert frame.locator(".chat-title").inner_text() == "Mia"
    assert not chat_state(frame)["connected"]  # no stream until the visitor has a dialog
    frame.locator("#input").fill("What are your opening hours?")
    frame.locator("#input").press("Enter")
    frame.locator("li.msg-bot[data-id]").first.wait_for(timeout=WAIT_MS)
    assert "9 to 5" in frame.locator("li.msg-bot[data-id] .msg-text").first.inner_text()
    shot(page, "ai-answer")

    visitor = chat_state(frame)["visitor"]
    thread = server_thread(live, chat_setup, visitor)
    panel = browser.new_context(viewport={"width": 1100, "height": 760}).new_page()
    operator_replies_in_panel(
        panel, live, thread["id"], "Hi, I am Sam from the shop. <b>Need anything?</b>"
    )
    frame.locator("li.msg-operator[data-id]").wait_for(timeout=WAIT_MS)
    assert frame.locator("li.msg-operator .msg-text").inner_text().endswith("<b>Need anything?</b>")
    assert frame.locator("li.msg-operator b").count() == 0  # shown as text, never as HTML
    shot(page, "operator-reply")
    shot(panel, "panel-dialog")
    panel.context.close()
    before = shown(frame)
    assert before == [m["text"] for m in server_thread(live, chat_setup, visitor)["messages"]]

    page.reload()
    frame = open_chat(page, site)
    frame.locator("li.msg-operator[data-id]").wait_for(timeout=WAIT_MS)
    assert chat_state(frame)["visitor"] == visitor
    assert shown(frame) == before
    shot(page, "after-reload")
    context.close()


def test_dropped_connection_resumes_without_gaps_or_duplicates(
    browser: Any, site: str, live: Live, chat_setup: dict[str, Any], proxy: CuttableProxy
) -> None:
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    page = context.new_page()
    frame = open_chat(page, site)
    frame.locator("#input").fill("Hello before the drop")
    frame.locator("#send").click()
    frame.locator("li.msg-bot[data-id]").first.wait_for(timeout=WAIT_MS)
    visitor = chat_state(frame)["visitor"]
    thread_id = server_thread(live, chat_setup, visitor)["id"]
    streams_before = sum("get /widget/stream" in r for r in proxy.requests)

    with proxy.down():
        frame.locator("#status[data-state=offline]").wait_for(timeout=WAIT_MS)
        for n in range(1, 4):
            operator_says(live, thread_id, f"Written while you were offline, part {n}")
        page.wait_for_timeout(1500)  # the browser's retries fail meanwhile
    frame.locator("#status[data-state=online]").wait_for(timeout=WAIT_MS)
    frame.get_by_text("offline, part 3").wait_for(timeout=WAIT_MS)
    operator_says(live, thread_id, "And one after you came back")
    frame.get_by_text("after you came back").wait_for(timeout=WAIT_MS)

    expected = server_thread(live, chat_setup, visitor)["messages"]
    state = chat_state(frame)
    assert state["duplicates"] == 0
    assert state["received"] == [m["id"] for m in expected]
    assert shown(frame) == [m["text"] for m in expected]
    resumed = [r for r in proxy.requests if "get /widget/stream" in r][streams_before:]
    assert resumed and all("last-event-id:" in r or "after=" in r for r in resumed)
    shot(page, "after-drop")
    context.close()


def test_frame_fits_a_phone(browser: Any, live: Live, chat_setup: dict[str, Any]) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live.base_url}/frame?channel={chat_setup['channel']}")
    page.locator("#status[data-state=idle]").wait_for(timeout=WAIT_MS)
    composer = page.locator("#composer").bounding_box()
    assert composer and composer["y"] + composer["height"] <= 844 and composer["width"] <= 390
    assert page.locator("#close").is_hidden()  # not framed: nothing to close
    shot(page, "phone")
    context.close()
