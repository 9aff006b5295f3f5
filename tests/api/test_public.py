"""The seed-compatible public API: auth, send_message_external, add_target."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import func, select, update

from botdesk.db.engine import Database
from botdesk.models import AuthToken, Delivery, Event, Message, Thread

SEED_THREAD_TYPES: dict[str, type] = {
    "Created By": str,
    "Created Date": int,
    "Modified Date": int,
    "_id": str,
    "ai_thread_id": str,
    "chat_id": str,
    "close": bool,
    "company": str,
    "contact": str,
    "count_message": int,
    "get_contact": bool,
    "interest": bool,
    "is_bot": bool,
    "operator": bool,
    "success": bool,
    "task": str,
    "title": str,
    "user_replied": bool,
    "wh_get_contact": bool,
    "wh_interest": bool,
    "wh_success": bool,
}


async def send(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]
) -> httpx.Response:
    return await client.post("/api/1.1/wf/send_message_external", json=body, headers=headers)


async def test_auth_with_a_good_key_returns_a_token_that_works(client, make_tenant, make_setup):
    tenant = await make_tenant()
    setup = await make_setup(tenant)
    response = await client.post("/api/1.1/wf/auth", json={"key": tenant.api_key})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success"
    token = body["response"]["token"]
    sent = await send(
        client,
        {"Authorization": f"Bearer {token}"},
        {"task_id": setup.task["id"], "chat_id": "1", "message": "hi"},
    )
    assert sent.status_code == 200, sent.text


async def test_auth_with_a_bad_key_is_401(client, make_tenant):
    await make_tenant()
    response = await client.post("/api/1.1/wf/auth", json={"key": "bdk_nope"})
    assert response.status_code == 401
    assert "key" in response.json()["message"]


async def test_expired_token_is_rejected(client, db: Database, make_tenant, make_setup):
    tenant = await make_tenant()
    setup = await make_setup(tenant)
    token = (await client.post("/api/1.1/wf/auth", json={"key": tenant.api_key})).json()[
        "response"
    ]["token"]
    async with db.transaction() as session:
        await session.execute(update(AuthToken).values(expires=1))
    sent = await send(
        client,
        {"Authorization": f"Bearer {token}"},
        {"task_id": setup.task["id"], "chat_id": "1", "message": "hi"},
    )
    assert sent.status_code == 401
    assert "expired" in sent.json()["message"]


async def test_missing_or_wrong_auth_is_401(client, make_tenant, make_setup):
    setup = await make_setup(await make_tenant())
    body = {"task_id": setup.task["id"], "chat_id": "1", "message": "hi"}
    assert (await send(client, {}, body)).status_code == 401
    assert (await send(client, {"Authorization": "Bearer wrong"}, body)).status_code == 401
    assert (await send(client, {"Authorization": "Basic abc"}, body)).status_code == 401


async def test_thread_fields_and_types_are_exactly_the_seeds(client, make_tenant, make_setup):
    tenant = await make_tenant()
    setup = await make_setup(tenant)
    response = await send(
        client,
        tenant.headers,
        {"task_id": setup.task["id"], "chat_id": "123456789", "message": "hi"},
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "response"} and body["status"] == "success"
    thread = body["response"]["thread"]
    assert set(thread) == set(SEED_THREAD_TYPES)
    for field, kind in SEED_THREAD_TYPES.items():
        assert type(thread[field]) is kind, (field, thread[field])
    assert thread["chat_id"] == "123456789"
    assert thread["task"] == setup.task["id"]
    assert thread["company"] == tenant.company_id
    assert thread["count_message"] == 1
    assert thread["title"] == "API chat 123456789"
    assert thread["_id"].count("x") == 1 and len(thread["_id"].split("x")[1]) == 18


async def test_same_chat_id_reuses_the_thread(client, make_tenant, make_setup):
    tenant = await make_tenant()
    setup = await make_setup(tenant)
    first = (
        await send(
            client, tenant.headers, {"task_id": setup.task["id"], "chat_id": "7", "message": "a"}
        )
    ).json()
    second = (
        await send(
            client, tenant.headers, {"task_id": setup.task["id"], "chat_id": "7", "message": "b"}
        )
    ).json()
    other = (
        await send(
            client, tenant.headers, {"task_id": setup.task["id"], "chat_id": "8", "message": "c"}
        )
    ).json()
    assert first["response"]["thread"]["_id"] == second["response"]["thread"]["_id"]
    assert second["response"]["thread"]["count_message"] == 2
    assert other["response"]["thread"]["_id"] != first["response"]["thread"]["_id"]


async def test_concurrent_first_messages_make_one_thread(client, db, make_tenant, make_setup):
    tenant = await make_tenant()
    setup = await make_setup(tenant)
    responses = await asyncio.gather(
        *[
            send(
                client,
                tenant.headers,
                {"task_id": setup.task["id"], "chat_id": "race", "message": f"m{i}"},
            )
            for i in range(8)
        ]
    )
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert len({r.json()["response"]["thread"]["_id"] for r in responses}) == 1
    async with db.sessions() as session:
        threads = (await session.execute(select(Thread))).scalars().all()
        messages = (await session.execute(select(func.count()).select_from(Message))).scalar()
    assert len(threads) == 1 and messages == 8
    assert threads[0].count_message == 8


async def test_chat_id_as_a_number_is_refused_naming_the_field(client, db, make_tenant, make_setup):
    tenant = await make_tenant()
    setup = await make_setup(tenant)
    response = await send(
        client, tenant.headers, {"task_id": setup.task["id"], "chat_id": 42, "message": "hi"}
    )
    assert response.status_code == 400
    assert "chat_id: must be a string" in response.json()["message"]
    async with db.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(Thread))).scalar() == 0


async def test_missing_fields_are_named(client, make_tenant, make_setup):
    tenant = await make_tenant()
    await make_setup(tenant)
    response = await send(client, tenant.headers, {"chat_id": "1"})
    assert response.status_code == 400
    message = response.json()["message"]
    assert "task_id: field required" in message and "message: field required" in message


async def test_invalid_json_is_400(client, make_tenant):
    tenant = await make_tenant()
    response = await client.post(
        "/api/1.1/wf/send_message_external",
        content=b"{not json",
        headers={**tenant.headers, "content-type": "application/json"},
    )
    assert response.status_code == 400


async def test_another_companys_task_is_404_and_writes_nothing(client, db, make_tenant, make_setup):
    a = await make_tenant("Alpha")
    b = await make_tenant("Beta")
    setup = await make_setup(a)
    response = await send(
        client, b.headers, {"task_id": setup.task["id"], "chat_id": "1", "message": "hi"}
    )
    assert response.status_code == 404
    assert "task_id" in response.json()["message"]
    async with db.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(Thread))).scalar() == 0


async def test_message_over_64kb_is_413_and_writes_nothing(client, db, make_tenant, make_setup):
    tenant = await make_tenant()
    setup = await make_setup(tenant)
    response = await send(
        client,
        tenant.headers,
        {"task_id": setup.task["id"], "chat_id": "1", "message": "x" * 70_000},
    )
    assert response.status_code == 413
    async with db.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(Message))).scalar() == 0


async def test_a_message_writes_its_webhook_delivery_in_the_same_commit(
    client, db, make_tenant, make_setup
):
    tenant = await make_tenant()
    setup = await make_setup(tenant)
    await send(
        client, tenant.headers, {"task_id": setup.task["id"], "chat_id": "1", "message": "hi"}
    )
    async with db.sessions() as session:
        events = (await session.execute(select(Event))).scalars().all()
        deliveries = (await session.execute(select(Delivery))).scalars().all()
    assert [e.wh_type for e in events] == ["all_messages"]
    assert len(deliveries) == 1 and deliveries[0].integration_id == setup.integration["id"]


async def test_add_target_adds_once(client, make_tenant, make_setup):
    tenant = await make_tenant()
    setup = await make_setup(tenant, mode="outbound")
    body = {"task": setup.task["id"], "target": "@someone"}
    first = await client.post("/api/1.1/wf/add_target", json=body, headers=tenant.headers)
    again = await client.post("/api/1.1/wf/add_target", json=body, headers=tenant.headers)
    assert first.status_code == 200 and first.json()["response"]["created"] is True
    assert again.json()["response"]["created"] is False


async def test_add_target_of_another_company_is_404(client, make_tenant, make_setup):
    setup = await make_setup(await make_tenant("Alpha"))
    other = await make_tenant("Beta")
    response = await client.post(
        "/api/1.1/wf/add_target",
        json={"task": setup.task["id"], "target": "1"},
        headers=other.headers,
    )
    assert response.status_code == 404


async def test_a_new_dialog_has_a_working_share_url_in_its_webhook(
    client, db, make_tenant, make_setup
):
    tenant = await make_tenant()
    setup = await make_setup(tenant)
    await send(
        client, tenant.headers, {"task_id": setup.task["id"], "chat_id": "1", "message": "hi"}
    )
    async with db.sessions() as session:
        thread = (await session.execute(select(Thread))).scalar_one()
        event = (await session.execute(select(Event))).scalar_one()
    assert thread.share_key and len(thread.share_key) >= 32
    import json

    body = json.loads(event.body)
    assert body["share_url"] == (
        f"http://botdesk.test/share?thread={thread.id}&key={thread.share_key}"
    )
    assert body["panel_url"] == f"http://botdesk.test/panel?menu=chats&thread={thread.id}"
