"""Work the worker picks up from the database: AI answers and reminders."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from botdesk.models.base import ID, Base, created_column, id_column


class AnswerJob(Base):
    """At most one pending AI answer per thread; a new user message pushes `due` back
    (debounce) up to `deadline`, and bumps `version` so a run in flight knows it is stale."""

    __tablename__ = "answer_jobs"
    __table_args__ = (Index("ix_answer_jobs_due", "due"),)

    thread_id: Mapped[str] = mapped_column(
        ID, ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True
    )
    company_id: Mapped[str] = mapped_column(ID)
    due: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    leased_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[int] = created_column()


class Reminder(Base):
    """A follow-up to send into a thread at `due` unless cancelled."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_status_due", "status", "due"),)

    id: Mapped[str] = id_column()
    company_id: Mapped[str] = mapped_column(ID)
    thread_id: Mapped[str] = mapped_column(ID, ForeignKey("threads.id", ondelete="CASCADE"))
    due: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(10), default="fixed")  # "fixed" | "ai"
    text: Mapped[str] = mapped_column(Text, default="")
    cancel_flags: Mapped[list[Any]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(40), default="ai_settings")  # or "scheduler"
    status: Mapped[str] = mapped_column(String(12), default="pending")  # sent|cancelled
    lease_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created: Mapped[int] = created_column()


class KnowledgeVectors(Base):
    """Embedded-AI vectors of one knowledge base version, computed once per change."""

    __tablename__ = "knowledge_vectors"

    ai_id: Mapped[str] = mapped_column(
        ID, ForeignKey("ais.id", ondelete="CASCADE"), primary_key=True
    )
    kb_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(100))
    vectors: Mapped[bytes] = mapped_column(LargeBinary)
    created: Mapped[int] = created_column()
