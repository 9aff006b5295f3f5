"""Companies, users, memberships, API keys and bearer tokens."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.core.ids import new_id, now_ms
from botdesk.core.security import digest, hash_password, new_api_key, new_token, verify_password
from botdesk.models import ApiKey, AuthToken, Company, Membership, User


@dataclass(frozen=True)
class Bootstrapped:
    company_id: str
    user_id: str
    api_key: str


async def get_or_create_user(session: AsyncSession, *, email: str, password: str) -> User:
    """Find the user by email (the password is then left unchanged) or create it."""
    email = email.strip().lower()
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    if user is None:
        user = User(id=new_id(), email=email, password_hash=hash_password(password))
        session.add(user)
        await session.flush()
    return user


# Checked against when the email is unknown, so both failures take the same argon2 time and
# the login form does not reveal which emails have accounts.
_DUMMY_HASH = hash_password("botdesk-dummy-password")


async def authenticate_user(session: AsyncSession, *, email: str, password: str) -> User | None:
    email = email.strip().lower()
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    if user is None:
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


async def create_company(session: AsyncSession, *, name: str, owner: User) -> Company:
    company = Company(id=new_id(), name=name, owner_id=owner.id)
    session.add(company)
    await session.flush()
    await add_member(session, company_id=company.id, user_id=owner.id, role="owner")
    return company


async def add_member(
    session: AsyncSession, *, company_id: str, user_id: str, role: str = "admin"
) -> None:
    exists = await session.execute(
        select(Membership.id).where(
            Membership.company_id == company_id, Membership.user_id == user_id
        )
    )
    if exists.scalar_one_or_none() is None:
        session.add(Membership(id=new_id(), company_id=company_id, user_id=user_id, role=role))
        await session.flush()


async def companies_of(session: AsyncSession, user_id: str) -> list[Company]:
    statement = (
        select(Company)
        .join(Membership, Membership.company_id == Company.id)
        .where(Membership.user_id == user_id)
        .order_by(Company.created)
    )
    return list((await session.execute(statement)).scalars())


async def is_member(session: AsyncSession, *, user_id: str, company_id: str) -> bool:
    statement = select(Membership.id).where(
        Membership.user_id == user_id, Membership.company_id == company_id
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def create_api_key(
    session: AsyncSession, *, company_id: str, user_id: str | None, name: str = ""
) -> tuple[ApiKey, str]:
    """A new key; the plain key is returned once and only its hash is stored."""
    plain = new_api_key()
    key = ApiKey(
        id=new_id(),
        company_id=company_id,
        user_id=user_id,
        name=name,
        prefix=plain[:12],
        key_hash=digest(plain),
    )
    session.add(key)
    return key, plain


async def bootstrap(
    session: AsyncSession, *, email: str, password: str, company_name: str
) -> Bootstrapped:
    """Create or reuse the user and their company of that name, plus a new API key."""
    user = await get_or_create_user(session, email=email, password=password)
    company = next(
        (c for c in await companies_of(session, user.id) if c.name == company_name), None
    )
    if company is None:
        company = await create_company(session, name=company_name, owner=user)
    _, plain = await create_api_key(
        session, company_id=company.id, user_id=user.id, name="bootstrap"
    )
    return Bootstrapped(company_id=company.id, user_id=user.id, api_key=plain)


async def find_api_key(session: AsyncSession, plain: str) -> ApiKey | None:
    statement = select(ApiKey).where(ApiKey.key_hash == digest(plain), ApiKey.revoked.is_(None))
    return (await session.execute(statement)).scalar_one_or_none()


async def issue_token(session: AsyncSession, *, key: ApiKey, ttl_seconds: int) -> str:
    plain = new_token()
    session.add(
        AuthToken(
            id=new_id(),
            company_id=key.company_id,
            api_key_id=key.id,
            token_hash=digest(plain),
            expires=now_ms() + ttl_seconds * 1000,
        )
    )
    return plain


async def company_for_bearer(session: AsyncSession, credential: str) -> tuple[str, int] | None:
    """(company id, valid until ms) of a bearer credential: an unexpired token from
    /wf/auth or a live API key (valid until revoked, reported as far in the future)."""
    hashed = digest(credential)
    token = await session.execute(
        select(AuthToken.company_id, AuthToken.expires)
        .join(ApiKey, ApiKey.id == AuthToken.api_key_id)
        .where(
            AuthToken.token_hash == hashed,
            AuthToken.expires > now_ms(),
            ApiKey.revoked.is_(None),
        )
    )
    row = token.first()
    if row is not None:
        return row[0], row[1]
    key = await session.execute(
        select(ApiKey.company_id).where(ApiKey.key_hash == hashed, ApiKey.revoked.is_(None))
    )
    company_id = key.scalar_one_or_none()
    return (company_id, 2**62) if company_id is not None else None


async def revoke_api_key(session: AsyncSession, *, company_id: str, key_id: str) -> bool:
    key = await session.get(ApiKey, key_id)
    if key is None or key.company_id != company_id or key.revoked is not None:
        return False
    key.revoked = now_ms()
    return True
