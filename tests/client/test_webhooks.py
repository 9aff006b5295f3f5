"""`botdesk.client.verify_webhook` agrees with the Standard Webhooks reference library."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import standardwebhooks
from hypothesis import given, settings
from hypothesis import strategies as st

from botdesk.client import WebhookVerificationError, sign, verify_webhook
from botdesk.webhooks.signing import new_secret, signature_headers

SECRET = new_secret()
OTHER = new_secret()
BODY = json.dumps({"message_type": "bot", "message_text": "Hi", "wh_type": "all_messages"}).encode()


def headers(body: bytes = BODY, *, secrets: list[str] | None = None, age: int = 0) -> dict:
    return signature_headers(secrets or [SECRET], "msg_1", int(time.time()) - age, body)


def reference(hdrs: dict[str, str], body: bytes, secret: str) -> Any:
    try:
        return standardwebhooks.Webhook(secret).verify(body, hdrs)
    except standardwebhooks.WebhookVerificationError:
        return "refused"


def ours(hdrs: dict[str, str], body: bytes, secret: str) -> Any:
    try:
        return verify_webhook(hdrs, body, secret)
    except WebhookVerificationError:
        return "refused"


def tamper_signature(h: dict[str, str]) -> dict[str, str]:
    raw = bytearray(base64.b64decode(h["webhook-signature"][3:]))
    raw[0] ^= 1
    return {**h, "webhook-signature": "v1," + base64.b64encode(bytes(raw)).decode()}


CASES: dict[str, tuple[Callable[[], tuple[dict[str, str], bytes, str]], bool]] = {
    "valid": (lambda: (headers(), BODY, SECRET), True),
    "tampered body": (lambda: (headers(), BODY.replace(b"Hi", b"Ho"), SECRET), False),
    "tampered id": (lambda: ({**headers(), "webhook-id": "msg_2"}, BODY, SECRET), False),
    "tampered timestamp": (
        lambda: ({**headers(), "webhook-timestamp": str(int(time.time()) - 3)}, BODY, SECRET),
        False,
    ),
    "tampered signature": (lambda: (tamper_signature(headers()), BODY, SECRET), False),
    "wrong secret": (lambda: (headers(), BODY, OTHER), False),
    "stale": (lambda: (headers(age=600), BODY, SECRET), False),
    "from the future": (lambda: (headers(age=-600), BODY, SECRET), False),
    "old but within tolerance": (lambda: (headers(age=200), BODY, SECRET), True),
    "rotation, new secret": (lambda: (headers(secrets=[SECRET, OTHER]), BODY, SECRET), True),
    "rotation, old secret": (lambda: (headers(secrets=[SECRET, OTHER]), BODY, OTHER), True),
    "rotation, neither": (lambda: (headers(secrets=[SECRET, OTHER]), BODY, new_secret()), False),
    "unknown version only": (
        lambda: (
            {**headers(), "webhook-signature": "v2," + headers()["webhook-signature"][3:]},
            BODY,
            SECRET,
        ),
        False,
    ),
    "missing signature": (
        lambda: ({k: v for k, v in headers().items() if k != "webhook-signature"}, BODY, SECRET),
        False,
    ),
    "upper-case header names": (
        lambda: ({k.title(): v for k, v in headers().items()}, BODY, SECRET),
        True,
    ),
    "secret without prefix": (lambda: (headers(), BODY, SECRET.removeprefix("whsec_")), True),
}


@pytest.mark.parametrize("case", list(CASES))
def test_agrees_with_reference_library(case: str) -> None:
    make, accepted = CASES[case]
    hdrs, body, secret = make()
    expected = json.loads(body) if accepted else "refused"
    assert reference(hdrs, body, secret) == expected
    assert ours(hdrs, body, secret) == expected


@settings(max_examples=60, deadline=None)
@given(
    body=st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=4),
    msg_id=st.text(alphabet="abcdefghij_0123456789", min_size=1, max_size=20),
    age=st.integers(-900, 900).filter(lambda a: abs(abs(a) - 300) > 5),
    flip=st.booleans(),
)
def test_agrees_on_random_messages(body: dict, msg_id: str, age: int, flip: bool) -> None:
    raw = json.dumps(body).encode()
    hdrs = signature_headers([SECRET], msg_id, int(time.time()) - age, raw)
    if flip:
        hdrs = tamper_signature(hdrs)
    assert ours(hdrs, raw, SECRET) == reference(hdrs, raw, SECRET)


def test_signs_like_the_server() -> None:
    stamp = int(time.time())
    server = signature_headers([SECRET], "msg_1", stamp, BODY)["webhook-signature"]
    assert sign(SECRET, "msg_1", stamp, BODY) == server


def test_tolerance_and_clock_can_be_given() -> None:
    hdrs = signature_headers([SECRET], "msg_1", 1_000_000, BODY)
    assert verify_webhook(hdrs, BODY, SECRET, now=1_000_050)["message_text"] == "Hi"
    with pytest.raises(WebhookVerificationError, match="too old"):
        verify_webhook(hdrs, BODY, SECRET, tolerance=10, now=1_000_050)


def test_accepts_str_body_and_refuses_non_json() -> None:
    assert verify_webhook(headers(), BODY.decode(), SECRET)["wh_type"] == "all_messages"
    with pytest.raises(WebhookVerificationError, match="not JSON"):
        verify_webhook(headers(b"not json"), b"not json", SECRET)
