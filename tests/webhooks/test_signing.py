"""Signatures verify with the independent `standardwebhooks` library, and fail when they must."""

from __future__ import annotations

import base64
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from botdesk.webhooks.signing import active_secrets, new_secret, signature_headers, verify

BODY = b'{"message_text":"hello","wh_type":"all_messages"}'


def test_new_secret_is_whsec_with_at_least_24_random_bytes() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert new_secret() != secret


def test_signature_verifies_with_standardwebhooks() -> None:
    secret = new_secret()
    headers = signature_headers([secret], "msg_abc", int(time.time()), BODY)
    assert Webhook(secret).verify(BODY, headers) is not None
    assert headers["webhook-signature"].startswith("v1,")


def test_tampered_body_fails() -> None:
    secret = new_secret()
    headers = signature_headers([secret], "msg_abc", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"hello", b"HELLO"), headers)


def test_wrong_secret_fails() -> None:
    headers = signature_headers([new_secret()], "msg_abc", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret()).verify(BODY, headers)


def test_too_old_timestamp_fails() -> None:
    secret = new_secret()
    headers = signature_headers([secret], "msg_abc", int(time.time()) - 3600, BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, headers)


def test_rotation_signs_with_both_secrets_until_the_old_one_expires() -> None:
    old, new = new_secret(), new_secret()
    now = 1_000_000
    both = active_secrets(new, old, now + 1, now)
    assert both == [new, old]
    headers = signature_headers(both, "msg_abc", int(time.time()), BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(BODY, headers)
    Webhook(new).verify(BODY, headers)
    assert active_secrets(new, old, now, now) == [new]


def test_own_verify_matches_the_library() -> None:
    secret = new_secret()
    now = int(time.time())
    headers = signature_headers([secret], "msg_abc", now, BODY)
    assert verify(secret, headers, BODY, now_s=now)
    assert not verify(secret, headers, BODY + b" ", now_s=now)
    assert not verify(new_secret(), headers, BODY, now_s=now)
    assert not verify(secret, headers, BODY, now_s=now + 3600)
