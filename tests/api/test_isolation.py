"""Tenant isolation: company B can neither read nor change anything of company A, on every
route of the API (walked from the OpenAPI document so new routes are covered automatically)."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from botdesk.models import Message, Thread


async def test_company_b_cannot_reach_anything_of_company_a(
    client: httpx.AsyncClient, db, make_tenant, make_setup
):
    a = await make_tenant("Alpha")
    b = await make_tenant("Beta")
    setup = await make_setup(a)
    sent = await client.post(
        "/api/1.1/wf/send_message_external",
        json={"task_id": setup.task["id"], "chat_id": "1", "message": "secret of A"},
        headers=a.headers,
    )
    thread_id = sent.json()["response"]["thread"]["_id"]
    list_id = (
        await client.post("/v1/lists", json={"name": "L", "kind": "black"}, headers=a.headers)
    ).json()["id"]
    manager_id = (await client.post("/v1/managers", json={"name": "M"}, headers=a.headers)).json()[
        "id"
    ]
    ids = {
        "channels": setup.channel["id"],
        "ais": setup.ai["id"],
        "tasks": setup.task["id"],
        "integrations": setup.integration["id"],
        "lists": list_id,
        "managers": manager_id,
        "threads": thread_id,
    }
    spec = (await client.get("/openapi.json")).json()
    checked = 0
    for path, operations in spec["paths"].items():
        if not path.startswith("/v1/") or "{" not in path:
            continue
        resource = path.split("/")[2]
        concrete = path.replace("{id}", ids.get(resource, "x")).replace("{thread_id}", thread_id)
        for name in ("{integration_id}", "{delivery_id}"):
            concrete = concrete.replace(name, ids["integrations"])
        for method in operations:
            response = await client.request(method.upper(), concrete, json={}, headers=b.headers)
            assert response.status_code in (404, 400), (method, concrete, response.status_code)
            assert "secret of A" not in response.text
            checked += 1
    assert checked >= 20
    # B's listings show nothing of A.
    for resource in ("channels", "ais", "integrations", "tasks", "lists", "managers", "threads"):
        listing = (await client.get(f"/v1/{resource}", headers=b.headers)).json()
        assert listing["items"] == [], resource
    # B cannot write into A's task through the public API.
    response = await client.post(
        "/api/1.1/wf/send_message_external",
        json={"task_id": setup.task["id"], "chat_id": "1", "message": "from B"},
        headers=b.headers,
    )
    assert response.status_code == 404
    # A still sees exactly its own dialog, untouched.
    async with db.sessions() as session:
        assert (await session.execute(select(func.count()).select_from(Thread))).scalar() == 1
        assert (await session.execute(select(func.count()).select_from(Message))).scalar() == 1
    # B cannot reference A's objects from its own task either.
    own_channel = (
        await client.post("/v1/channels", json={"name": "c", "type": "api"}, headers=b.headers)
    ).json()
    stolen = await client.post(
        "/v1/tasks",
        json={"name": "t", "channel_id": own_channel["id"], "ai_id": setup.ai["id"]},
        headers=b.headers,
    )
    assert stolen.status_code == 400 and "ai_id" in stolen.json()["message"]
