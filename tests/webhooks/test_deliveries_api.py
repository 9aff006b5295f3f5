"""The delivery log API: list, inspect, redeliver, recover, re-enable, rotate; tenants isolated."""

from __future__ import annotations

import pytest
from aiohttp import web
from standardwebhooks.webhooks import Webhook

from botdesk.worker.dispatcher import Dispatcher
from tests.webhooks.conftest import deliver_until, fast_settings

pytestmark = pytest.mark.timeout(60)


async def answer(status: int) -> web.Response:
    return web.Response(status=status, text=str(status))


async def send_message(client, setup, chat_id: str = "c1") -> None:
    response = await client.post(
        "/api/1.1/wf/send_message_external",
        json={"task_id": setup.task["id"], "chat_id": chat_id, "message": "hi"},
        headers=setup.tenant.headers,
    )
    assert response.status_code == 200, response.text


async def test_delivery_log_redeliver_recover_enable_rotate(
    client, db, make_tenant, make_setup, receivers
) -> None:
    state = {"status": 500}
    receiver = await receivers(lambda r, n: answer(state["status"]))
    setup = await make_setup(await make_tenant("Acme"), webhook_url=receiver.url)
    headers, hook_id = setup.tenant.headers, setup.integration["id"]
    dispatcher = Dispatcher(
        db, fast_settings(db.settings.database_url, webhook_retry_schedule=[0, 0.01])
    )
    await send_message(client, setup)
    await deliver_until(dispatcher, lambda: len(receiver.hits) == 2)

    listed = (await client.get(f"/v1/integrations/{hook_id}/deliveries?status=failed",
                               headers=headers)).json()  # fmt: skip
    assert listed["total"] == 1
    delivery = listed["items"][0]
    assert delivery["status"] == "failed" and delivery["attempts"] == 2
    none_delivered = await client.get(
        f"/v1/integrations/{hook_id}/deliveries?status=delivered", headers=headers
    )
    assert none_delivered.json()["total"] == 0

    detail = (await client.get(f"/v1/deliveries/{delivery['id']}", headers=headers)).json()
    assert [a["status_code"] for a in detail["attempt_log"]] == [500, 500]
    assert detail["attempt_log"][0]["response_excerpt"] == "500"
    assert detail["payload"]["external_chat_id"] == "c1"

    state["status"] = 200
    response = await client.post(f"/v1/deliveries/{delivery['id']}/redeliver", headers=headers)
    assert response.status_code == 202
    await deliver_until(dispatcher, lambda: len(receiver.hits) == 3)
    assert receiver.hits[2].headers["webhook-id"] == receiver.hits[0].headers["webhook-id"]
    detail = (await client.get(f"/v1/deliveries/{delivery['id']}", headers=headers)).json()
    assert detail["status"] == "delivered" and detail["attempt_log"][-1]["manual"]

    state["status"] = 500
    await send_message(client, setup, "c2")
    await deliver_until(dispatcher, lambda: len(receiver.hits) == 5)
    state["status"] = 200
    response = await client.post(
        f"/v1/integrations/{hook_id}/recover", json={"since": 0}, headers=headers
    )
    assert response.status_code == 202 and response.json() == {"queued": 1}
    await deliver_until(dispatcher, lambda: len(receiver.hits) == 6)

    state["status"] = 410
    await send_message(client, setup, "c3")
    await deliver_until(dispatcher, lambda: len(receiver.hits) == 7)
    listed = (await client.get("/v1/integrations", headers=headers)).json()
    assert listed["items"][0]["enabled"] is False
    state["status"] = 200
    enabled = await client.post(f"/v1/integrations/{hook_id}/enable", headers=headers)
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True
    await deliver_until(dispatcher, lambda: len(receiver.hits) == 8)

    old_secret = setup.integration["secret"]
    rotated = await client.post(f"/v1/integrations/{hook_id}/rotate-secret", headers=headers)
    new_secret = rotated.json()["secret"]
    assert new_secret != old_secret and new_secret.startswith("whsec_")
    await send_message(client, setup, "c4")
    await deliver_until(dispatcher, lambda: len(receiver.hits) == 9)
    hit = receiver.hits[8]
    Webhook(old_secret).verify(hit.body, hit.headers)
    Webhook(new_secret).verify(hit.body, hit.headers)
    await dispatcher.close()

    other = (await make_tenant("Other")).headers
    for method, path in [
        ("GET", f"/v1/integrations/{hook_id}/deliveries"),
        ("GET", f"/v1/deliveries/{delivery['id']}"),
        ("POST", f"/v1/deliveries/{delivery['id']}/redeliver"),
        ("POST", f"/v1/integrations/{hook_id}/enable"),
        ("POST", f"/v1/integrations/{hook_id}/rotate-secret"),
    ]:
        response = await client.request(method, path, headers=other)
        assert response.status_code == 404, path
    response = await client.post(
        f"/v1/integrations/{hook_id}/recover", json={"since": 0}, headers=other
    )
    assert response.status_code == 404
