"""Companies (members, invitations, a new company) and API keys."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from botdesk.panel import accounts
from botdesk.panel.deps import Ctx, CtxDep, FormDep, not_found, redirect
from botdesk.tenancy.service import create_api_key, create_company, revoke_api_key

router = APIRouter(include_in_schema=False)


async def _companies_page(ctx: Ctx, *, invite_link: str = "", error: str = "") -> Response:
    return ctx.render(
        "companies.html",
        400 if error else 200,
        section="companies",
        members=await accounts.members_of(ctx.db, ctx.company_id),
        invitations=await accounts.pending_invitations(ctx.db, ctx.company_id),
        invite_link=invite_link,
        error=error,
    )


@router.get("/panel/companies")
async def companies(ctx: CtxDep) -> Response:
    return await _companies_page(ctx)


@router.post("/panel/companies")
async def new_company(ctx: CtxDep, form: FormDep) -> Response:
    """Create another company with the current user as its owner, and switch to it."""
    name = str(form.get("name", "")).strip()
    if not name or len(name) > 200:
        return await _companies_page(ctx, error="A company name of 1 to 200 characters, please.")
    company = await create_company(ctx.db, name=name, owner=ctx.user)
    await accounts.switch_company(ctx.db, panel_session=ctx.panel_session, company_id=company.id)
    await ctx.db.commit()
    return redirect("/panel/companies")


@router.post("/panel/companies/invite")
async def invite(ctx: CtxDep, form: FormDep) -> Response:
    """A one-time link that lets an admin join the current company."""
    token = await accounts.create_invitation(
        ctx.db, company_id=ctx.company_id, created_by=ctx.user.id
    )
    await ctx.db.commit()
    return await _companies_page(ctx, invite_link=f"{ctx.settings.base_url}/panel/invite/{token}")


async def _keys_page(ctx: Ctx, *, new_key: str = "") -> Response:
    return ctx.render(
        "api_keys.html",
        section="api-keys",
        keys=await accounts.api_keys_of(ctx.db, ctx.company_id),
        new_key=new_key,
    )


@router.get("/panel/api-keys")
async def api_keys(ctx: CtxDep) -> Response:
    return await _keys_page(ctx)


@router.post("/panel/api-keys")
async def new_api_key(ctx: CtxDep, form: FormDep) -> Response:
    """A new key, shown once (only its hash is stored)."""
    name = str(form.get("name", "")).strip()[:200]
    _, plain = await create_api_key(
        ctx.db, company_id=ctx.company_id, user_id=ctx.user.id, name=name
    )
    await ctx.db.commit()
    return await _keys_page(ctx, new_key=plain)


@router.post("/panel/api-keys/{key_id}/revoke")
async def revoke(key_id: str, ctx: CtxDep, form: FormDep) -> Response:
    if not await revoke_api_key(ctx.db, company_id=ctx.company_id, key_id=key_id):
        raise not_found("API key")
    await ctx.db.commit()
    return redirect("/panel/api-keys")
