"""The panel in Debian's Chromium (Playwright) against a real `botdesk serve` on loopback:
set up through the forms, watch a dialog live with the AI's answer, reply as operator (seen by
a webhook receiver), hand over and back, share and revoke, deep links, dashboard and CSV.
Screenshots of each main page go to tests/artifacts/ (not committed)."""

# ruff: noqa: F811 - the module fixtures `world` and `chromium` come from the kit

from __future__ import annotations

import csv
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.panel.browserkit import (  # noqa: F401 - fixtures
    HOURS_A,
    HOURS_Q,
    PASSWORD,
    WAIT_MS,
    api,
    chromium,
    login,
    new_page,
    send,
    shot,
    world,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def admin(world: dict[str, Any], chromium: Any) -> Iterator[Any]:
    """Company A's owner, logged in, having set everything up through the forms."""
    base, state = world["base"], world["state"]
    page = new_page(chromium)
    login(page, base, "alpha@example.com")
    page.wait_for_url("**/panel/chats")
    shot(page, "chats-empty")

    page.goto(base + "/panel/channels")
    page.fill("#create-form input[name=name]", "Site messenger")
    page.select_option("#create-form select[name=type]", "page_messenger")
    page.click("#create-form button[type=submit]")
    page.wait_for_url("**/panel/channels/*")
    page.goto(base + "/panel/channels")
    shot(page, "channels")

    page.goto(base + "/panel/ais")
    page.fill("#create-form input[name=name]", "Shop AI")
    page.click("#create-form button[type=submit]")
    page.wait_for_url("**/panel/ais/*")
    page.click("button[data-add-row=kb-rows]")
    page.locator("#kb-rows input[name=kb_question]").last.fill(HOURS_Q)
    page.locator("#kb-rows textarea[name=kb_answer]").last.fill(HOURS_A)
    page.click("#edit-form button[type=submit]")
    page.wait_for_url("**saved=1")
    state["ai_page"] = page.url

    page.goto(base + "/panel/integrations")
    page.fill("#create-form input[name=name]", "My messenger")
    page.fill("#create-form input[name=webhook_url]", world["receiver"].url)
    page.select_option("#create-form select[name=webhook_type]", "all_messages")
    page.click("#create-form button[type=submit]")
    assert page.locator("#secret").inner_text().startswith("whsec_")
    state["integration_id"] = page.locator("#object-id").inner_text()
    state["integration_page"] = f"{base}/panel/integrations/{state['integration_id']}"
    shot(page, "integration-created")

    page.goto(base + "/panel/tasks")
    page.fill("#create-form input[name=name]", "Web")
    page.select_option("#create-form select[name=channel_id]", label="Site messenger")
    page.select_option("#create-form select[name=ai_id]", label="Shop AI")
    page.check("#create-form input[name=integration_ids]")
    page.click("#create-form button[type=submit]")
    page.wait_for_url("**/panel/tasks/*")
    assert page.locator("#task-status").inner_text() == "Running"
    state["task_id"] = page.locator("#object-id").inner_text()
    shot(page, "task")
    yield page
    page.context.close()


def test_test_ai_box_answers_from_the_knowledge_base(world, admin):
    admin.goto(world["state"]["ai_page"])
    admin.fill("#test-ai textarea[name=question]", HOURS_Q)
    admin.click("#test-ai button[type=submit]")
    admin.locator("#ai-answer-text").wait_for(timeout=WAIT_MS)
    assert HOURS_A in admin.locator("#ai-answer-text").inner_text()
    shot(admin, "ai")


def bot_texts(page: Any) -> list[str]:
    return page.locator("#messages .msg-bot .text").all_inner_texts()


def test_live_dialog_operator_reply_and_hand_over(world, admin):
    base, receiver = world["base"], world["receiver"]
    thread_id = send(world, "chat-1", "Hello there")
    world["state"]["thread_id"] = thread_id
    admin.goto(f"{base}/panel?menu=chats&thread={thread_id}")  # the webhook's panel_url
    admin.wait_for_url(f"**/panel/chats/{thread_id}")
    admin.locator("#messages[data-live=open]").wait_for(timeout=WAIT_MS)

    # A user message sent through the API appears live, then the AI's answer.
    send(world, "chat-1", HOURS_Q)
    admin.locator("#messages .msg-user .text", has_text=HOURS_Q).wait_for(timeout=WAIT_MS)
    admin.locator("#messages .msg-bot .text", has_text=HOURS_A).wait_for(timeout=WAIT_MS)

    # The operator's reply reaches the receiver as message_type "operator".
    admin.fill("form.reply textarea[name=text]", "Hi, Anna from the team here")
    admin.click("form.reply button[type=submit]")
    admin.locator("#messages .msg-operator .text", has_text="Anna").wait_for(timeout=WAIT_MS)
    assert admin.locator("form.reply textarea").input_value() == ""
    hook = receiver.wait_for(
        lambda b: b["message_type"] == "operator" and b["thread_id"] == thread_id
    )
    assert hook["message_text"] == "Hi, Anna from the team here"
    assert hook["panel_url"] == f"{base}/panel?menu=chats&thread={thread_id}"
    shot(admin, "dialog")

    # Hand-over silences the AI...
    admin.click("summary:has-text('Actions')")
    admin.click("button:has-text('Hand to a human')")
    admin.locator(".badge.warn", has_text="operator has this dialog").wait_for()
    answered = len(bot_texts(admin))
    admin.locator("#messages[data-live=open]").wait_for(timeout=WAIT_MS)
    send(world, "chat-1", HOURS_Q + " (again)")
    admin.locator("#messages .msg-user .text", has_text="(again)").wait_for(timeout=WAIT_MS)
    time.sleep(8)  # longer than the AI's debounce and a worker round
    assert len(bot_texts(admin)) == answered
    # ...and giving it back to the bot revives it.
    admin.click("summary:has-text('Actions')")
    admin.click("button:has-text('Give back to the bot')")
    admin.locator(".badge.ok", has_text="The AI answers").wait_for()
    admin.locator("#messages[data-live=open]").wait_for(timeout=WAIT_MS)
    send(world, "chat-1", HOURS_Q)
    admin.wait_for_function(
        "n => document.querySelectorAll('#messages .msg-bot').length > n",
        arg=answered,
        timeout=WAIT_MS,
    )


def test_share_link_shows_the_dialog_without_login_until_revoked(world, admin, chromium):
    thread_id = world["state"].get("thread_id") or send(world, "chat-1", "Hello")
    admin.goto(f"{world['base']}/panel/chats/{thread_id}")
    # Every dialog starts with a read-only link (it is the webhooks' share_url).
    link = admin.locator("#share-link").input_value()
    assert "/share?thread=" in link and "&key=" in link

    stranger = new_page(chromium)
    response = stranger.goto(link)
    assert response is not None and response.status == 200
    assert stranger.locator("#messages .msg").count() >= 1
    assert stranger.locator("form.reply").count() == 0
    shot(stranger, "share")

    admin.click("summary:has-text('Actions')")
    admin.click("button:has-text('Revoke share link')")
    admin.locator("#share-link").wait_for(state="detached")
    response = stranger.goto(link)
    assert response is not None and response.status == 404
    assert "revoked" in stranger.content()

    admin.click("summary:has-text('Actions')")
    admin.click("button:has-text('Create share link')")
    fresh = admin.locator("#share-link").input_value()
    assert fresh != link
    assert stranger.goto(fresh).status == 200
    assert stranger.goto(link).status == 404
    stranger.context.close()


def test_panel_url_logs_in_and_refuses_another_company(world, admin, chromium):
    thread_id = world["state"].get("thread_id") or send(world, "chat-1", "Hello")
    panel_url = f"{world['base']}/panel?menu=chats&thread={thread_id}"
    # Not logged in: the login page, then straight to the dialog.
    page = new_page(chromium, phone=True)
    page.goto(panel_url)
    page.wait_for_url(lambda url: "/panel/login" in url and "next=" in url)
    shot(page, "login")
    page.fill("input[name=email]", "alpha@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Log in')")
    page.wait_for_url(f"**/panel/chats/{thread_id}")
    shot(page, "dialog-phone")
    page.context.close()
    # A user of another company gets 404.
    other = new_page(chromium)
    login(other, world["base"], "beta@example.com")
    other.wait_for_url("**/panel/chats")
    response = other.goto(panel_url)
    assert response is not None and response.status == 404
    response = other.goto(f"{world['base']}/panel/chats/{thread_id}")
    assert response is not None and response.status == 404
    other.context.close()


def test_dashboard_numbers_and_csv_match_the_dialogs(world, admin):
    """A paused task (the AI stays silent, so the numbers hold still) with three dialogs."""
    base = world["base"]
    with api(world) as http:
        channel = http.get("/v1/channels").json()["items"][0]["id"]
        ai = http.get("/v1/ais").json()["items"][0]["id"]
        task = http.post(
            "/v1/tasks",
            json={"name": "Quiet", "channel_id": channel, "ai_id": ai, "status": "paused"},
        ).json()["id"]
        sent = {}
        for chat_id, texts in (("d-1", ["hi", "call me"]), ("d-2", ["price?"]), ("d-3", ["x"])):
            for text in texts:
                response = http.post(
                    "/api/1.1/wf/send_message_external",
                    json={"task_id": task, "chat_id": chat_id, "message": text},
                )
                sent[chat_id] = response.json()["response"]["thread"]["_id"]
        flags = {
            "d-1": {"success": True, "get_contact": True, "contact": "+1 555 0100"},
            "d-2": {"interest": True},
            "d-3": {"close": True, "is_bot": True},
        }
        for chat_id, body in flags.items():
            assert http.post(f"/v1/threads/{sent[chat_id]}/flags", json=body).status_code == 200
        threads = http.get("/v1/threads", params={"task_id": task}).json()["items"]
        everything = http.get("/v1/threads").json()["total"]
    assert len(threads) == 3
    month = time.strftime("%Y-%m", time.gmtime())

    admin.goto(f"{base}/panel/dashboard?month={month}")
    assert int(admin.locator("#stat-dialogs").inner_text()) == everything
    admin.select_option("select[name=task]", label="Quiet")
    admin.wait_for_url(f"**task={task}**")
    assert admin.locator("#stat-dialogs").inner_text() == "3"
    assert admin.locator("#stat-messages").inner_text() == str(
        sum(t["count_message"] for t in threads)
    )
    expected = {f: sum(t["flags"][f] for t in threads) for f in threads[0]["flags"]}
    for flag, count in expected.items():
        shown = admin.locator(f"#flag-table tr[data-flag={flag}] .count").inner_text()
        assert int(shown) == count, flag
    assert admin.locator("svg.chart").count() == 2
    shot(admin, "dashboard")

    with admin.expect_download() as download:
        admin.click("#csv-link")
    path = download.value.path()
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    with open(path, encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle))
    assert (
        header
        == (
            "channel chat_id close contact count_message date_close date_contact date_interest "
            "date_success external_id get_contact interest is_bot last_message_date metadata "
            "operator success user_replied task_id thread_id"
        ).split()
    )
    by_id = {t["id"]: t for t in threads}
    assert {r["thread_id"] for r in rows} == set(by_id)
    yes = {True: "yes", False: "no"}
    for row in rows:
        thread = by_id[row["thread_id"]]
        assert row["chat_id"] == thread["chat_id"]
        assert row["task_id"] == task
        assert row["channel"] == "Site messenger"
        assert int(row["count_message"]) == thread["count_message"]
        assert row["contact"] == thread["contact"]
        for flag in ("close", "get_contact", "interest", "is_bot", "operator", "success"):
            assert row[flag] == yes[thread["flags"][flag]], (flag, row)
        assert bool(row["date_success"]) == thread["flags"]["success"]
        assert bool(row["date_contact"]) == thread["flags"]["get_contact"]
        assert json.loads(row["metadata"]) == {}


def test_screens_of_the_setup_sections(world, admin):
    for name in ("chats", "integrations", "tasks", "lists", "managers", "companies", "api-keys"):
        admin.goto(f"{world['base']}/panel/{name}")
        shot(admin, name)
    admin.goto(world["state"]["integration_page"])
    admin.locator("#delivery-log").wait_for()
    shot(admin, "integration-log")
    link = admin.locator("#delivery-log a", has_text="Details").first
    link.click()
    admin.locator("button:has-text('Redeliver')").click()
    admin.locator(".notice", has_text="Queued").wait_for()
    shot(admin, "delivery")
