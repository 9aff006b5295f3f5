"""The delivery log in the management API: list, inspect, redeliver, recover, re-enable,
rotate the signing secret. Another company's objects answer 404."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from botdesk.api import presenters
from botdesk.api import schemas as s
from botdesk.api.deps import CurrentCompany, SessionDep, SettingsDep
from botdesk.models import Delivery
from botdesk.webhooks import service

router = APIRouter(prefix="/v1", tags=["deliveries"])


class DeliveryPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    event_id: str  # the webhook-id
    integration_id: str
    thread_id: str
    seq: int
    status: str
    attempts: int
    next_attempt: int
    last_status_code: int | None
    last_error: str
    delivered_at: int | None
    manual: bool
    created: int


class AttemptPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    started: int
    duration_ms: int
    status_code: int | None
    response_excerpt: str
    error: str
    manual: bool


class DeliveryDetail(DeliveryPublic):
    payload: Any
    attempt_log: list[AttemptPublic]


class RecoverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: int = Field(ge=0, description="ms since the epoch; failed deliveries since then")


class Recovered(BaseModel):
    queued: int


def _public(row: Delivery) -> DeliveryPublic:
    return DeliveryPublic.model_validate(row)


@router.get("/integrations/{integration_id}/deliveries", response_model=s.Page[DeliveryPublic])
async def list_deliveries(
    integration_id: str,
    session: SessionDep,
    company_id: CurrentCompany,
    settings: SettingsDep,
    status: Literal["pending", "delivered", "failed"] | None = None,
    page: int = Query(1, ge=1, le=100000),
) -> Any:
    rows, total = await service.list_deliveries(
        session,
        company_id=company_id,
        integration_id=integration_id,
        status=status,
        page=page,
        page_size=settings.page_size,
    )
    items = [_public(r) for r in rows]
    return {"items": items, "page": page, "page_size": settings.page_size, "total": total}


@router.get("/deliveries/{delivery_id}", response_model=DeliveryDetail)
async def get_delivery(delivery_id: str, session: SessionDep, company_id: CurrentCompany) -> Any:
    delivery, event, attempts = await service.delivery_with_attempts(
        session, company_id=company_id, delivery_id=delivery_id
    )
    return DeliveryDetail(
        **_public(delivery).model_dump(),
        payload=json.loads(event.body),
        attempt_log=[AttemptPublic.model_validate(a) for a in attempts],
    )


@router.post("/deliveries/{delivery_id}/redeliver", response_model=DeliveryPublic, status_code=202)
async def redeliver(delivery_id: str, session: SessionDep, company_id: CurrentCompany) -> Any:
    """Queue one more attempt with the same webhook-id; the worker sends it at once."""
    delivery = await service.redeliver(session, company_id=company_id, delivery_id=delivery_id)
    await session.commit()
    return _public(delivery)


@router.post("/integrations/{integration_id}/recover", response_model=Recovered, status_code=202)
async def recover(
    integration_id: str, body: RecoverIn, session: SessionDep, company_id: CurrentCompany
) -> Any:
    """Re-send every failed delivery of this integration created since `since` (ms)."""
    queued = await service.recover(
        session, company_id=company_id, integration_id=integration_id, since_ms=body.since
    )
    await session.commit()
    return Recovered(queued=queued)


@router.post("/integrations/{integration_id}/enable", response_model=s.IntegrationPublic)
async def enable(integration_id: str, session: SessionDep, company_id: CurrentCompany) -> Any:
    integration = await service.enable(
        session, company_id=company_id, integration_id=integration_id
    )
    await session.commit()
    return presenters.integration(integration)


@router.post("/integrations/{integration_id}/rotate-secret", response_model=s.IntegrationWithSecret)
async def rotate_secret(
    integration_id: str, session: SessionDep, company_id: CurrentCompany
) -> Any:
    """A new secret; the old one keeps signing beside it for 24 h."""
    integration = await service.rotate_secret(
        session, company_id=company_id, integration_id=integration_id
    )
    await session.commit()
    return presenters.integration_with_secret(integration)
