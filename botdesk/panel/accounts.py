"""The panel's account verbs: browser sessions, login rate limiting, invitations and members.

Like every domain module they take a session and never commit; the page owns the transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.core.ids import now_ms
from botdesk.core.security import digest
from botdesk.models import ApiKey, Company, Invitation, LoginAttempt, Membership, PanelSession, User
from botdesk.tenancy.service import add_member

# A browser stays logged in this long without logging in again, in seconds (14 days).
SESSION_TTL_SECONDS = 14 * 24 * 3600
# Failed logins counted over this sliding window, in seconds (15 minutes).
LOGIN_WINDOW_SECONDS = 15 * 60
# Failures for one email within the window before its logins are refused (guessing one account).
MAX_FAILURES_PER_EMAIL = 5
# Failures from one client address within the window (spraying many accounts).
MAX_FAILURES_PER_ADDRESS = 30
# An invitation link works this long, in seconds (7 days), and only once.
INVITATION_TTL_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class SignedIn:
    session: PanelSession
    user: User


# --- sessions ---


async def start_session(session: AsyncSession, *, user: User, company_id: str | None) -> str:
    """A new browser session for `user`; returns the cookie value (stored only hashed)."""
    now = now_ms()
    await session.execute(
        delete(PanelSession).where(PanelSession.user_id == user.id, PanelSession.expires < now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        PanelSession(
            token_hash=digest(token),
            user_id=user.id,
            company_id=company_id,
            expires=now + SESSION_TTL_SECONDS * 1000,
            created=now,
        )
    )
    return token


async def signed_in(session: AsyncSession, token: str | None) -> SignedIn | None:
    """The live session behind a cookie value, or None."""
    if not token:
        return None
    row = await session.get(PanelSession, digest(token))
    if row is None or row.expires <= now_ms():
        return None
    user = await session.get(User, row.user_id)
    return SignedIn(row, user) if user is not None else None


async def end_session(session: AsyncSession, token: str | None) -> None:
    if token:
        await session.execute(delete(PanelSession).where(PanelSession.token_hash == digest(token)))


async def switch_company(
    session: AsyncSession, *, panel_session: PanelSession, company_id: str
) -> None:
    """Show another company (membership is checked by the caller)."""
    panel_session.company_id = company_id


# --- login rate limiting ---


def _keys(email: str, address: str) -> tuple[str, str]:
    return f"email:{email.strip().lower()}", f"addr:{address}"


async def login_blocked(session: AsyncSession, *, email: str, address: str) -> bool:
    """Whether logins for this email or from this address are refused for now."""
    since = now_ms() - LOGIN_WINDOW_SECONDS * 1000
    by_email, by_address = _keys(email, address)
    for key, limit in ((by_email, MAX_FAILURES_PER_EMAIL), (by_address, MAX_FAILURES_PER_ADDRESS)):
        count = await session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(LoginAttempt.key == key, LoginAttempt.created > since)
        )
        if int(count or 0) >= limit:
            return True
    return False


async def record_failed_login(session: AsyncSession, *, email: str, address: str) -> None:
    old = now_ms() - LOGIN_WINDOW_SECONDS * 1000
    await session.execute(delete(LoginAttempt).where(LoginAttempt.created < old))
    for key in _keys(email, address):
        session.add(LoginAttempt(key=key[:400]))


async def forget_failed_logins(session: AsyncSession, *, email: str) -> None:
    """A successful login clears the account's failures (not the address's)."""
    by_email, _ = _keys(email, "")
    await session.execute(delete(LoginAttempt).where(LoginAttempt.key == by_email))


# --- invitations and members ---


async def create_invitation(
    session: AsyncSession, *, company_id: str, created_by: str | None
) -> str:
    """A one-time link token to join the company as an admin; returned once, stored hashed."""
    token = secrets.token_urlsafe(24)
    session.add(
        Invitation(
            company_id=company_id,
            token_hash=digest(token),
            created_by=created_by,
            expires=now_ms() + INVITATION_TTL_SECONDS * 1000,
        )
    )
    return token


async def open_invitation(session: AsyncSession, token: str) -> tuple[Invitation, Company] | None:
    """The unused, unexpired invitation behind a token and its company, or None."""
    row = (
        await session.execute(select(Invitation).where(Invitation.token_hash == digest(token)))
    ).scalar_one_or_none()
    if row is None or row.used_at is not None or row.expires <= now_ms():
        return None
    company = await session.get(Company, row.company_id)
    return (row, company) if company is not None else None


async def accept_invitation(session: AsyncSession, *, invitation: Invitation, user: User) -> None:
    await add_member(session, company_id=invitation.company_id, user_id=user.id, role="admin")
    invitation.used_by = user.id
    invitation.used_at = now_ms()


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    statement = select(User).where(User.email == email.strip().lower())
    return (await session.execute(statement)).scalar_one_or_none()


async def members_of(session: AsyncSession, company_id: str) -> list[tuple[User, str]]:
    """The company's people and their roles, oldest first."""
    statement = (
        select(User, Membership.role)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.company_id == company_id)
        .order_by(Membership.created)
    )
    return [(user, role) for user, role in (await session.execute(statement)).all()]


async def pending_invitations(session: AsyncSession, company_id: str) -> list[Invitation]:
    statement = (
        select(Invitation)
        .where(
            Invitation.company_id == company_id,
            Invitation.used_at.is_(None),
            Invitation.expires > now_ms(),
        )
        .order_by(Invitation.created.desc())
    )
    return list((await session.execute(statement)).scalars())


async def api_keys_of(session: AsyncSession, company_id: str) -> list[ApiKey]:
    """The company's API keys, live ones first, newest first (shown by prefix only)."""
    statement = (
        select(ApiKey)
        .where(ApiKey.company_id == company_id)
        .order_by(ApiKey.revoked.is_not(None), ApiKey.created.desc())
    )
    return list((await session.execute(statement)).scalars())
