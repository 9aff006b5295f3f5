"""The management API (`/v1`): every resource's create / list / get / update / delete, threads."""

from __future__ import annotations

import httpx
import pytest


async def test_channel_crud(client: httpx.AsyncClient, make_tenant):
    tenant = await make_tenant()
    h = tenant.headers
    created = await client.post("/v1/channels", json={"name": "Site", "type": "widget"}, headers=h)
    assert created.status_code == 201
    channel = created.json()
    assert channel["name"] == "Site" and channel["type"] == "widget" and channel["id"]
    listed = (await client.get("/v1/channels", headers=h)).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == channel["id"]
    got = await client.get(f"/v1/channels/{channel['id']}", headers=h)
    assert got.json() == channel
    patched = await client.patch(f"/v1/channels/{channel['id']}", json={"name": "Web"}, headers=h)
    assert patched.status_code == 200 and patched.json()["name"] == "Web"
    assert (await client.delete(f"/v1/channels/{channel['id']}", headers=h)).status_code == 204
    assert (await client.get(f"/v1/channels/{channel['id']}", headers=h)).status_code == 404


async def test_manager_and_list_crud(client, make_tenant):
    h = (await make_tenant()).headers
    manager = (await client.post("/v1/managers", json={"name": "Anna"}, headers=h)).json()
    assert manager["name"] == "Anna"
    black = await client.post(
        "/v1/lists", json={"name": "Spam", "kind": "black", "entries": ["1", "@x"]}, headers=h
    )
    assert black.status_code == 201 and black.json()["entries"] == ["1", "@x"]
    updated = await client.patch(
        f"/v1/lists/{black.json()['id']}", json={"entries": ["2"]}, headers=h
    )
    assert updated.json()["entries"] == ["2"]
    bad = await client.post("/v1/lists", json={"name": "L", "kind": "grey"}, headers=h)
    assert bad.status_code == 400 and "kind" in bad.json()["message"]


async def test_ai_defaults_and_api_key_is_never_returned(client, make_tenant):
    h = (await make_tenant()).headers
    ai = (
        await client.post(
            "/v1/ais",
            json={"name": "Bot", "provider": "openai", "api_key": "sk-secret", "temperature": 1.2},
            headers=h,
        )
    ).json()
    assert ai["functions"] == ["success", "get_contact", "interest", "close", "operator"]
    assert ai["has_api_key"] is True and "sk-secret" not in str(ai)
    assert ai["temperature"] == 1.2
    too_hot = await client.post("/v1/ais", json={"name": "B", "temperature": 3}, headers=h)
    assert too_hot.status_code == 400 and "temperature" in too_hot.json()["message"]


async def test_integration_returns_its_secret_once(client, make_tenant):
    h = (await make_tenant()).headers
    created = await client.post(
        "/v1/integrations",
        json={"name": "Hook", "webhook_url": "http://127.0.0.1:9/x", "webhook_type": "success"},
        headers=h,
    )
    assert created.status_code == 201
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["type"] == "another"
    assert body["webhook_type"] == "success" and body["enabled"] is True
    got = (await client.get(f"/v1/integrations/{body['id']}", headers=h)).json()
    assert "secret" not in got


async def test_integration_url_must_be_http(client, make_tenant):
    h = (await make_tenant()).headers
    response = await client.post(
        "/v1/integrations", json={"name": "Hook", "webhook_url": "ftp://x/y"}, headers=h
    )
    assert response.status_code == 400 and "webhook_url" in response.json()["message"]


async def test_task_crud_and_references(client, make_tenant, make_setup):
    tenant = await make_tenant()
    setup = await make_setup(tenant)
    task = setup.task
    assert task["type"] == "web" and task["mode"] == "inbound" and task["status"] == "running"
    assert task["integration_ids"] == [setup.integration["id"]]
    paused = await client.patch(
        f"/v1/tasks/{task['id']}", json={"status": "paused"}, headers=tenant.headers
    )
    assert paused.json()["status"] == "paused"
    missing = await client.post(
        "/v1/tasks",
        json={"name": "T", "channel_id": "nope", "ai_id": setup.ai["id"]},
        headers=tenant.headers,
    )
    assert missing.status_code == 400 and "channel_id" in missing.json()["message"]
    in_use = await client.delete(f"/v1/channels/{setup.channel['id']}", headers=tenant.headers)
    assert in_use.status_code == 409


async def test_threads_list_get_operator_message_and_flags(client, make_tenant, make_setup):
    tenant = await make_tenant()
    setup = await make_setup(tenant)
    h = tenant.headers
    for chat, count in (("a", 1), ("b", 3)):
        for i in range(count):
            await client.post(
                "/api/1.1/wf/send_message_external",
                json={"task_id": setup.task["id"], "chat_id": chat, "message": f"m{i}"},
                headers=h,
            )
    by_count = (await client.get("/v1/threads?sort=-count", headers=h)).json()
    assert [t["chat_id"] for t in by_count["items"]] == ["b", "a"]
    thread_id = by_count["items"][0]["id"]
    sent = await client.post(f"/v1/threads/{thread_id}/messages", json={"text": "Hello"}, headers=h)
    assert sent.status_code == 201 and sent.json()["type"] == "operator"
    full = (await client.get(f"/v1/threads/{thread_id}", headers=h)).json()
    assert [m["type"] for m in full["messages"]] == ["user", "user", "user", "operator"]
    flagged = await client.post(
        f"/v1/threads/{thread_id}/flags", json={"operator": True, "interest": True}, headers=h
    )
    assert flagged.json()["flags"]["operator"] is True
    only_interest = (await client.get("/v1/threads?flag=interest", headers=h)).json()
    assert [t["id"] for t in only_interest["items"]] == [thread_id]
    by_task = (await client.get(f"/v1/threads?task_id={setup.task['id']}", headers=h)).json()
    assert by_task["total"] == 2
    back = await client.post(f"/v1/threads/{thread_id}/flags", json={"operator": False}, headers=h)
    assert back.json()["flags"]["operator"] is False
    bad = await client.get("/v1/threads?flag=nonsense", headers=h)
    assert bad.status_code == 400 and "flag" in bad.json()["message"]


@pytest.mark.parametrize("path", ["/v1/channels", "/v1/ais", "/v1/tasks", "/v1/threads"])
async def test_listing_needs_auth(client, path):
    assert (await client.get(path)).status_code == 401


async def test_openapi_document_lists_every_route(client):
    spec = (await client.get("/openapi.json")).json()
    for path in (
        "/api/1.1/wf/auth",
        "/api/1.1/wf/send_message_external",
        "/api/1.1/wf/add_target",
        "/v1/channels",
        "/v1/ais/{id}",
        "/v1/integrations",
        "/v1/tasks/{id}",
        "/v1/lists",
        "/v1/managers",
        "/v1/threads",
        "/v1/threads/{thread_id}/messages",
        "/v1/threads/{thread_id}/flags",
    ):
        assert path in spec["paths"], path
    thread = spec["components"]["schemas"]["SeedThread"]["properties"]
    assert "Created By" in thread and "_id" in thread
