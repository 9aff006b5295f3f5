"""Login, logout, the company switcher, the `/panel?menu=…` entry point and invitations."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from botdesk.api.deps import SessionDep
from botdesk.dialogs import queries
from botdesk.panel import accounts
from botdesk.panel import security as sec
from botdesk.panel.deps import CtxDep, FormDep, PanelError, check_csrf, not_found, redirect, render
from botdesk.tenancy.service import authenticate_user, get_or_create_user, is_member

router = APIRouter(include_in_schema=False)

# The seed's `?menu=` names and the pages they open.
MENUS = {
    "chats": "/panel/chats",
    "channels": "/panel/channels",
    "ai": "/panel/ais",
    "ais": "/panel/ais",
    "integration": "/panel/integrations",
    "integrations": "/panel/integrations",
    "tasks": "/panel/tasks",
    "lists": "/panel/lists",
    "managers": "/panel/managers",
    "companies": "/panel/companies",
    "dashboard": "/panel/dashboard",
    "api_keys": "/panel/api-keys",
}
MIN_PASSWORD = 8


def _anonymous_page(request: Request, template: str, status: int = 200, **values: object):
    """A page for people not signed in; its forms are bound to a pre-session cookie."""
    pre = sec.pre_session_value(request)
    secret = request.app.state.settings.secret_key
    response = render(
        request, template, status, csrf=sec.csrf_token(secret, pre), ctx=None, **values
    )
    if not request.cookies.get(sec.SESSION_COOKIE):
        sec.ensure_pre_session(request, response, pre)
    return response


def _client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.get("/panel/login")
async def login_page(
    request: Request, db: SessionDep, next: str = Query("/panel", max_length=2000)
) -> Response:
    if await accounts.signed_in(db, request.cookies.get(sec.SESSION_COOKIE)) is not None:
        return redirect(sec.safe_next(next))
    return _anonymous_page(request, "login.html", next=sec.safe_next(next), error="", email="")


@router.post("/panel/login")
async def login(request: Request, db: SessionDep) -> Response:
    form = await check_csrf(request)
    email = str(form.get("email", ""))[:320]
    password = str(form.get("password", ""))[:1000]
    next_url = sec.safe_next(str(form.get("next", "")))
    address = _client_address(request)
    if await accounts.login_blocked(db, email=email, address=address):
        return _anonymous_page(
            request,
            "login.html",
            429,
            next=next_url,
            email=email,
            error="Too many failed logins. Wait 15 minutes and try again.",
        )
    user = await authenticate_user(db, email=email, password=password)
    if user is None:
        await accounts.record_failed_login(db, email=email, address=address)
        await db.commit()
        return _anonymous_page(
            request, "login.html", 400, next=next_url, email=email, error="Wrong email or password."
        )
    await accounts.forget_failed_logins(db, email=email)
    token = await accounts.start_session(db, user=user, company_id=None)
    await db.commit()
    response = redirect(next_url)
    sec.set_session_cookie(request, response, token)
    response.delete_cookie(sec.PRE_SESSION_COOKIE, path="/")
    return response


@router.post("/panel/logout")
async def logout(request: Request, db: SessionDep) -> Response:
    await check_csrf(request)
    await accounts.end_session(db, request.cookies.get(sec.SESSION_COOKIE))
    await db.commit()
    response = redirect("/panel/login")
    sec.clear_session_cookie(request, response)
    return response


@router.get("/panel")
async def entry(
    ctx: CtxDep,
    menu: str = Query("chats", max_length=40),
    thread: str | None = Query(None, max_length=40),
) -> Response:
    """The seed's links: `/panel?menu=chats&thread=<id>` opens that dialog in its company."""
    if thread is None:
        return redirect(MENUS.get(menu, "/panel/chats"))
    for company in [ctx.company, *[c for c in ctx.companies if c.id != ctx.company_id]]:
        found = await queries.get_thread(ctx.db, company_id=company.id, thread_id=thread)
        if found is not None:
            if company.id != ctx.company_id:
                await accounts.switch_company(
                    ctx.db, panel_session=ctx.panel_session, company_id=company.id
                )
                await ctx.db.commit()
            return redirect(f"/panel/chats/{found.id}")
    raise not_found("dialog")


@router.post("/panel/company")
async def switch_company(ctx: CtxDep, form: FormDep) -> Response:
    company_id = str(form.get("company_id", ""))
    if not await is_member(ctx.db, user_id=ctx.user.id, company_id=company_id):
        raise not_found("company")
    await accounts.switch_company(ctx.db, panel_session=ctx.panel_session, company_id=company_id)
    await ctx.db.commit()
    return redirect("/panel/chats")


@router.get("/panel/invite/{token}")
async def invitation_page(token: str, request: Request, db: SessionDep) -> Response:
    found = await accounts.open_invitation(db, token)
    if found is None:
        raise PanelError(404, "This invitation link is invalid, used or expired.")
    signed = await accounts.signed_in(db, request.cookies.get(sec.SESSION_COOKIE))
    return _anonymous_page(
        request,
        "invite.html",
        company=found[1],
        token=token,
        signed_in=signed.user if signed else None,
        error="",
    )


@router.post("/panel/invite/{token}")
async def accept_invitation(token: str, request: Request, db: SessionDep) -> Response:
    """Join as the signed-in user, or log in / create an account with the email and password."""
    form = await check_csrf(request)
    found = await accounts.open_invitation(db, token)
    if found is None:
        raise PanelError(404, "This invitation link is invalid, used or expired.")
    invitation, company = found
    signed = await accounts.signed_in(db, request.cookies.get(sec.SESSION_COOKIE))
    user = signed.user if signed else None
    token_to_set = None
    if user is None:
        email = str(form.get("email", "")).strip()[:320]
        password = str(form.get("password", ""))[:1000]
        error = ""
        if "@" not in email:
            error = "Enter your email address."
        elif await accounts.login_blocked(db, email=email, address=_client_address(request)):
            error = "Too many failed logins. Wait 15 minutes and try again."
        elif await accounts.user_by_email(db, email) is not None:
            user = await authenticate_user(db, email=email, password=password)
            if user is None:
                await accounts.record_failed_login(
                    db, email=email, address=_client_address(request)
                )
                await db.commit()
                error = "This email has an account: enter its password."
        elif len(password) < MIN_PASSWORD:
            error = f"Choose a password of at least {MIN_PASSWORD} characters."
        else:
            user = await get_or_create_user(db, email=email, password=password)
        if user is None:
            return _anonymous_page(
                request,
                "invite.html",
                400,
                company=company,
                token=token,
                signed_in=None,
                error=error,
            )
        token_to_set = await accounts.start_session(db, user=user, company_id=company.id)
    else:
        assert signed is not None
        await accounts.switch_company(db, panel_session=signed.session, company_id=company.id)
    await accounts.accept_invitation(db, invitation=invitation, user=user)
    await db.commit()
    response = redirect("/panel/chats")
    if token_to_set:
        sec.set_session_cookie(request, response, token_to_set)
    return response
