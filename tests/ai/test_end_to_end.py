"""End to end with real processes: send_message_external → the embedded AI → a `bot` webhook
at a real receiver on 127.0.0.1, carrying the answer and the flags."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.support.server import bootstrap, botdesk_env, running_server


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    bodies: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", 0))
            bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies
    server.shutdown()


def wait_for_bot(bodies: list[dict[str, Any]], count: int, timeout: float = 30) -> list[Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        bots = [b for b in bodies if b.get("message_type") == "bot"]
        if len(bots) >= count:
            return bots
        time.sleep(0.1)
    raise AssertionError(f"no bot webhook in {timeout} s; got {bodies}")


def test_user_message_gets_a_bot_webhook_with_answer_and_flags(
    database_url: str, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, bodies = receiver
    env = botdesk_env(database_url)
    boot = bootstrap(env, email="e2e@example.com", company="E2E")
    headers = {"Authorization": f"Bearer {boot['api_key']}"}
    with running_server(env) as base, httpx.Client(base_url=base, headers=headers) as http:

        def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = http.post(path, json=body)
            assert response.status_code in (200, 201), response.text
            return dict(response.json())

        channel = post("/v1/channels", {"name": "Site", "type": "page_messenger"})
        ai = post(
            "/v1/ais",
            {
                "name": "Helper",
                "knowledge": [
                    {
                        "question": "How much does delivery cost?",
                        "answer": "Delivery costs $5; free over $50.",
                    }
                ],
                "settings": {"debounce_seconds": 0.2},
            },
        )
        hook = post("/v1/integrations", {"name": "Hook", "webhook_url": url})
        task = post(
            "/v1/tasks",
            {
                "name": "Web",
                "channel_id": channel["id"],
                "ai_id": ai["id"],
                "integration_ids": [hook["id"]],
            },
        )
        send = {"task_id": task["id"], "chat_id": "u-1", "message": "how much is delivery?"}
        post("/api/1.1/wf/send_message_external", send)
        first = wait_for_bot(bodies, 1)[0]
        assert first["message_text"] == "Delivery costs $5; free over $50."
        assert first["external_chat_id"] == "u-1" and first["get_contact"] == "no"
        post("/api/1.1/wf/send_message_external", {**send, "message": "my email is a@b.example"})
        second = wait_for_bot(bodies, 2)[1]
        assert second["get_contact"] == "yes"
        assert "a@b.example" in str(second["contacts"])
        # The work shows in the process's Prometheus metrics. A delivery is counted when its
        # outcome is recorded, a moment after the receiver got it, so wait for the last one.
        deadline = time.monotonic() + 10
        while True:
            metrics = http.get("/metrics").text
            delivered = 'botdesk_webhook_attempts_total{outcome="delivered"}'
            if f"{delivered} " in metrics and _metric(metrics, delivered) >= 4:
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert _metric(metrics, 'botdesk_messages_total{type="user"}') == 2
        assert _metric(metrics, 'botdesk_messages_total{type="bot"}') >= 2
        assert _metric(metrics, 'botdesk_webhook_attempts_total{outcome="delivered"}') >= 4
        assert _metric(metrics, 'botdesk_ai_answers_total{outcome="answered"}') >= 2


def _metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in /metrics")
