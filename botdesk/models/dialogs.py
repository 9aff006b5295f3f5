"""Dialogs: threads (one per task and chat_id), their messages, flag history and targets."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import ID, Base, created_column, id_column

FLAGS = ("success", "get_contact", "interest", "close", "is_bot", "operator", "user_replied")
MESSAGE_TYPES = ("user", "bot", "operator")


class Thread(Base):
    __tablename__ = "threads"
    # One thread per (task, chat_id), enforced here so simultaneous first messages share it.
    __table_args__ = (
        UniqueConstraint("task_id", "chat_id"),
        Index("ix_threads_company_last", "company_id", "last_message"),
    )

    id: Mapped[str] = id_column()
    company_id: Mapped[str] = mapped_column(ID, ForeignKey("companies.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(ID, ForeignKey("tasks.id", ondelete="CASCADE"))
    chat_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(500), default="")
    contact: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(40), default="")
    ai_thread_id: Mapped[str] = mapped_column(String(100), default="")
    external_id: Mapped[str] = mapped_column(String(255), default="")
    extra: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)

    success: Mapped[bool] = mapped_column(Boolean, default=False)
    get_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    interest: Mapped[bool] = mapped_column(Boolean, default=False)
    close: Mapped[bool] = mapped_column(Boolean, default=False)
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    operator: Mapped[bool] = mapped_column(Boolean, default=False)
    user_replied: Mapped[bool] = mapped_column(Boolean, default=False)
    # When each flag was set (ms), None while unset.
    date_success: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    date_get_contact: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    date_interest: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    date_close: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    date_is_bot: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    date_operator: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    date_user_replied: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The seed's wh_* fields: whether that flag's webhook has been emitted.
    wh_get_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    wh_interest: Mapped[bool] = mapped_column(Boolean, default=False)
    wh_success: Mapped[bool] = mapped_column(Boolean, default=False)

    count_message: Mapped[int] = mapped_column(Integer, default=0)
    last_message: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_message_text: Mapped[str] = mapped_column(Text, default="")
    last_bot_message: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Per-thread event counter: every outgoing event gets the next number, for ordering.
    event_seq: Mapped[int] = mapped_column(Integer, default=0)
    input_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    output_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    # Read-only share link key; None once revoked (a new one can be created).
    share_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created: Mapped[int] = created_column()
    modified: Mapped[int] = created_column()


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_thread_created", "thread_id", "created"),)

    id: Mapped[str] = id_column()
    company_id: Mapped[str] = mapped_column(ID, ForeignKey("companies.id", ondelete="CASCADE"))
    thread_id: Mapped[str] = mapped_column(ID, ForeignKey("threads.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    # Who wrote an operator message (user id) or which provider wrote a bot message.
    author: Mapped[str] = mapped_column(String(100), default="")
    created: Mapped[int] = created_column()


class FlagChange(Base):
    """Who or what set or cleared a flag, and when."""

    __tablename__ = "flag_changes"

    id: Mapped[str] = id_column()
    thread_id: Mapped[str] = mapped_column(
        ID, ForeignKey("threads.id", ondelete="CASCADE"), index=True
    )
    flag: Mapped[str] = mapped_column(String(20))
    value: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(100))  # "ai", "api", "panel:<user>", "limit", ...
    created: Mapped[int] = created_column()


class Target(Base):
    """An outreach target of an outbound task (added by /wf/add_target)."""

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("task_id", "target"),)

    id: Mapped[str] = id_column()
    company_id: Mapped[str] = mapped_column(ID, ForeignKey("companies.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(ID, ForeignKey("tasks.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created: Mapped[int] = created_column()
