"""The demo company `make run` loads: a page_messenger channel, an embedded AI with a small FAQ,
an integration pointing at a local `botdesk webhook-listen`, and a running task.

Loading is idempotent: objects are found by name, and the demo API key is derived from the
secret key, so the printed `curl` keeps working across runs.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from sqlalchemy import select

from botdesk.core.config import Settings
from botdesk.core.ids import new_id
from botdesk.core.security import digest
from botdesk.db.engine import Database
from botdesk.models import AI, ApiKey, Channel, Company, Integration, Manager, Task
from botdesk.setup.service import create_ai, create_integration, create_task
from botdesk.tenancy.service import create_company, get_or_create_user

DEMO_EMAIL = "demo@botdesk.local"
DEMO_PASSWORD = "demo-password"
DEMO_COMPANY = "Demo company"
DEMO_WEBHOOK = "http://127.0.0.1:9000/webhook"
DEMO_FAQ = [
    {
        "question": "What are your opening hours?",
        "answer": "We are open Monday to Friday, 9:00 to 18:00.",
    },
    {
        "question": "How much does delivery cost?",
        "answer": "Delivery is free for orders over $50; otherwise it costs $5.",
    },
    {
        "question": "How can I return an item?",
        "answer": "You can return any item within 30 days with the receipt.",
    },
    {
        "question": "Сколько стоит доставка?",
        "answer": "Доставка бесплатна для заказов от $50, иначе $5.",
    },
]


def demo_api_key(settings: Settings) -> str:
    mac = hmac.new(settings.secret_key.encode(), b"botdesk-demo-key", hashlib.sha256)
    return "bdk_demo_" + mac.hexdigest()[:32]


async def load_demo(db: Database, settings: Settings) -> str:
    """Create what is missing of the demo company; returns the demo task id."""
    async with db.transaction() as session:
        user = await get_or_create_user(session, email=DEMO_EMAIL, password=DEMO_PASSWORD)
        company = (
            await session.execute(
                select(Company).where(Company.name == DEMO_COMPANY, Company.owner_id == user.id)
            )
        ).scalar_one_or_none()
        if company is None:
            company = await create_company(session, name=DEMO_COMPANY, owner=user)
        key = demo_api_key(settings)
        if (
            await session.execute(select(ApiKey).where(ApiKey.key_hash == digest(key)))
        ).first() is None:
            session.add(
                ApiKey(
                    id=new_id(),
                    company_id=company.id,
                    user_id=user.id,
                    name="demo",
                    prefix=key[:12],
                    key_hash=digest(key),
                )
            )

        async def named(model: type, name: str):  # noqa: ANN202 - small local finder
            query = select(model).where(model.company_id == company.id, model.name == name)
            return (await session.execute(query)).scalar_one_or_none()

        channel = await named(Channel, "Website messenger")
        if channel is None:
            channel = Channel(
                id=new_id(),
                company_id=company.id,
                name="Website messenger",
                type="page_messenger",
                settings={},
            )
            session.add(channel)
        manager = await named(Manager, "Anna")
        if manager is None:
            manager = Manager(id=new_id(), company_id=company.id, name="Anna")
            session.add(manager)
        ai = await named(AI, "Support assistant")
        if ai is None:
            ai = await create_ai(
                session,
                company_id=company.id,
                data={
                    "name": "Support assistant",
                    "provider": "embedded",
                    "prompt": "You are Anna, a friendly support assistant of a small web shop.",
                    "knowledge": DEMO_FAQ,
                    "functions": None,
                },
            )
        integration = await named(Integration, "Local webhook listener")
        if integration is None:
            integration = await create_integration(
                session,
                company_id=company.id,
                data={
                    "name": "Local webhook listener",
                    "webhook_url": DEMO_WEBHOOK,
                    "type": "another",
                    "webhook_type": "all_messages",
                },
            )
        await session.flush()
        task = await named(Task, "Demo web task")
        if task is None:
            task = await create_task(
                session,
                company_id=company.id,
                data={
                    "name": "Demo web task",
                    "channel_id": channel.id,
                    "ai_id": ai.id,
                    "integration_ids": [integration.id],
                    "manager_id": manager.id,
                    "type": "web",
                    "mode": "inbound",
                    "status": "running",
                },
            )
        return task.id


async def print_banner(db: Database, settings: Settings, listen_url: str) -> None:
    task_id = await load_demo(db, settings)
    async with db.sessions() as session:
        secret = (
            await session.execute(
                select(Integration.secret)
                .join(Company, Company.id == Integration.company_id)
                .where(Company.name == DEMO_COMPANY, Integration.name == "Local webhook listener")
            )
        ).scalar_one()
    body = json.dumps(
        {"task_id": task_id, "chat_id": "demo-user-1", "message": "How much does delivery cost?"}
    )
    print(
        f"""
botdesk is running at {listen_url}
  panel:     {listen_url}/panel   (login {DEMO_EMAIL} / {DEMO_PASSWORD})
  API docs:  {listen_url}/docs
  demo task: {task_id}

Send a message as an end user:
  curl -s -X POST {listen_url}/api/1.1/wf/send_message_external \\
    -H 'Authorization: Bearer {demo_api_key(settings)}' -H 'Content-Type: application/json' \\
    -d '{body}'

Watch the webhooks in another terminal:
  .venv/bin/botdesk webhook-listen --port 9000 --secret {secret}
""",
        flush=True,
    )
