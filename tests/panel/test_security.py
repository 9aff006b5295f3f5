"""Panel security on SQLite and PostgreSQL: CSRF, login rate limiting, cookie flags, company
isolation on every route, HTML escaping, open redirects and share-link keys."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import func, select

from botdesk.models import Channel, Message, Thread
from botdesk.panel import accounts
from botdesk.panel.routes import routers
from botdesk.tenancy.service import create_api_key
from tests.panel.conftest import PASSWORD, csrf_of
from tests.panel.test_chats import share_link_of, stream_body


async def test_a_form_without_or_with_a_wrong_csrf_token_is_refused(logged_in, db):
    _, b = await logged_in("Acme")
    missing = await b.http.post("/panel/channels", data={"name": "X", "type": "api"})
    wrong = await b.http.post(
        "/panel/channels", data={"name": "X", "type": "api", "csrf_token": "0" * 64}
    )
    header_only = await b.http.post(
        "/panel/channels", data={"name": "ok", "type": "api"}, headers={"X-CSRF-Token": b.csrf}
    )
    assert missing.status_code == 403 and wrong.status_code == 403
    assert header_only.status_code == 303
    async with db.sessions() as session:
        names = (await session.execute(select(Channel.name))).scalars().all()
    assert names == ["ok"]


async def test_a_csrf_token_of_another_browser_is_refused(logged_in, browser):
    _, a = await logged_in("Acme")
    _, b = await logged_in("Beta")
    b.csrf = a.csrf
    assert (await b.post("/panel/channels", {"name": "X", "type": "api"})).status_code == 403


async def test_login_and_logout_need_a_csrf_token(browser, make_tenant):
    await make_tenant("Acme")
    b = await browser()
    response = await b.http.post(
        "/panel/login", data={"email": "acme@example.com", "password": PASSWORD}
    )
    assert response.status_code == 403 and "botdesk_session" not in response.cookies


async def test_many_wrong_passwords_are_rate_limited(browser, make_tenant):
    await make_tenant("Acme")
    b = await browser()
    for _ in range(accounts.MAX_FAILURES_PER_EMAIL):
        assert (await b.login("acme@example.com", "wrong")).status_code == 400
    limited = await b.login("acme@example.com", PASSWORD)
    assert limited.status_code == 429 and "Too many failed logins" in limited.text
    assert "botdesk_session" not in limited.cookies
    # Another account from elsewhere is not affected.
    await make_tenant("Beta")
    assert (await (await browser()).login("beta@example.com")).status_code == 303


def _session_cookie(response: httpx.Response) -> str:
    headers = [v for v in response.headers.get_list("set-cookie") if "botdesk_session=" in v]
    assert len(headers) == 1, response.headers
    return headers[0].lower()


async def test_session_cookie_is_httponly_lax_and_secure_over_https(browser, make_tenant):
    await make_tenant("Acme")
    plain = _session_cookie(await (await browser()).login("acme@example.com"))
    assert "httponly" in plain and "samesite=lax" in plain and "secure" not in plain
    secure_browser = await browser("https://botdesk.test")
    secure = _session_cookie(await secure_browser.login("acme@example.com"))
    assert "httponly" in secure and "samesite=lax" in secure and "; secure" in secure


async def test_logout_ends_the_session_on_the_server(logged_in):
    _, b = await logged_in("Acme")
    cookie = b.http.cookies.get("botdesk_session")
    assert (await b.post("/panel/logout")).status_code == 303
    b.http.cookies.set("botdesk_session", cookie)  # a stolen copy of the old cookie
    response = await b.get("/panel/chats")
    assert response.status_code == 303 and "/panel/login" in response.headers["location"]


async def _company_a_world(client, make_setup, tenant, db) -> dict[str, str]:
    setup = await make_setup(tenant)
    sent = await client.post(
        "/api/1.1/wf/send_message_external",
        json={"task_id": setup.task["id"], "chat_id": "1", "message": "secret of A"},
        headers=tenant.headers,
    )
    thread_id = sent.json()["response"]["thread"]["_id"]
    lst = await client.post(
        "/v1/lists", json={"name": "L", "kind": "black"}, headers=tenant.headers
    )
    mgr = await client.post("/v1/managers", json={"name": "M"}, headers=tenant.headers)
    deliveries = await client.get(
        f"/v1/integrations/{setup.integration['id']}/deliveries", headers=tenant.headers
    )
    async with db.transaction() as session:
        key, _ = await create_api_key(session, company_id=tenant.company_id, user_id=None)
    return {
        "channels": setup.channel["id"],
        "ais": setup.ai["id"],
        "integrations": setup.integration["id"],
        "tasks": setup.task["id"],
        "lists": lst.json()["id"],
        "managers": mgr.json()["id"],
        "chats": thread_id,
        "api-keys": key.id,
        "delivery": deliveries.json()["items"][0]["id"],
    }


def _concrete(path: str, ids: dict[str, str]) -> str:
    section = path.split("/")[2]
    path = path.replace("{thread_id}", ids["chats"]).replace("{key_id}", ids["api-keys"])
    path = path.replace("{delivery_id}", ids["delivery"])
    return path.replace("{id}", ids.get(section, "x"))


async def test_no_page_of_company_a_is_reachable_by_a_user_of_company_b(
    logged_in, client, make_setup, db
):
    a, _ = await logged_in("Alpha")
    _, b = await logged_in("Beta")
    ids = await _company_a_world(client, make_setup, a, db)
    async with db.sessions() as session:
        share_key = (await session.get(Thread, ids["chats"])).share_key
    checked = 0
    for router in routers:
        for route in router.routes:
            path = getattr(route, "path", "")
            if "{" not in path or path.startswith("/panel/invite/"):
                continue
            for method in route.methods:
                url = _concrete(path, ids)
                if method == "GET":
                    response = await b.get(url)
                else:
                    data = {"name": "hacked", "text": "hacked", "action": "operator"}
                    response = await b.post(url, {**data, "webhook_url": "http://127.0.0.1/x"})
                assert response.status_code == 404, (method, url, response.status_code)
                assert "secret of A" not in response.text
                checked += 1
    assert checked >= 25
    # Query parameters naming A's objects are refused or show nothing of A.
    for url in (
        f"/panel?menu=chats&thread={ids['chats']}",
        f"/panel/dashboard?task={ids['tasks']}",
        f"/panel/dashboard.csv?task={ids['tasks']}",
    ):
        assert (await b.get(url)).status_code == 404, url
    listing = await b.get(f"/panel/chats?task={ids['tasks']}")
    assert listing.status_code == 200 and "secret of A" not in listing.text
    assert ids["chats"] not in (await b.get("/panel/dashboard.csv")).text
    switch = await b.post("/panel/company", {"company_id": a.company_id})
    assert switch.status_code == 404
    # Nothing of A changed.
    async with db.sessions() as session:
        thread = await session.get(Thread, ids["chats"])
        assert thread is not None and not thread.operator and not thread.close
        assert thread.share_key == share_key
        count = await session.scalar(select(func.count()).select_from(Message))
        assert count == 1
        assert (await session.get(Channel, ids["channels"])).name == "Site"


async def test_html_in_messages_is_shown_as_text(
    logged_in, browser, client, make_setup, monkeypatch
):
    tenant, b = await logged_in("Acme")
    setup = await make_setup(tenant)
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    sent = await client.post(
        "/api/1.1/wf/send_message_external",
        json={"task_id": setup.task["id"], "chat_id": evil, "message": evil},
        headers=tenant.headers,
    )
    thread_id = sent.json()["response"]["thread"]["_id"]
    await b.post(f"/panel/chats/{thread_id}/actions", {"action": "share"})
    dialog = (await b.get(f"/panel/chats/{thread_id}")).text
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"
    stranger = await browser()
    pages = [
        dialog,
        (await b.get("/panel/chats")).text,
        (await stranger.get(share_link_of(dialog))).text,
        await stream_body(b, thread_id, monkeypatch),
    ]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
        assert escaped in html or escaped.replace("&#34;", '"') in html


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil"])
async def test_login_never_redirects_off_site(browser, make_tenant, target):
    await make_tenant("Acme")
    b = await browser()
    page = await b.get("/panel/login", params={"next": target})
    response = await b.http.post(
        "/panel/login",
        data={"email": "acme@example.com", "password": PASSWORD, "next": target,
              "csrf_token": csrf_of(page.text)},
    )  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/panel"


async def test_pages_carry_security_headers(logged_in):
    _, b = await logged_in("Acme")
    response = await b.get("/panel/chats")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-frame-options"] == "DENY"
