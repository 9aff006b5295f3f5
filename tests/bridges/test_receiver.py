"""The bridge's webhook receiver in-process: signatures, filtering, dedup, splitting, disk."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from botdesk.bridges.receiver import TEXT_LIMIT, WEBHOOK_PATH, WebhookReceiver, split_text
from botdesk.bridges.state import BridgeState
from botdesk.bridges.telegram import TelegramBridgeConfig
from botdesk.webhooks.signing import new_secret, signature_headers

SECRET = new_secret()


@pytest.fixture
async def receiver(tmp_path: Path) -> Any:
    state = BridgeState(path=tmp_path / "state.json", webhook_secret=SECRET)
    config = TelegramBridgeConfig(bot_token="t", task_id="task-1", api_key="k")
    wake = asyncio.Event()
    hook = WebhookReceiver(state, config, client=None, wake=wake)  # type: ignore[arg-type]
    app = web.Application()
    app.router.add_post(WEBHOOK_PATH, hook.handle)
    async with TestClient(TestServer(app)) as http:
        yield http, state, wake


def event(**fields: Any) -> dict[str, Any]:
    return {
        "wh_type": "all_messages",
        "message_type": "bot",
        "task_id": "task-1",
        "external_chat_id": "42",
        "message_text": "Hello",
        **fields,
    }


async def post(http: TestClient, payload: dict[str, Any], msg_id: str, secret: str = SECRET) -> Any:
    body = json.dumps(payload).encode()
    headers = signature_headers([secret], msg_id, int(time.time()), body)
    response = await http.post(WEBHOOK_PATH, data=body, headers=headers)
    return response.status, await response.json()


async def test_queues_bot_and_operator_messages_on_disk_and_wakes_the_sender(receiver: Any) -> None:
    http, state, wake = receiver
    assert await post(http, event(), "msg_1") == (200, {"status": "queued"})
    assert await post(http, event(message_type="operator", message_text="Hi"), "msg_2") == (
        200,
        {"status": "queued"},
    )
    assert wake.is_set()
    saved = BridgeState.load(state.path)
    assert [(o.chat_id, o.text) for o in saved.outbox] == [("42", "Hello"), ("42", "Hi")]


async def test_a_redelivered_webhook_is_acknowledged_and_not_queued_again(receiver: Any) -> None:
    http, state, _ = receiver
    await post(http, event(), "msg_1")
    assert await post(http, event(), "msg_1") == (200, {"status": "duplicate"})
    assert len(state.outbox) == 1


@pytest.mark.parametrize(
    "fields",
    [{"message_type": "user"}, {"wh_type": "success"}, {"task_id": "another-task"}],
    ids=["user message", "flag webhook", "other task"],
)
async def test_ignores_what_is_not_for_the_user(receiver: Any, fields: dict[str, Any]) -> None:
    http, state, _ = receiver
    assert await post(http, event(**fields), "msg_1") == (200, {"status": "ignored"})
    assert state.outbox == []


async def test_refuses_a_bad_signature_with_400(receiver: Any) -> None:
    http, state, _ = receiver
    status, _ = await post(http, event(), "msg_1", secret=new_secret())
    assert status == 400 and state.outbox == [] and state.seen_webhooks == []


async def test_long_replies_are_split_for_telegram(receiver: Any) -> None:
    http, state, _ = receiver
    await post(http, event(message_text="word " * 2000), "msg_1")
    assert len(state.outbox) == 3
    assert all(len(o.text) <= TEXT_LIMIT for o in state.outbox)


def test_split_text_prefers_word_boundaries() -> None:
    assert split_text("short") == ["short"]
    assert split_text("") == []
    pieces = split_text("aaaa bbbb cccc", limit=10)
    assert pieces == ["aaaa bbbb", "cccc"]
    assert split_text("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]


def test_state_file_round_trips_and_forgets_old_webhook_ids(tmp_path: Path) -> None:
    from botdesk.bridges import state as state_module
    from botdesk.bridges.state import Outgoing

    path = tmp_path / "s.json"
    state = BridgeState(path=path, offset=7, integration_id="i", webhook_secret="whsec_x")
    for n in range(state_module.REMEMBERED_WEBHOOK_IDS + 5):
        state.accept(f"msg_{n}", [])
    state.accept("msg_last", [Outgoing("msg_last", "1", "hi")])
    state.save()
    loaded = BridgeState.load(path)
    assert (loaded.offset, loaded.integration_id, loaded.webhook_secret) == (7, "i", "whsec_x")
    assert len(loaded.seen_webhooks) == state_module.REMEMBERED_WEBHOOK_IDS
    assert "msg_0" not in loaded.seen_webhooks and loaded.outbox[0].text == "hi"
    assert not path.with_name("s.json.tmp").exists()
