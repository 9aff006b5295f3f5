"""What a company sets up: channels, AIs, integrations, managers, lists and tasks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Column, Float, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from botdesk.models.base import ID, Base, created_column, id_column


def company_column() -> Mapped[str]:
    return mapped_column(ID, ForeignKey("companies.id", ondelete="CASCADE"), index=True)


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[str] = id_column()
    company_id: Mapped[str] = company_column()
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created: Mapped[int] = created_column()


class Manager(Base):
    __tablename__ = "managers"

    id: Mapped[str] = id_column()
    company_id: Mapped[str] = company_column()
    name: Mapped[str] = mapped_column(String(200))
    created: Mapped[int] = created_column()


class AI(Base):
    __tablename__ = "ais"

    id: Mapped[str] = id_column()
    company_id: Mapped[str] = company_column()
    name: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(20), default="embedded")
    model: Mapped[str] = mapped_column(String(200), default="")
    base_url: Mapped[str] = mapped_column(String(2000), default="")
    api_key: Mapped[str] = mapped_column(String(500), default="")
    prompt: Mapped[str] = mapped_column(Text, default="")
    knowledge: Mapped[list[Any]] = mapped_column(JSON, default=list)
    knowledge_text: Mapped[str] = mapped_column(Text, default="")
    functions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    temperature: Mapped[float] = mapped_column(Float, default=0.7)
    top_p: Mapped[float] = mapped_column(Float, default=1.0)
    reminders: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Provider-specific and behaviour settings (texts, thresholds, prices, debounce, custom_api).
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created: Mapped[int] = created_column()


class Integration(Base):
    __tablename__ = "integrations"

    id: Mapped[str] = id_column()
    company_id: Mapped[str] = company_column()
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40), default="another")
    webhook_url: Mapped[str] = mapped_column(String(2000))
    webhook_type: Mapped[str] = mapped_column(String(40), default="all_messages")
    secret: Mapped[str] = mapped_column(String(200))
    # After a rotation the old secret keeps signing beside the new one until this time (ms).
    previous_secret: Mapped[str | None] = mapped_column(String(200), nullable=True)
    previous_secret_expires: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str] = mapped_column(String(500), default="")
    # Start of the current run of failures (ms); None while the last attempt succeeded.
    failing_since: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created: Mapped[int] = created_column()


task_integrations = Table(
    "task_integrations",
    Base.metadata,
    Column("task_id", ID, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "integration_id", ID, ForeignKey("integrations.id", ondelete="CASCADE"), primary_key=True
    ),
)

task_lists = Table(
    "task_lists",
    Base.metadata,
    Column("task_id", ID, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True),
    Column("list_id", ID, ForeignKey("lists.id", ondelete="CASCADE"), primary_key=True),
)


class ChatList(Base):
    """A white list (the AI talks only to these) or black list (the AI ignores these)."""

    __tablename__ = "lists"

    id: Mapped[str] = id_column()
    company_id: Mapped[str] = company_column()
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # "white" | "black"
    entries: Mapped[list[Any]] = mapped_column(JSON, default=list)
    all_tasks: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[int] = created_column()


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[str] = id_column()
    company_id: Mapped[str] = company_column()
    name: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(40), default="web")
    mode: Mapped[str] = mapped_column(String(20), default="inbound")
    channel_id: Mapped[str] = mapped_column(ID, ForeignKey("channels.id"))
    ai_id: Mapped[str] = mapped_column(ID, ForeignKey("ais.id"))
    manager_id: Mapped[str | None] = mapped_column(ID, ForeignKey("managers.id"), nullable=True)
    spending_limit: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    greeting: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[int] = created_column()

    integrations: Mapped[list[Integration]] = relationship(
        secondary=task_integrations, lazy="selectin"
    )
    lists: Mapped[list[ChatList]] = relationship(secondary=task_lists, lazy="selectin")
