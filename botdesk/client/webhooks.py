"""Verify botdesk's webhooks (Standard Webhooks) on the receiving side, with only the stdlib.

Kept free of server code so a receiver can copy this one file. The checks follow the Standard
Webhooks reference library exactly (same headers, same tolerance, several signatures while a
secret rotates), so both accept and refuse the same requests.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import time
from collections.abc import Mapping
from typing import Any

# Accepted distance between the webhook-timestamp header and our clock, in seconds: limits replays.
DEFAULT_TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"


class WebhookVerificationError(Exception):
    """The request is not a genuine, fresh botdesk webhook: answer 400 and do nothing."""


def _secret_key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        key = secret
    else:
        raw = secret.removeprefix(SECRET_PREFIX)
        try:
            key = base64.b64decode(raw + "==")  # tolerate unpadded secrets, as the reference does
        except (binascii.Error, ValueError) as exc:
            raise WebhookVerificationError("the secret is not valid base64") from exc
    if not key:
        raise WebhookVerificationError("the secret is empty")
    return key


def _header(headers: Mapping[str, str], name: str) -> str:
    # Works for dicts with any key case and for case-insensitive header objects alike.
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value or ""


def _timestamp(raw: str, now: float, tolerance: float) -> int:
    try:
        stamp = float(raw)
    except ValueError as exc:
        raise WebhookVerificationError("invalid webhook-timestamp") from exc
    if not math.isfinite(stamp):
        raise WebhookVerificationError("invalid webhook-timestamp")
    if stamp < now - tolerance:
        raise WebhookVerificationError("webhook-timestamp too old")
    if stamp > now + tolerance:
        raise WebhookVerificationError("webhook-timestamp too new")
    return math.floor(stamp)


def sign(secret: str | bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature botdesk sends for this id, timestamp (s) and body."""
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_secret_key(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify_webhook(
    headers: Mapping[str, str],
    raw_body: bytes | str,
    secret: str | bytes,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> Any:
    """Check the signature and freshness of a webhook and return its parsed JSON payload.

    `raw_body` must be the exact bytes received (re-serialized JSON will not verify).
    Raises `WebhookVerificationError` for missing headers, a stale or future timestamp,
    or when no `v1` signature in the (space-separated) list matches.
    """
    body = raw_body.encode() if isinstance(raw_body, str) else bytes(raw_body)
    msg_id = _header(headers, "webhook-id")
    raw_stamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    if not (msg_id and raw_stamp and signatures):
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature")
    stamp = _timestamp(raw_stamp, time.time() if now is None else now, tolerance)
    expected = base64.b64decode(sign(secret, msg_id, stamp, body).split(",", 1)[1])
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version != "v1":
            continue
        try:
            received = base64.b64decode(value)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(expected, received):
            try:
                return json.loads(body)
            except ValueError as exc:
                raise WebhookVerificationError("the body is not JSON") from exc
    raise WebhookVerificationError("no matching signature")
