"""Knowledge-base vectors cached in the database, so each version is embedded once
(not once per worker process or restart)."""

from __future__ import annotations

from sqlalchemy import delete, select

from botdesk.ai.providers import VectorLoad, VectorSave
from botdesk.db.engine import Database
from botdesk.models.jobs import KnowledgeVectors


def database_vector_store(db: Database) -> tuple[VectorLoad, VectorSave]:
    """(load, save) callables on their own short transactions."""

    async def load(ai_id: str, kb_hash: str, model_id: str) -> bytes | None:
        async with db.sessions() as session:
            row = await session.get(KnowledgeVectors, (ai_id, kb_hash))
            return row.vectors if row is not None and row.model_id == model_id else None

    async def save(ai_id: str, kb_hash: str, model_id: str, vectors: bytes) -> None:
        try:
            async with db.transaction() as session:
                await session.execute(
                    delete(KnowledgeVectors).where(KnowledgeVectors.ai_id == ai_id)
                )
                session.add(
                    KnowledgeVectors(
                        ai_id=ai_id, kb_hash=kb_hash, model_id=model_id, vectors=vectors
                    )
                )
        except Exception:  # another worker saved the same version first: theirs is as good
            return

    return load, save


async def cached_hashes(db: Database, ai_id: str) -> list[str]:
    async with db.sessions() as session:
        rows = await session.scalars(
            select(KnowledgeVectors.kb_hash).where(KnowledgeVectors.ai_id == ai_id)
        )
        return list(rows)
