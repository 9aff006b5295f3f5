"""AI test kit: a fixture knowledge base, and a company with channel, AI and task made
directly through the models (the API is not what these tests are about)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from botdesk.db.engine import Database
from botdesk.dialogs.service import post_user_message
from botdesk.models import AI, Channel, ChatList, Company, Task, Thread

KNOWLEDGE = [
    {"question": "What are your opening hours?", "answer": "We are open 9:00-18:00, Mon-Fri."},
    {
        "question": "How much does delivery cost?",
        "answer": "Delivery costs $5; free for orders over $50.",
    },
    {
        "question": "What is the price of the kettle KT-1700?",
        "answer": "The KT-1700 kettle is $39.",
    },
    {
        "question": "Сколько стоит доставка по городу?",
        "answer": "Доставка по городу стоит 20 000 сум.",
    },
    {"question": "Какой у вас график работы?", "answer": "Мы работаем с 9:00 до 18:00 по будням."},
]
KNOWLEDGE_TEXT = "Our store is at 5 Lake Road, next to the central bus station."
# Fast timings for pipeline tests: 0.2 s debounce, 1 s max wait, quick retries.
FAST = {"debounce_seconds": 0.2, "max_wait_seconds": 1.0, "retry_seconds": [0.05]}


def make_ai(**fields: Any) -> AI:
    values: dict[str, Any] = {
        "id": "ai-test",
        "name": "Helper",
        "knowledge": KNOWLEDGE,
        "knowledge_text": KNOWLEDGE_TEXT,
        "functions": [],
        "settings": {},
    }
    values.update(fields)
    return AI(**values)


@dataclass
class World:
    db: Database
    company_id: str
    ai_id: str
    task_id: str

    async def say(self, chat_id: str, text: str) -> Thread:
        async with self.db.transaction() as session:
            task = await session.get(Task, self.task_id)
            posted = await post_user_message(session, task=task, chat_id=chat_id, text=text)
            return posted.thread

    async def update(self, model: type, key: str, **fields: Any) -> None:
        async with self.db.transaction() as session:
            row = await session.get(model, key)
            for name, value in fields.items():
                setattr(row, name, value)


@pytest.fixture
def make_world(db: Database) -> Any:
    import botdesk.worker.answers  # noqa: F401 - registers the answer listener

    async def make(
        *,
        ai_settings: dict[str, Any] | None = None,
        ai_fields: dict[str, Any] | None = None,
        **task_fields: Any,
    ) -> World:
        async with db.transaction() as session:
            company = Company(name="Acme")
            session.add(company)
            await session.flush()
            channel = Channel(company_id=company.id, name="Site", type="page_messenger")
            ai = make_ai(
                id=None,
                company_id=company.id,
                settings={**FAST, **(ai_settings or {})},
                **(ai_fields or {}),
            )
            session.add_all([channel, ai])
            await session.flush()
            task = Task(
                company_id=company.id, name="Web", channel_id=channel.id, ai_id=ai.id, **task_fields
            )
            session.add(task)
            await session.flush()
            return World(db, company.id, ai.id, task.id)

    return make


async def add_list(world: World, kind: str, entries: list[str]) -> None:
    async with world.db.transaction() as session:
        session.add(
            ChatList(
                company_id=world.company_id, name=kind, kind=kind, entries=entries, all_tasks=True
            )
        )
