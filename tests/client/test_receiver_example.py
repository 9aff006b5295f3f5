"""examples/receiver.py verifies, skips repeats and relays only bot and operator messages."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from botdesk.webhooks.signing import new_secret, signature_headers


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> tuple[object, list[tuple[str, str]]]:
    from examples import receiver as module

    secret = new_secret()
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(module, "SECRET", secret)
    monkeypatch.setattr(module, "seen", set())
    monkeypatch.setattr(module, "deliver_to_user", lambda chat, text: sent.append((chat, text)))
    return module, sent


def signed(secret: str, msg_id: str, message_type: str) -> tuple[dict[str, str], bytes]:
    body = json.dumps(
        {
            "wh_type": "all_messages",
            "message_type": message_type,
            "external_chat_id": "42",
            "message_text": f"{message_type} text",
        }
    ).encode()
    return signature_headers([secret], msg_id, int(time.time()), body), body


async def test_relays_bot_and_operator_once_and_refuses_bad_signatures(receiver: tuple) -> None:
    module, sent = receiver
    transport = httpx.ASGITransport(app=module.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as http:
        for msg_id, kind in (("msg_1", "user"), ("msg_2", "bot"), ("msg_3", "operator")):
            headers, body = signed(module.SECRET, msg_id, kind)
            assert (await http.post("/botdesk", content=body, headers=headers)).status_code == 200
        headers, body = signed(module.SECRET, "msg_2", "bot")
        assert (await http.post("/botdesk", content=body, headers=headers)).json() == {
            "status": "duplicate"
        }
        headers, body = signed(new_secret(), "msg_4", "bot")
        assert (await http.post("/botdesk", content=body, headers=headers)).status_code == 400
    assert sent == [("42", "bot text"), ("42", "operator text")]
