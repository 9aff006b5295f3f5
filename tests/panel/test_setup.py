"""Setup sections over ASGI: forms create and update through the same rules as the API,
errors name the field, references stay within the company, tasks start/pause/stop,
integrations show their secret once, rotate it and redeliver."""

from __future__ import annotations

import re

from sqlalchemy import select

from botdesk.models import AI, ChatList, Delivery, Integration, Task


async def _id_from(response) -> str:
    assert response.status_code == 303, response.text
    return str(response.headers["location"].rsplit("/", 1)[1])


async def test_channel_ai_integration_and_task_through_the_forms(logged_in, db):
    _, b = await logged_in("Acme")
    channel = await _id_from(
        await b.post("/panel/channels", {"name": "Site", "type": "page_messenger"})
    )
    ai = await _id_from(await b.post("/panel/ais", {"name": "Helper", "provider": "embedded"}))
    created = await b.post(
        "/panel/integrations",
        {"name": "Hook", "webhook_url": "http://127.0.0.1:9/x", "webhook_type": "all_messages"},
    )
    assert created.status_code == 200 and re.search(r"whsec_[A-Za-z0-9+/=]+", created.text)
    integration = re.search(r'id="object-id">([^<]+)<', created.text).group(1)  # type: ignore[union-attr]
    assert "whsec_" not in (await b.get(f"/panel/integrations/{integration}")).text
    task = await _id_from(
        await b.post(
            "/panel/tasks",
            {
                "name": "Web",
                "type": "web",
                "mode": "inbound",
                "channel_id": channel,
                "ai_id": ai,
                "integration_ids": integration,
                "spending_limit": "0.5",
                "status": "running",
            },
        )  # fmt: skip
    )
    saved = await b.post(
        f"/panel/ais/{ai}",
        {"name": "Helper", "provider": "embedded", "temperature": "0.3", "top_p": "0.9",
         "functions": ["success", "operator"], "kb_present": "1",
         "kb_question": ["Hours?", ""], "kb_answer": ["9 to 5.", ""],
         "rem_delay": "60", "rem_kind": "fixed", "rem_text": "Still there?",
         "rem_cancel": "operator, close"},
    )  # fmt: skip
    assert saved.status_code == 303, re.findall(r"field-error[^>]*>([^<]+)", saved.text)
    async with db.sessions() as session:
        row = await session.get(AI, ai)
        assert row.temperature == 0.3 and row.top_p == 0.9
        assert row.functions == ["success", "operator"]
        assert row.knowledge == [{"question": "Hours?", "answer": "9 to 5."}]
        assert row.reminders[0]["delay_minutes"] == 60
        assert row.reminders[0]["cancel_flags"] == ["operator", "close"]
        t = await session.get(Task, task)
        assert [i.id for i in t.integrations] == [integration] and t.spending_limit == 0.5
    for action, status in (("pause", "paused"), ("stop", "stopped"), ("start", "running")):
        await b.post(f"/panel/tasks/{task}/status", {"action": action})
        async with db.sessions() as session:
            assert (await session.get(Task, task)).status == status


async def test_bad_input_is_shown_next_to_its_field(logged_in):
    _, b = await logged_in("Acme")
    bad_url = await b.post("/panel/integrations", {"name": "H", "webhook_url": "ftp://x"})
    assert bad_url.status_code == 400 and "Webhook URL: must be an absolute http(s) URL" in (
        bad_url.text
    )
    no_name = await b.post("/panel/channels", {"name": "", "type": "api"})
    assert no_name.status_code == 400 and "Name:" in no_name.text
    ai = await _id_from(await b.post("/panel/ais", {"name": "A"}))
    hot = await b.post(f"/panel/ais/{ai}", {"name": "A", "temperature": "5"})
    assert hot.status_code == 400 and "Creativity:" in hot.text


async def test_a_task_cannot_use_another_companys_ai(logged_in):
    _, a = await logged_in("Alpha")
    _, b = await logged_in("Beta")
    foreign_ai = await _id_from(await a.post("/panel/ais", {"name": "A's"}))
    channel = await _id_from(await b.post("/panel/channels", {"name": "c", "type": "api"}))
    refused = await b.post(
        "/panel/tasks", {"name": "t", "channel_id": channel, "ai_id": foreign_ai}
    )
    assert refused.status_code == 400 and "no ai with id" in refused.text


async def test_lists_keep_one_entry_per_line_and_used_objects_are_not_deleted(
    logged_in, make_setup, db
):
    tenant, b = await logged_in("Acme")
    lst = await _id_from(
        await b.post(
            "/panel/lists", {"name": "Spam", "kind": "black", "entries": "@bot\n\n+1 555 0100\n"}
        )
    )
    setup = await make_setup(tenant)
    refused = await b.post(f"/panel/channels/{setup.channel['id']}/delete")
    assert refused.status_code == 409 and "used by a task" in refused.text
    assert (await b.post(f"/panel/lists/{lst}/delete")).status_code == 303
    async with db.sessions() as session:
        assert (await session.execute(select(ChatList))).first() is None


async def test_rotate_shows_a_new_secret_and_redeliver_queues_a_manual_attempt(
    logged_in, client, make_setup, db
):
    tenant, b = await logged_in("Acme")
    setup = await make_setup(tenant)
    await client.post(
        "/api/1.1/wf/send_message_external",
        json={"task_id": setup.task["id"], "chat_id": "1", "message": "hi"},
        headers=tenant.headers,
    )
    integration = setup.integration["id"]
    rotated = await b.post(f"/panel/integrations/{integration}/rotate")
    async with db.sessions() as session:
        row = await session.get(Integration, integration)
        assert row.secret in rotated.text and row.previous_secret == setup.integration["secret"]
        delivery = (await session.execute(select(Delivery))).scalars().one()
    log = await b.get(f"/panel/integrations/{integration}")
    assert f"/deliveries/{delivery.id}" in log.text
    detail = await b.get(f"/panel/integrations/{integration}/deliveries/{delivery.id}")
    assert "&#34;message_text&#34;: &#34;hi&#34;" in detail.text
    queued = await b.post(f"/panel/integrations/{integration}/deliveries/{delivery.id}/redeliver")
    assert queued.status_code == 303
    async with db.sessions() as session:
        assert (await session.get(Delivery, delivery.id)).manual is True
