"""What the web panel keeps: browser sessions, login attempts (for rate limiting) and
invitations to join a company."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import ID, Base, created_column, id_column


class PanelSession(Base):
    """A logged-in browser; the cookie holds a random token, only its SHA-256 is stored, so
    logging out (deleting the row) ends the session everywhere at once."""

    __tablename__ = "panel_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(ID, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The company the panel currently shows (the company switcher changes it).
    company_id: Mapped[str | None] = mapped_column(
        ID, ForeignKey("companies.id", ondelete="SET NULL"), nullable=True
    )
    expires: Mapped[int] = mapped_column(BigInteger)
    created: Mapped[int] = created_column()


class LoginAttempt(Base):
    """One failed login, keyed by email and by client address; counted in a sliding window."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_key_created", "key", "created"),)

    id: Mapped[str] = id_column()
    key: Mapped[str] = mapped_column(String(400))
    created: Mapped[int] = created_column()


class Invitation(Base):
    """A link that lets whoever holds it join a company as an admin (once, before expiry)."""

    __tablename__ = "invitations"

    id: Mapped[str] = id_column()
    company_id: Mapped[str] = mapped_column(
        ID, ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(
        ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    expires: Mapped[int] = mapped_column(BigInteger)
    used_by: Mapped[str | None] = mapped_column(
        ID, ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    used_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created: Mapped[int] = created_column()
