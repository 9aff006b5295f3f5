"""The SSRF matrix: blocked targets are refused with an empty allow-list, and never contacted."""

from __future__ import annotations

import pytest

from botdesk.webhooks.sender import Delivered, Failed, Sender
from botdesk.webhooks.signing import new_secret
from botdesk.webhooks.ssrf import check_url_literal
from tests.webhooks.conftest import fast_settings

BLOCKED_LITERALS = [
    "http://127.0.0.1/hook",
    "http://localhost/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://0177.0.0.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://10.1.2.3/hook",
    "http://192.168.0.1/hook",
    "http://100.64.0.1/hook",
    "http://[fe80::1]/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
]


@pytest.mark.parametrize("url", BLOCKED_LITERALS)
def test_blocked_literal_gives_a_clear_error_at_creation(url: str) -> None:
    problem = check_url_literal(url, [])
    assert problem and problem.startswith("webhook_url refused:")


def test_public_urls_pass_the_literal_check() -> None:
    assert check_url_literal("https://hooks.example.com/x", []) is None
    assert check_url_literal("http://8.8.8.8/x", []) is None


def test_non_http_scheme_is_refused() -> None:
    assert check_url_literal("file:///etc/passwd", []) == (
        "webhook_url must start with http:// or https://"
    )


def test_metadata_address_is_refused_even_when_allow_listed() -> None:
    assert check_url_literal("http://169.254.169.254/", ["169.254.0.0/16", "0.0.0.0/0"])
    assert check_url_literal("http://127.0.0.1:9/", ["127.0.0.0/8"]) is None


@pytest.mark.parametrize(
    "url_of",
    [
        lambda port: f"http://127.0.0.1:{port}/hook",
        lambda port: f"http://2130706433:{port}/hook",
        lambda port: f"http://[::ffff:127.0.0.1]:{port}/hook",
        lambda port: f"http://localhost:{port}/hook",
    ],
)
async def test_sender_refuses_loopback_with_empty_allow_list(receivers, url_of) -> None:
    receiver = await receivers()
    port = receiver.url.split(":")[2].split("/")[0]
    sender = Sender(fast_settings("sqlite://", webhook_allow_private=[]))
    try:
        outcome = await sender.send(
            url=url_of(port), msg_id="msg_x", body=b"{}", secrets=[new_secret()]
        )
    finally:
        await sender.close()
    assert isinstance(outcome, Failed)
    assert "refused target" in outcome.attempt.error
    assert receiver.hits == []


async def test_hostname_resolving_to_loopback_is_refused(receivers) -> None:
    receiver = await receivers()
    port = receiver.url.split(":")[2].split("/")[0]

    async def evil_dns(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    sender = Sender(fast_settings("sqlite://", webhook_allow_private=[]), resolve=evil_dns)
    try:
        outcome = await sender.send(
            url=f"http://rebind.example:{port}/hook",
            msg_id="msg_x",
            body=b"{}",
            secrets=[new_secret()],
        )
    finally:
        await sender.close()
    assert isinstance(outcome, Failed)
    assert "refused target" in outcome.attempt.error and "127.0.0.1" in outcome.attempt.error
    assert receiver.hits == []


async def test_allow_list_lets_a_resolved_loopback_name_through(receivers) -> None:
    receiver = await receivers()
    port = receiver.url.split(":")[2].split("/")[0]

    async def dns(host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    sender = Sender(fast_settings("sqlite://"), resolve=dns)
    try:
        outcome = await sender.send(
            url=f"http://receiver.example:{port}/hook",
            msg_id="msg_x",
            body=b"{}",
            secrets=[new_secret()],
        )
    finally:
        await sender.close()
    assert isinstance(outcome, Delivered)
    assert len(receiver.hits) == 1
