"""Declarative base and the column helpers every model shares."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from botdesk.core.ids import new_id, now_ms

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ID = String(40)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, int: BigInteger}


def id_column() -> Mapped[str]:
    return mapped_column(ID, primary_key=True, default=new_id)


def created_column() -> Mapped[int]:
    """Creation time in ms since the epoch, as the seed reports dates."""
    return mapped_column(BigInteger, default=now_ms, nullable=False)
