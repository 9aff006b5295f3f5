"""Standard Webhooks signing: `webhook-id`, `webhook-timestamp`, `webhook-signature`.

The signature is `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`. While a rotated-out
secret is still valid, both signatures are sent space-separated so receivers that still hold
the old secret keep verifying during the switch.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
# Random bytes in a new secret; Standard Webhooks asks for 24 to 64.
SECRET_BYTES = 32
# How long a rotated-out secret keeps signing beside the new one, in ms (24 h).
PREVIOUS_SECRET_TTL_MS = 24 * 3600 * 1000


def new_secret() -> str:
    """A fresh `whsec_…` secret with 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The raw HMAC key of a `whsec_…` secret."""
    raw = secret[len(SECRET_PREFIX) :] if secret.startswith(SECRET_PREFIX) else secret
    return base64.b64decode(raw)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One `v1,<base64>` signature of body for this id and timestamp (seconds)."""
    to_sign = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), to_sign, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def active_secrets(
    secret: str, previous: str | None, previous_expires_ms: int | None, now_ms: int
) -> list[str]:
    """The secrets that sign now: the current one, plus the previous one until it expires."""
    if previous and previous_expires_ms is not None and now_ms < previous_expires_ms:
        return [secret, previous]
    return [secret]


def signature_headers(
    secrets_: list[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The three Standard Webhooks headers for one attempt."""
    signature = " ".join(sign(s, msg_id, timestamp, body) for s in secrets_)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }


def verify(
    secret: str,
    headers: dict[str, str],
    body: bytes,
    *,
    now_s: int,
    tolerance_s: int = 300,
) -> bool:
    """Check a received webhook (used by `botdesk webhook-listen`)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    if not msg_id or not stamp.isdigit() or abs(now_s - int(stamp)) > tolerance_s:
        return False
    expected = sign(secret, msg_id, int(stamp), body)
    return any(
        hmac.compare_digest(expected, candidate)
        for candidate in lowered.get("webhook-signature", "").split()
    )
