"""Integrations: webhook settings, the signing secret (shown once, rotatable), enable/disable,
and the delivery log with each attempt and a Redeliver button."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Query
from fastapi.responses import Response
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.api import schemas as s
from botdesk.models import Integration
from botdesk.panel.deps import Ctx, CtxDep, FormDep, not_found, redirect
from botdesk.panel.forms import Field
from botdesk.panel.pages.resources import Resource, edit_page, load, resource_router
from botdesk.setup import service
from botdesk.webhooks import service as deliveries
from botdesk.webhooks.payload import WEBHOOK_TYPES

WEBHOOK_TYPE_LABELS = {
    "all_messages": "All messages",
    "success": "Successful dialog",
    "get_contact": "Contact received",
    "interest": "Interest shown",
    "close": "Dialog closed",
    "operator": "Transferred to operator",
    "is_bot": "Identified as bot",
}
# Deliveries shown on an integration's page.
LOG_SIZE = 50


async def _create(session: AsyncSession, *, company_id: str, data: dict) -> Integration:
    return await service.create_integration(session, company_id=company_id, data=data)


async def _update(session: AsyncSession, *, obj: Integration, changes: dict) -> Integration:
    if "webhook_url" in changes:
        service.validate_webhook_url(changes["webhook_url"])
    enabled = changes.pop("enabled", None)
    service.apply(obj, changes)
    if enabled and not obj.enabled:
        await deliveries.enable(session, company_id=obj.company_id, integration_id=obj.id)
    elif enabled is False:
        obj.enabled = False
    return obj


async def _log(ctx: Ctx, integration: Integration) -> dict[str, Any]:
    status = ctx.request.query_params.get("status") or None
    rows, total = await deliveries.list_deliveries(
        ctx.db,
        company_id=ctx.company_id,
        integration_id=integration.id,
        status=status if status in deliveries.DELIVERY_STATUSES else None,
        page_size=LOG_SIZE,
    )
    return {"deliveries": rows, "deliveries_total": total, "secret": "", "log_status": status or ""}


async def _show_secret(ctx: Ctx, integration: Integration) -> Response:
    return await edit_page(ctx, integrations, integration, secret=integration.secret)


integrations = Resource(
    path="integrations",
    title="Integrations",
    noun="integration",
    model=Integration,
    create_schema=s.IntegrationCreate,
    update_schema=s.IntegrationUpdate,
    create=_create,
    update=_update,
    edit_template="integration.html",
    extra=_log,
    on_created=_show_secret,
    intro="Where events go: one signed POST per event to your webhook URL.",
    fields=(
        Field("name", "Name", required=True),
        Field(
            "type", "Type", "select", (("another", "Another (plain webhook)"),), create_only=True
        ),
        Field("webhook_url", "Webhook URL", required=True, attrs={"placeholder": "https://"}),
        Field(
            "webhook_type",
            "Webhook type",
            "select",
            tuple((t, WEBHOOK_TYPE_LABELS.get(t, t)) for t in WEBHOOK_TYPES),
        ),
        Field("enabled", "Enabled", "checkbox", edit_only=True),
    ),
    columns=(
        ("Name", lambda i: i.name),
        ("Webhook type", lambda i: WEBHOOK_TYPE_LABELS.get(i.webhook_type, i.webhook_type)),
        ("URL", lambda i: i.webhook_url),
        ("State", lambda i: "enabled" if i.enabled else "disabled"),
    ),
)

router = resource_router(integrations)


@router.post("/panel/integrations/{id}/rotate")
async def rotate(id: str, ctx: CtxDep, form: FormDep) -> Response:
    """A new signing secret, shown once; the old one keeps signing beside it for a day."""
    integration = await load(ctx, integrations, id)
    await deliveries.rotate_secret(ctx.db, company_id=ctx.company_id, integration_id=integration.id)
    await ctx.db.commit()
    return await _show_secret(ctx, integration)


@router.post("/panel/integrations/{id}/enable")
async def enable(id: str, ctx: CtxDep, form: FormDep) -> Response:
    integration = await load(ctx, integrations, id)
    await deliveries.enable(ctx.db, company_id=ctx.company_id, integration_id=integration.id)
    await ctx.db.commit()
    return redirect(f"/panel/integrations/{integration.id}")


async def _delivery(ctx: Ctx, integration_id: str, delivery_id: str) -> Any:
    integration = await load(ctx, integrations, integration_id)
    try:
        found = await deliveries.delivery_with_attempts(
            ctx.db, company_id=ctx.company_id, delivery_id=delivery_id
        )
    except deliveries.NotFoundError:
        raise not_found("delivery") from None
    if found[0].integration_id != integration.id:
        raise not_found("delivery")
    return integration, *found


@router.get("/panel/integrations/{id}/deliveries/{delivery_id}")
async def delivery(
    id: str, delivery_id: str, ctx: CtxDep, queued: int = Query(0, ge=0, le=1)
) -> Response:
    """One delivery: the exact body sent and every attempt with its answer."""
    integration, row, event, attempts = await _delivery(ctx, id, delivery_id)
    try:
        body = json.dumps(json.loads(event.body), ensure_ascii=False, indent=2)
    except ValueError:
        body = event.body.decode("utf-8", "replace")
    return ctx.render(
        "delivery.html",
        section="integrations",
        integration=integration,
        delivery=row,
        event=event,
        attempts=attempts,
        body=body,
        queued=queued,
    )


@router.post("/panel/integrations/{id}/deliveries/{delivery_id}/redeliver")
async def redeliver(id: str, delivery_id: str, ctx: CtxDep, form: FormDep) -> Response:
    """Queue one more attempt with the same webhook-id; the worker sends it."""
    integration, row, _, _ = await _delivery(ctx, id, delivery_id)
    await deliveries.redeliver(ctx.db, company_id=ctx.company_id, delivery_id=row.id)
    await ctx.db.commit()
    return redirect(f"/panel/integrations/{integration.id}/deliveries/{row.id}?queued=1")
