"""What every panel page shares: the signed-in context, the CSRF check and HTML rendering."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData

from botdesk.api.deps import SessionDep
from botdesk.core.config import Settings
from botdesk.models import Company, PanelSession, User
from botdesk.panel import accounts
from botdesk.panel import security as sec
from botdesk.tenancy.service import companies_of

TEMPLATES = Path(__file__).parent / "templates"

FLAG_LABELS = {
    "success": ("✅", "Successful"),
    "get_contact": ("📞", "Contact received"),
    "interest": ("⭐", "Interest shown"),
    "close": ("🔒", "Closed"),
    "is_bot": ("🤖", "Identified as bot"),
    "user_replied": ("💬", "User replied"),
    "operator": ("🧑‍💼", "Transferred to operator"),
}


def _when(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,  # every value is HTML-escaped unless a template says otherwise
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters["when"] = _when
env.filters["tojson_attr"] = lambda value: json.dumps(value, ensure_ascii=False)
env.globals["FLAG_LABELS"] = FLAG_LABELS


class LoginRequired(Exception):
    """No live session: the browser goes to the login page and comes back to `next`."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class PanelError(Exception):
    """Shown as an HTML error page with this status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def not_found(what: str = "page") -> PanelError:
    return PanelError(404, f"This {what} does not exist or belongs to another company.")


def render(
    request: Request, template: str, status: int = 200, headers: dict | None = None, **values: Any
) -> HTMLResponse:
    """A full page or fragment, with the panel's security headers."""
    html = env.get_template(template).render(request=request, **values)
    return HTMLResponse(html, status_code=status, headers={**sec.PAGE_HEADERS, **(headers or {})})


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@dataclass
class Ctx:
    """The signed-in user and the company the panel shows; every page is scoped to it."""

    request: Request
    db: AsyncSession
    settings: Settings
    panel_session: PanelSession
    user: User
    company: Company
    companies: list[Company]
    csrf: str

    @property
    def company_id(self) -> str:
        return self.company.id

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        return render(self.request, template, status, ctx=self, **values)


def _path_with_query(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


async def load_ctx(request: Request, db: AsyncSession) -> Ctx:
    """The context of a signed-in request; raises LoginRequired without a live session."""
    settings: Settings = request.app.state.settings
    found = await accounts.signed_in(db, request.cookies.get(sec.SESSION_COOKIE))
    if found is None:
        raise LoginRequired(_path_with_query(request) if request.method == "GET" else "/panel")
    companies = await companies_of(db, found.user.id)
    if not companies:
        raise PanelError(403, "Your account is not a member of any company yet.")
    current = next((c for c in companies if c.id == found.session.company_id), companies[0])
    binding = request.cookies.get(sec.SESSION_COOKIE, "")
    return Ctx(
        request=request,
        db=db,
        settings=settings,
        panel_session=found.session,
        user=found.user,
        company=current,
        companies=companies,
        csrf=sec.csrf_token(settings.secret_key, binding),
    )


async def get_ctx(request: Request, db: SessionDep) -> Ctx:
    return await load_ctx(request, db)


async def check_csrf(request: Request) -> FormData:
    """The submitted form, once its CSRF token (field or X-CSRF-Token header) is valid."""
    form = await request.form()
    presented = form.get(sec.CSRF_FIELD) or request.headers.get(sec.CSRF_HEADER)
    secret = request.app.state.settings.secret_key
    if not sec.csrf_valid(secret, sec.csrf_binding(request), str(presented or "")):
        raise PanelError(403, "The form expired or did not come from this panel; reload and retry.")
    return form


async def get_form(ctx: Annotated[Ctx, Depends(get_ctx)], request: Request) -> FormData:
    """Signed in first (else to the login page), then a valid CSRF token (else 403)."""
    return await check_csrf(request)


CtxDep = Annotated[Ctx, Depends(get_ctx)]
FormDep = Annotated[FormData, Depends(get_form)]
