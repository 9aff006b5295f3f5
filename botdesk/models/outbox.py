"""The transactional outbox: events written with the change that caused them, and their
per-integration deliveries and attempts."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import ID, Base, created_column


class Event(Base):
    """One outgoing event; `id` is the Standard Webhooks `webhook-id` (msg_…), never changed."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    company_id: Mapped[str] = mapped_column(ID, ForeignKey("companies.id", ondelete="CASCADE"))
    thread_id: Mapped[str] = mapped_column(ID, ForeignKey("threads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # "message" | "flag"
    wh_type: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str | None] = mapped_column(ID, nullable=True)
    seq: Mapped[int] = mapped_column(Integer)
    # Serialized once: the exact bytes that are signed and sent.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    created: Mapped[int] = created_column()


class Delivery(Base):
    """An event on its way to one integration."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_due", "status", "next_attempt"),
        Index("ix_deliveries_order", "integration_id", "thread_id", "seq"),
    )

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40), ForeignKey("events.id", ondelete="CASCADE"))
    integration_id: Mapped[str] = mapped_column(
        ID, ForeignKey("integrations.id", ondelete="CASCADE")
    )
    company_id: Mapped[str] = mapped_column(ID, ForeignKey("companies.id", ondelete="CASCADE"))
    thread_id: Mapped[str] = mapped_column(ID)
    seq: Mapped[int] = mapped_column(Integer)
    # pending -> delivered | failed; "pending" rows are due at next_attempt.
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt: Mapped[int] = mapped_column(BigInteger)
    lease_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    leased_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    delivered_at: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # A redelivery asked for by hand: one attempt, outside the order and the enabled check.
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[int] = created_column()


class DeliveryAttempt(Base):
    __tablename__ = "delivery_attempts"

    id: Mapped[str] = mapped_column(ID, primary_key=True)
    delivery_id: Mapped[str] = mapped_column(
        ID, ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    started: Mapped[int] = mapped_column(BigInteger)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response_excerpt: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
