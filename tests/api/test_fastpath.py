"""`send_message_external` is answered by `api.fastpath` ahead of FastAPI; switched off, the
FastAPI route answers. Both must answer every request alike, byte for byte where nothing
differs by design (the thread's counters and dates move with each message)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from botdesk.core.config import Settings
from botdesk.db.engine import Database

PATH = "/api/1.1/wf/send_message_external"


@pytest.fixture
async def route_client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    from botdesk.api.app import create_app

    app = create_app(settings.model_copy(update={"fast_path": False}), db=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://botdesk.test") as http:
        yield http
    await app.state.ingest.close()


def _cases(task_id: str, other_task_id: str, key: str) -> list[tuple[str, dict[str, Any]]]:
    auth = {"Authorization": f"Bearer {key}"}
    json_auth = {**auth, "content-type": "application/json"}

    def body(**fields: Any) -> dict[str, Any]:
        return {"task_id": task_id, "chat_id": "c1", "message": "hello", **fields}

    return [
        ("valid", {"json": body(), "headers": auth}),
        ("valid with a title", {"json": body(title="Ann"), "headers": auth}),
        ("chat_id as a number", {"json": body(chat_id=5), "headers": auth}),
        ("missing fields", {"json": {"chat_id": "c1"}, "headers": auth}),
        ("empty message", {"json": body(message=""), "headers": auth}),
        ("NUL in the message", {"json": body(message="a\x00b"), "headers": auth}),
        ("a list, not an object", {"json": [1, 2], "headers": auth}),
        ("invalid JSON", {"content": b"{nope", "headers": json_auth}),
        ("invalid JSON without auth", {"content": b"{nope", "headers": {}}),
        ("empty body", {"content": b"", "headers": json_auth}),
        ("not JSON", {"content": b"task_id=1", "headers": {**auth, "content-type": "text/plain"}}),
        ("no auth", {"json": body(), "headers": {}}),
        ("bad key", {"json": body(), "headers": {"Authorization": "Bearer nope"}}),
        ("basic auth", {"json": body(), "headers": {"Authorization": f"Basic {key}"}}),
        ("bad fields without auth", {"json": {"chat_id": 1}, "headers": {}}),
        ("another company's task", {"json": body(task_id=other_task_id), "headers": auth}),
        ("unknown task", {"json": body(task_id="1x1"), "headers": auth}),
        ("over 64 KB", {"json": body(message="x" * 70_000), "headers": auth}),
    ]


_MOVING = {"count_message", "Modified Date"}


def _comparable(response: httpx.Response) -> Any:
    data = response.json()
    thread = data.get("response", {}).get("thread") if isinstance(data, dict) else None
    if isinstance(thread, dict):
        data["response"]["thread"] = {k: v for k, v in thread.items() if k not in _MOVING}
    return data


async def test_fast_path_and_route_answer_alike(client, route_client, make_tenant, make_setup):
    tenant = await make_tenant("Alpha")
    other = await make_tenant("Beta")
    task_id = (await make_setup(tenant)).task["id"]
    other_task_id = (await make_setup(other)).task["id"]
    for name, request in _cases(task_id, other_task_id, tenant.api_key):
        fast = await client.post(PATH, **request)
        routed = await route_client.post(PATH, **request)
        assert fast.status_code == routed.status_code, name
        assert _comparable(fast) == _comparable(routed), name
        assert fast.headers["content-type"] == routed.headers["content-type"], name
        assert fast.headers.get("www-authenticate") == routed.headers.get("www-authenticate")
    # Each valid request above was stored once by each path: 2 + 2 messages in one thread.
    last = await client.post(PATH, **_cases(task_id, other_task_id, tenant.api_key)[0][1])
    assert last.json()["response"]["thread"]["count_message"] == 5


async def test_other_methods_fall_through_to_fastapi(client):
    response = await client.get(PATH)
    assert response.status_code == 405
