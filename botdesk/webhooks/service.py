"""The delivery log and its repairs, as verb functions: list, read, redeliver, recover,
re-enable, rotate the secret. Each takes the session and the company; none commits.

A redelivery is queued, not sent from the API: the delivery becomes `pending` with `manual`
set, and the dispatcher makes exactly one attempt with the same `webhook-id` (a failed manual
attempt returns it to where it was). So an API request never waits on a receiver.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.core.ids import now_ms
from botdesk.models import Delivery, DeliveryAttempt, Event, Integration
from botdesk.webhooks.signing import PREVIOUS_SECRET_TTL_MS, new_secret

DELIVERY_STATUSES = ("pending", "delivered", "failed")


class NotFoundError(LookupError):
    """The object does not exist or belongs to another company (indistinguishable on purpose)."""


async def owned_integration(
    session: AsyncSession, *, company_id: str, integration_id: str
) -> Integration:
    found = await session.get(Integration, integration_id)
    if found is None or found.company_id != company_id:
        raise NotFoundError(f"integration {integration_id}")
    return found


async def owned_delivery(session: AsyncSession, *, company_id: str, delivery_id: str) -> Delivery:
    found = await session.get(Delivery, delivery_id)
    if found is None or found.company_id != company_id:
        raise NotFoundError(f"delivery {delivery_id}")
    return found


async def list_deliveries(
    session: AsyncSession,
    *,
    company_id: str,
    integration_id: str,
    status: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[Delivery], int]:
    """Newest first, optionally only one status."""
    await owned_integration(session, company_id=company_id, integration_id=integration_id)
    where = [Delivery.integration_id == integration_id]
    if status:
        where.append(Delivery.status == status)
    total = await session.scalar(select(func.count()).select_from(Delivery).where(*where))
    statement = (
        select(Delivery)
        .where(*where)
        .order_by(Delivery.created.desc(), Delivery.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    return list((await session.execute(statement)).scalars()), int(total or 0)


async def delivery_with_attempts(
    session: AsyncSession, *, company_id: str, delivery_id: str
) -> tuple[Delivery, Event, list[DeliveryAttempt]]:
    delivery = await owned_delivery(session, company_id=company_id, delivery_id=delivery_id)
    event = await session.get(Event, delivery.event_id)
    assert event is not None
    statement = (
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery.id)
        .order_by(DeliveryAttempt.started, DeliveryAttempt.id)
    )
    return delivery, event, list((await session.execute(statement)).scalars())


async def redeliver(
    session: AsyncSession, *, company_id: str, delivery_id: str, now: int | None = None
) -> Delivery:
    """Queue one manual attempt of this delivery, same `webhook-id`, whatever its status."""
    delivery = await owned_delivery(session, company_id=company_id, delivery_id=delivery_id)
    delivery.status = "pending"
    delivery.manual = True
    delivery.next_attempt = now_ms() if now is None else now
    delivery.lease_until = None
    delivery.leased_by = None
    return delivery


async def recover(
    session: AsyncSession,
    *,
    company_id: str,
    integration_id: str,
    since_ms: int,
    now: int | None = None,
) -> int:
    """Queue one manual attempt for every failed delivery created since `since_ms`."""
    await owned_integration(session, company_id=company_id, integration_id=integration_id)
    statement = (
        update(Delivery)
        .where(
            Delivery.integration_id == integration_id,
            Delivery.status == "failed",
            Delivery.created >= since_ms,
        )
        .values(
            status="pending",
            manual=True,
            next_attempt=now_ms() if now is None else now,
            lease_until=None,
            leased_by=None,
        )
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(statement)
    return int(result.rowcount or 0)


async def enable(session: AsyncSession, *, company_id: str, integration_id: str) -> Integration:
    """Re-enable a disabled integration; its held deliveries flow again, in order."""
    integration = await owned_integration(
        session, company_id=company_id, integration_id=integration_id
    )
    integration.enabled = True
    integration.disabled_reason = ""
    integration.failing_since = None
    return integration


async def rotate_secret(
    session: AsyncSession, *, company_id: str, integration_id: str, now: int | None = None
) -> Integration:
    """A new signing secret; the old one keeps signing beside it for 24 h."""
    integration = await owned_integration(
        session, company_id=company_id, integration_id=integration_id
    )
    integration.previous_secret = integration.secret
    integration.previous_secret_expires = (now_ms() if now is None else now) + (
        PREVIOUS_SECRET_TTL_MS
    )
    integration.secret = new_secret()
    return integration
