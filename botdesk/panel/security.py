"""Cookies, CSRF tokens and response headers of the panel.

CSRF uses signed double-submit tokens: a form's token is an HMAC (keyed with the server's
secret) of the browser's session cookie, or before login of a random pre-session cookie. A
page on another site can make the browser send the cookie but can neither read it nor compute
the HMAC, so its forged form carries no valid token and is refused with 403.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request, Response

from botdesk.panel.accounts import SESSION_TTL_SECONDS

SESSION_COOKIE = "botdesk_session"
# Before login: the value the login and invitation forms' CSRF tokens are bound to.
PRE_SESSION_COOKIE = "botdesk_pre"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

# Scripts only from the panel itself; nothing may frame the panel (clickjacking).
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    """HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site POSTs),
    Secure whenever the panel is served over https."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_https(request),
    )


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    set_cookie(request, response, SESSION_COOKIE, token, SESSION_TTL_SECONDS)


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=is_https(request)
    )


def csrf_binding(request: Request) -> str:
    """What the CSRF token is bound to: the session cookie, else the pre-session cookie."""
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRE_SESSION_COOKIE) or ""


def csrf_token(secret_key: str, binding: str) -> str:
    mac = hmac.new(secret_key.encode(), f"csrf|{binding}".encode(), hashlib.sha256)
    return mac.hexdigest()


def csrf_valid(secret_key: str, binding: str, presented: str | None) -> bool:
    if not binding or not presented:
        return False
    return hmac.compare_digest(csrf_token(secret_key, binding), presented)


def ensure_pre_session(request: Request, response: Response, value: str) -> None:
    if request.cookies.get(PRE_SESSION_COOKIE) != value:
        set_cookie(request, response, PRE_SESSION_COOKIE, value, 24 * 3600)


def pre_session_value(request: Request) -> str:
    return request.cookies.get(PRE_SESSION_COOKIE) or secrets.token_urlsafe(24)


def safe_next(target: str | None, default: str = "/panel") -> str:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
