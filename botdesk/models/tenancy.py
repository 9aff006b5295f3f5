"""Who uses botdesk: companies (tenants), users, memberships, API keys and bearer tokens."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import ID, Base, created_column, id_column


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id"), nullable=True)
    created: Mapped[int] = created_column()


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = id_column()
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created: Mapped[int] = created_column()


class Membership(Base):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("company_id", "user_id"),)

    id: Mapped[str] = id_column()
    company_id: Mapped[str] = mapped_column(ID, ForeignKey("companies.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20), default="admin")
    created: Mapped[int] = created_column()


class ApiKey(Base):
    """An API key; only its SHA-256 is stored, the prefix lets people tell keys apart."""

    __tablename__ = "api_keys"

    id: Mapped[str] = id_column()
    company_id: Mapped[str] = mapped_column(
        ID, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[str | None] = mapped_column(ID, ForeignKey("users.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[int] = created_column()
    revoked: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class AuthToken(Base):
    """A bearer token issued by /api/1.1/wf/auth for an API key; expires."""

    __tablename__ = "auth_tokens"

    id: Mapped[str] = id_column()
    company_id: Mapped[str] = mapped_column(ID, ForeignKey("companies.id", ondelete="CASCADE"))
    api_key_id: Mapped[str] = mapped_column(ID, ForeignKey("api_keys.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires: Mapped[int] = mapped_column(BigInteger)
    created: Mapped[int] = created_column()
