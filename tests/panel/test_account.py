"""Invitations, the company switcher, new companies and API keys."""

from __future__ import annotations

import re

from botdesk.tenancy.service import find_api_key
from tests.panel.conftest import PASSWORD, csrf_of


def _invite_path(page: str) -> str:
    found = re.search(
        r'value="http://botdesk.test(/panel/invite/[^"]+)" id="invite-link"',
        page,
    )
    assert found
    return found.group(1)


async def test_an_invited_person_sets_a_password_and_joins_once(logged_in, browser):
    _, owner = await logged_in("Acme")
    path = _invite_path((await owner.post("/panel/companies/invite")).text)
    guest = await browser()
    page = await guest.get(path)
    assert page.status_code == 200 and "Join Acme" in page.text
    joined = await guest.http.post(
        path,
        data={
            "email": "new@example.com",
            "password": "long enough",
            "csrf_token": csrf_of(page.text),
        },
    )
    assert joined.status_code == 303
    assert "Acme" in (await guest.get("/panel/chats")).text
    assert "new@example.com" in (await owner.get("/panel/companies")).text
    assert (await (await browser()).get(path)).status_code == 404  # used


async def test_an_existing_user_joins_with_their_password_and_can_switch(logged_in, browser):
    _, owner = await logged_in("Acme")
    _, beta = await logged_in("Beta")
    path = _invite_path((await owner.post("/panel/companies/invite")).text)
    page = await beta.get(path)
    assert "You are logged in as" in page.text
    assert (await beta.post(path)).status_code == 303
    chats = (await beta.get("/panel/chats")).text
    assert 'name="company_id"' in chats and "Acme" in chats and "Beta" in chats
    guest = await browser()
    wrong = await guest.get(_invite_path((await owner.post("/panel/companies/invite")).text))
    refused = await guest.http.post(
        wrong.url.path,
        data={"email": "beta@example.com", "password": "nope", "csrf_token": csrf_of(wrong.text)},
    )
    assert refused.status_code == 400 and "enter its password" in refused.text
    accepted = await guest.http.post(
        wrong.url.path,
        data={"email": "beta@example.com", "password": PASSWORD, "csrf_token": csrf_of(wrong.text)},
    )
    assert accepted.status_code == 303


async def test_a_new_company_becomes_the_current_one(logged_in):
    _, b = await logged_in("Acme")
    assert (await b.post("/panel/companies", {"name": "Second shop"})).status_code == 303
    page = (await b.get("/panel/companies")).text
    assert re.search(r"Second shop\s*<span class=\"badge ok\">current", page)


async def test_api_keys_are_shown_once_listed_by_prefix_and_revocable(logged_in, client, db):
    _, b = await logged_in("Acme")
    created = (await b.post("/panel/api-keys", {"name": "bot"})).text
    key = re.search(r'id="new-key">([^<]+)<', created).group(1)  # type: ignore[union-attr]
    listing = (await b.get("/panel/api-keys")).text
    assert key not in listing and key[:12] in listing
    async with db.sessions() as session:
        assert await find_api_key(session, key) is not None
    row = next(r for r in listing.split("<tr>") if key[:12] in r)
    key_id = re.findall(r"/panel/api-keys/([^/]+)/revoke", row)[0]
    assert (await b.post(f"/panel/api-keys/{key_id}/revoke")).status_code == 303
    # (never used before its revocation, so no process has it in its short auth cache)
    auth = {"Authorization": f"Bearer {key}"}
    assert (await client.get("/v1/channels", headers=auth)).status_code == 401
