"""Group commit under concurrency: many requests, many dialogs, several groups in flight
(PostgreSQL), and everything each dialog needs stays exact and in order."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict

from sqlalchemy import select

from botdesk.models import AnswerJob, Delivery, Event, Message, Thread

CHATS = 6
PER_CHAT = 20


async def test_concurrent_messages_keep_each_dialog_exact(client, db, make_tenant, make_setup):
    tenant = await make_tenant()
    setup = await make_setup(tenant)
    path = "/api/1.1/wf/send_message_external"

    async def post(chat: int, n: int, task_id: str) -> tuple[int, int, int]:
        body = {"task_id": task_id, "chat_id": f"chat-{chat}", "message": f"m{n}"}
        response = await client.post(path, json=body, headers=tenant.headers)
        count = response.json()["response"]["thread"]["count_message"] if response.is_success else 0
        return chat, response.status_code, count

    requests = [post(c, n, setup.task["id"]) for n in range(PER_CHAT) for c in range(CHATS)]
    # A few requests for a task that does not exist ride in the same groups and fail alone.
    requests += [post(99, n, "1700000000000x000000000000000000") for n in range(5)]
    results = await asyncio.gather(*requests)

    assert Counter(status for chat, status, _ in results if chat == 99) == {404: 5}
    seen: dict[int, list[int]] = defaultdict(list)
    for chat, status, count in results:
        if chat != 99:
            assert status == 200
            seen[chat].append(count)
    # Each message of a dialog saw its own place in it: its writes never overlapped another's.
    assert all(sorted(counts) == list(range(1, PER_CHAT + 1)) for counts in seen.values())

    async with db.sessions() as session:
        threads = (await session.execute(select(Thread))).scalars().all()
        messages = (await session.execute(select(Message.thread_id))).scalars().all()
        events = (await session.execute(select(Event.thread_id, Event.seq, Event.id))).all()
        deliveries = (await session.execute(select(Delivery.event_id))).scalars().all()
        jobs = (await session.execute(select(AnswerJob.thread_id))).scalars().all()
    assert len(threads) == CHATS
    assert all(thread.count_message == PER_CHAT for thread in threads)
    assert Counter(messages) == {thread.id: PER_CHAT for thread in threads}
    sequences: dict[str, list[int]] = defaultdict(list)
    for thread_id, seq, _ in events:
        sequences[thread_id].append(seq)
    # Every message's event, numbered 1..n per dialog without a gap or a repeat.
    assert all(sorted(seqs) == list(range(1, PER_CHAT + 1)) for seqs in sequences.values())
    assert sorted(deliveries) == sorted(event_id for _, _, event_id in events)
    assert sorted(jobs) == sorted(thread.id for thread in threads)
