"""The delivery queue in the database: claim due deliveries under a lease, record outcomes.

Claims are short transactions: PostgreSQL locks candidate rows with `FOR UPDATE SKIP LOCKED`
so concurrent workers take disjoint rows; SQLite serializes writers with `BEGIN IMMEDIATE`.
Only the head of each (integration, thread) sequence is claimable, so a thread's events reach
a receiver in order. Outcomes of many sends are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.core.ids import new_id
from botdesk.models import DeliveryAttempt
from botdesk.webhooks.policy import RetryPolicy
from botdesk.webhooks.sender import Delivered, Failed, Outcome
from botdesk.webhooks.signing import active_secrets


@dataclass(frozen=True)
class Claimed:
    """A leased delivery with everything needed to send it."""

    delivery_id: str
    integration_id: str
    attempts: int
    manual: bool
    msg_id: str
    body: bytes
    url: str
    secrets: list[str]


@dataclass(frozen=True)
class Finished:
    claimed: Claimed
    outcome: Outcome


_CANDIDATES = """
SELECT d.id, d.integration_id, d.attempts, d.manual, e.id, e.body, i.webhook_url, i.secret,
       i.previous_secret, i.previous_secret_expires
FROM deliveries d
JOIN integrations i ON i.id = d.integration_id
JOIN events e ON e.id = d.event_id
WHERE d.status = 'pending' AND d.next_attempt <= :now
  AND (d.lease_until IS NULL OR d.lease_until < :now)
  AND (i.enabled OR d.manual)
  AND d.integration_id NOT IN :saturated
  AND (d.manual OR NOT EXISTS (
        SELECT 1 FROM deliveries p
        WHERE p.integration_id = d.integration_id AND p.thread_id = d.thread_id
          AND p.seq < d.seq AND p.status = 'pending'))
