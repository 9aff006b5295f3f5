"""HTTP semantics of one attempt against real receivers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from standardwebhooks.webhooks import Webhook

from botdesk.webhooks.sender import RESPONSE_BODY_LIMIT, Delivered, Failed, Sender
from botdesk.webhooks.signing import new_secret
from tests.webhooks.conftest import fast_settings

pytestmark = pytest.mark.timeout(30)
BODY = b'{"wh_type":"all_messages"}'


@pytest.fixture
async def sender() -> AsyncIterator[Sender]:
    s = Sender(fast_settings("sqlite://", webhook_total_timeout=0.5))
    yield s
    await s.close()


async def send(sender: Sender, url: str, secret: str | None = None):
    return await sender.send(url=url, msg_id="msg_1", body=BODY, secrets=[secret or new_secret()])


async def test_2xx_is_delivered_and_signed(sender, receivers) -> None:
    receiver = await receivers(lambda r, n: _respond(204))
    secret = new_secret()
    outcome = await send(sender, receiver.url, secret)
    assert isinstance(outcome, Delivered) and outcome.attempt.status_code == 204
    hit = receiver.hits[0]
    assert hit.body == BODY and hit.headers["webhook-id"] == "msg_1"
    Webhook(secret).verify(hit.body, hit.headers)


async def test_500_fails_without_minimum_delay(sender, receivers) -> None:
    receiver = await receivers(lambda r, n: _respond(500, "boom"))
    outcome = await send(sender, receiver.url)
    assert isinstance(outcome, Failed) and outcome.attempt.status_code == 500
    assert outcome.attempt.excerpt == "boom" and outcome.min_delay_s is None


async def test_429_honours_retry_after_and_waits_at_least_60s(sender, receivers) -> None:
    receiver = await receivers(lambda r, n: _respond(429, headers={"Retry-After": "120"}))
    outcome = await send(sender, receiver.url)
    assert isinstance(outcome, Failed) and outcome.min_delay_s == 120
    receiver.handler = lambda r, n: _respond(429, headers={"Retry-After": "3"})
    outcome = await send(sender, receiver.url)
    assert isinstance(outcome, Failed) and outcome.min_delay_s == 60


async def test_503_honours_retry_after(sender, receivers) -> None:
    receiver = await receivers(lambda r, n: _respond(503, headers={"Retry-After": "30"}))
    outcome = await send(sender, receiver.url)
    assert isinstance(outcome, Failed) and outcome.min_delay_s == 30


async def test_410_is_gone(sender, receivers) -> None:
    receiver = await receivers(lambda r, n: _respond(410))
    outcome = await send(sender, receiver.url)
    assert isinstance(outcome, Failed) and outcome.gone


async def test_redirect_is_a_failure_and_its_target_is_never_contacted(sender, receivers) -> None:
    target = await receivers()
    bouncer = await receivers(lambda r, n: _respond(302, headers={"Location": target.url}))
    outcome = await send(sender, bouncer.url)
    assert isinstance(outcome, Failed) and outcome.attempt.status_code == 302
    assert "not followed" in outcome.attempt.error
    assert target.hits == []


async def test_slow_receiver_times_out_and_waits_at_least_60s(sender, receivers) -> None:
    async def slow(_r: web.Request, _n: int) -> web.Response:
        await asyncio.sleep(3)
        return web.Response()

    receiver = await receivers(slow)
    started = time.monotonic()
    outcome = await send(sender, receiver.url)
    assert time.monotonic() - started < 2
    assert isinstance(outcome, Failed) and outcome.attempt.error == "timeout"
    assert outcome.min_delay_s == 60


async def test_connection_refused_fails(sender) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    outcome = await send(sender, f"http://127.0.0.1:{port}/hook")
    assert isinstance(outcome, Failed) and outcome.attempt.status_code is None
    assert "connection failed" in outcome.attempt.error


async def test_connection_reset_fails(sender) -> None:
    async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(100)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    server = await asyncio.start_server(reset, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        outcome = await send(sender, f"http://127.0.0.1:{port}/hook")
    finally:
        server.close()
    assert isinstance(outcome, Failed) and outcome.attempt.status_code is None
    assert outcome.attempt.error


async def test_only_the_first_16_kb_of_a_response_is_kept(sender, receivers) -> None:
    receiver = await receivers(lambda r, n: _respond(500, "x" * (RESPONSE_BODY_LIMIT * 8)))
    outcome = await send(sender, receiver.url)
    assert isinstance(outcome, Failed)
    assert len(outcome.attempt.excerpt) == RESPONSE_BODY_LIMIT


async def _respond(
    status: int, text: str = "", headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(status=status, text=text, headers=headers)
