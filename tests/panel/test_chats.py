"""Chats over ASGI: list filters and sort, the live stream (cursor, Last-Event-ID), operator
reply, hand-over/back/close, share links, and the `panel_url` deep link through login."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import select

from botdesk.models import Event, Message
from botdesk.panel.pages import chats
from tests.panel.conftest import PASSWORD, Browser, csrf_of


def share_link_of(page: str) -> str:
    found = re.search(r'value="([^"]+)" id="share-link"', page)
    assert found, "no share link on the page"
    return html.unescape(found.group(1)).removeprefix("http://botdesk.test")


async def stream_body(b: Browser, thread_id: str, monkeypatch: Any, **kw: Any) -> str:
    """The live stream's text; the stream is cut short so the in-memory transport returns."""
    monkeypatch.setattr(chats, "STREAM_SECONDS", 0.6)
    response = await b.get(f"/panel/chats/{thread_id}/events", **kw)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    return response.text


async def _dialog(client, make_setup, tenant, chat_id: str = "42", *texts: str) -> str:
    setup = await make_setup(tenant)
    thread_id = ""
    for text in texts or ("hello",):
        sent = await client.post(
            "/api/1.1/wf/send_message_external",
            json={"task_id": setup.task["id"], "chat_id": chat_id, "message": text},
            headers=tenant.headers,
        )
        thread_id = sent.json()["response"]["thread"]["_id"]
    return thread_id


async def test_the_stream_sends_new_messages_and_resumes_after_last_event_id(
    logged_in, client, make_setup, monkeypatch
):
    tenant, b = await logged_in("Acme")
    thread_id = await _dialog(client, make_setup, tenant, "42", "first", "second")
    body = await stream_body(b, thread_id, monkeypatch)
    ids = re.findall(r"^id: (\S+)$", body, re.M)
    assert len(ids) == 2 and "first" in body and "second" in body
    assert "event: state" in body and "The AI answers" in body  # flags, sent after the burst
    resumed = await stream_body(b, thread_id, monkeypatch, headers={"Last-Event-ID": ids[0]})
    assert "first" not in resumed and "second" in resumed
    assert re.findall(r"^id: (\S+)$", resumed, re.M) == ids[1:]


async def test_operator_reply_is_stored_and_sent_as_an_operator_webhook(
    logged_in, client, make_setup, db
):
    tenant, b = await logged_in("Acme")
    thread_id = await _dialog(client, make_setup, tenant)
    response = await b.post(f"/panel/chats/{thread_id}/messages", {"text": "Hi, I am Anna"})
    assert response.status_code == 303
    htmx = await b.post(
        f"/panel/chats/{thread_id}/messages", {"text": "again"}, headers={"HX-Request": "true"}
    )
    assert htmx.status_code == 204
    async with db.sessions() as session:
        types = (await session.execute(select(Message.type).order_by(Message.created))).all()
        kinds = (await session.execute(select(Event.wh_type))).scalars().all()
    assert [t for (t,) in types] == ["user", "operator", "operator"]
    assert kinds.count("all_messages") == 3


async def test_menu_hands_over_returns_closes_and_shares(logged_in, client, make_setup, browser):
    tenant, b = await logged_in("Acme")
    thread_id = await _dialog(client, make_setup, tenant)

    async def flags() -> dict[str, Any]:
        found = await client.get(f"/v1/threads/{thread_id}", headers=tenant.headers)
        return dict(found.json()["flags"])

    await b.post(f"/panel/chats/{thread_id}/actions", {"action": "operator"})
    assert (await flags())["operator"] is True
    await b.post(f"/panel/chats/{thread_id}/actions", {"action": "bot"})
    assert (await flags())["operator"] is False
    await b.post(f"/panel/chats/{thread_id}/actions", {"action": "close"})
    assert (await flags())["close"] is True
    await b.post(f"/panel/chats/{thread_id}/actions", {"action": "share"})
    link = share_link_of((await b.get(f"/panel/chats/{thread_id}")).text)
    stranger = await browser()
    shown = await stranger.get(link)
    assert shown.status_code == 200 and "hello" in shown.text and "reply" not in shown.text
    assert shown.headers["referrer-policy"] == "no-referrer"
    wrong = await stranger.get(link[:-3] + "abc")
    assert wrong.status_code == 404
    await b.post(f"/panel/chats/{thread_id}/actions", {"action": "unshare"})
    assert (await stranger.get(link)).status_code == 404


async def test_the_list_filters_by_flag_and_task_and_sorts(logged_in, client, make_setup):
    tenant, b = await logged_in("Acme")
    one = await _dialog(client, make_setup, tenant, "one", "a")
    two = await _dialog(client, make_setup, tenant, "two", "a", "b", "c")
    await client.post(f"/v1/threads/{one}/flags", json={"success": True}, headers=tenant.headers)
    by_flag = (await b.get("/panel/chats?flag=success")).text
    assert one in by_flag and two not in by_flag
    by_count = (await b.get("/panel/chats?sort=count")).text
    assert by_count.index(two) < by_count.index(one)


async def test_panel_url_goes_through_login_and_back_to_the_dialog(
    browser, make_tenant, client, make_setup
):
    tenant = await make_tenant("Acme")
    thread_id = await _dialog(client, make_setup, tenant)
    b = await browser()
    first = await b.get(f"/panel?menu=chats&thread={thread_id}")
    assert first.status_code == 303
    login_url = first.headers["location"]
    assert login_url.startswith("/panel/login?next=")
    page = await b.get(login_url)
    logged = await b.http.post(
        "/panel/login",
        data={"email": "acme@example.com", "password": PASSWORD, "csrf_token": csrf_of(page.text),
              "next": re.search(r'name="next" value="([^"]+)"', page.text).group(1)},  # type: ignore[union-attr]
    )  # fmt: skip
    assert html.unescape(logged.headers["location"]) == f"/panel?menu=chats&thread={thread_id}"
    opened = await b.get(html.unescape(logged.headers["location"]))
    assert opened.headers["location"] == f"/panel/chats/{thread_id}"