ORDER BY d.next_attempt
LIMIT :limit
"""
_LOCK_PG = " FOR UPDATE OF d SKIP LOCKED"

_LEASE = text(
    "UPDATE deliveries SET lease_until = :lease, leased_by = :worker WHERE id IN :ids"
).bindparams(bindparam("ids", expanding=True))


async def claim(
    session: AsyncSession,
    *,
    worker: str,
    now: int,
    lease_ms: int,
    limit: int,
    room: dict[str, int],
    cap: int,
) -> list[Claimed]:
    """Lease up to `limit` due heads, at most `room.get(id, cap)` per integration."""
    postgres = session.bind.dialect.name == "postgresql"
    statement = text(_CANDIDATES + (_LOCK_PG if postgres else "")).bindparams(
        bindparam("saturated", expanding=True)
    )
    saturated = [key for key, free in room.items() if free <= 0] or ["-"]
    rows = await session.execute(statement, {"now": now, "limit": limit, "saturated": saturated})
    taken: dict[str, int] = {}
    chosen: list[Claimed] = []
    for row in rows:
        integration = row[1]
        if taken.get(integration, 0) >= room.get(integration, cap):
            continue
        taken[integration] = taken.get(integration, 0) + 1
        chosen.append(
            Claimed(
                delivery_id=row[0],
                integration_id=integration,
                attempts=row[2],
                manual=bool(row[3]),
                msg_id=row[4],
                body=bytes(row[5]),
                url=row[6],
                secrets=active_secrets(row[7], row[8], row[9], now),
            )
        )
    if chosen:
        ids = [c.delivery_id for c in chosen]
        await session.execute(_LEASE, {"lease": now + lease_ms, "worker": worker, "ids": ids})
    return chosen


_DELIVERED = text(
    "UPDATE deliveries SET status = 'delivered', attempts = attempts + 1, delivered_at = :at,"
    " last_status_code = :code, last_error = '', lease_until = NULL, leased_by = NULL,"
    " manual = false WHERE id = :id AND status = 'pending'"
)
_RETRY = text(
    "UPDATE deliveries SET attempts = attempts + 1, next_attempt = :next,"
    " last_status_code = :code, last_error = :error, lease_until = NULL, leased_by = NULL"
    " WHERE id = :id AND status = 'pending'"
)
# A manual attempt that failed returns the delivery to what it was: delivered stays delivered.
_GIVE_UP = text(
    "UPDATE deliveries SET attempts = attempts + 1, last_status_code = :code,"
    " last_error = :error, lease_until = NULL, leased_by = NULL, manual = false,"
    " status = CASE WHEN delivered_at IS NULL THEN 'failed' ELSE 'delivered' END"
    " WHERE id = :id AND status = 'pending'"
)
_RESET_FAILING = text(
    "UPDATE integrations SET failing_since = NULL WHERE id IN :ids AND failing_since IS NOT NULL"
).bindparams(bindparam("ids", expanding=True))
_START_FAILING = text(
    "UPDATE integrations SET failing_since = :now WHERE id IN :ids AND failing_since IS NULL"
).bindparams(bindparam("ids", expanding=True))
_DISABLE_STALE = text(
    "UPDATE integrations SET enabled = false, disabled_reason = :reason"
    " WHERE id IN :ids AND enabled AND failing_since IS NOT NULL AND failing_since <= :cutoff"
).bindparams(bindparam("ids", expanding=True))
_DISABLE_GONE = text(
    "UPDATE integrations SET enabled = false, disabled_reason = :reason WHERE id IN :ids"
).bindparams(bindparam("ids", expanding=True))


async def record(
    session: AsyncSession, finished: Iterable[Finished], *, now: int, policy: RetryPolicy
) -> None:
    """Write attempts and outcomes of a batch, and the integrations' health, in one go."""
    done = sorted(finished, key=lambda f: f.claimed.delivery_id)  # stable lock order
    delivered, retry, give_up, attempts = [], [], [], []
    ok_integrations: set[str] = set()
    failing: set[str] = set()
    gone: set[str] = set()
    for item in done:
        c, outcome, a = item.claimed, item.outcome, item.outcome.attempt
        attempts.append(
            {
                "id": new_id(a.started_ms),
                "delivery_id": c.delivery_id,
                "started": a.started_ms,
                "duration_ms": a.duration_ms,
                "status_code": a.status_code,
                "response_excerpt": a.excerpt,
                "error": a.error,
                "manual": c.manual,
            }
        )
        if isinstance(outcome, Delivered):
            delivered.append({"id": c.delivery_id, "at": now, "code": a.status_code})
            ok_integrations.add(c.integration_id)
            continue
        assert isinstance(outcome, Failed)
        failing.add(c.integration_id)
        if outcome.gone:
            gone.add(c.integration_id)
        params = {"id": c.delivery_id, "code": a.status_code, "error": a.error[:2000]}
        nxt = None if c.manual else policy.next_attempt(c.attempts + 1, now, outcome.min_delay_s)
        if nxt is None:
            give_up.append(params)
        else:
            retry.append({**params, "next": nxt})
    if attempts:
        # Core insert: the ORM's bulk path costs more CPU per row than the send itself.
        await session.execute(insert(DeliveryAttempt.__table__), attempts)
    for statement, params in ((_DELIVERED, delivered), (_RETRY, retry), (_GIVE_UP, give_up)):
        if params:
            await session.execute(statement, params)
    await _record_health(session, ok_integrations, failing - ok_integrations, gone, now, policy)


async def _record_health(
    session: AsyncSession,
    ok: set[str],
    failing: set[str],
    gone: set[str],
    now: int,
    policy: RetryPolicy,
) -> None:
    """Any success resets the failing clock; a clock older than the limit disables."""
    if ok:
        await session.execute(_RESET_FAILING, {"ids": sorted(ok)})
    if failing:
        ids = sorted(failing)
        await session.execute(_START_FAILING, {"ids": ids, "now": now})
        days = policy.disable_after_ms / 86_400_000
        reason = f"every attempt failed for {days:g} days"
        cutoff = now - policy.disable_after_ms
        await session.execute(_DISABLE_STALE, {"ids": ids, "cutoff": cutoff, "reason": reason})
    if gone:
        reason = "the receiver answered 410 Gone"
        await session.execute(_DISABLE_GONE, {"ids": sorted(gone), "reason": reason})
