"""What the AI job runners do to a dialog: decide whether the AI may speak, build the history
it sees, and apply an answer (flags first, then the message, usage, spend limit) in the
caller's transaction."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.ai.providers import AnswerResult, Turn
from botdesk.core.ids import now_ms
from botdesk.dialogs.service import hand_to_operator, post_bot_message, set_flag
from botdesk.models import AI, ChatList, Message, Reminder, Task, Thread

# Task statuses in which the AI answers.
ACTIVE_STATUSES = ("running",)


_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{7,}$")


def _norm(entry: str) -> str:
    """Comparable form of a list entry or chat id: no '@', case-folded, phones as digits."""
    entry = entry.strip().lower().lstrip("@")
    return re.sub(r"\D", "", entry) if _PHONE_LIKE.match(entry) else entry


async def company_lists(session: AsyncSession, company_id: str) -> list[ChatList]:
    """The company's lists that apply to all its tasks."""
    rows = await session.scalars(
        select(ChatList).where(ChatList.company_id == company_id, ChatList.all_tasks)
    )
    return list(rows)


async def list_verdict(
    session: AsyncSession,
    *,
    thread: Thread,
    task: Task,
    shared: Sequence[ChatList] | None = None,
) -> str | None:
    """'black' when a black list names the chat, 'white' when a white list exists without it.

    `shared`: the company's all-task lists when the caller already loaded them (a batch)."""
    if shared is None:
        shared = await company_lists(session, task.company_id)
    lists = {lst.id: lst for lst in [*task.lists, *shared]}.values()
    names = {_norm(thread.chat_id)}
    for contact in (thread.contact or "").split(","):
        if contact.strip():
            names.add(_norm(contact))
    whites = [lst for lst in lists if lst.kind == "white"]
    for lst in lists:
        if lst.kind == "black" and names & {_norm(str(e)) for e in lst.entries or []}:
            return "black"
    if whites and not any(names & {_norm(str(e)) for e in w.entries or []} for w in whites):
        return "white"
    return None


async def silence_reason(
    session: AsyncSession,
    *,
    thread: Thread,
    task: Task,
    shared: Sequence[ChatList] | None = None,
) -> str | None:
    """Why the AI must not answer in this thread now, or None."""
    if thread.operator:
        return "operator"
    if thread.close:
        return "close"
    if task.status not in ACTIVE_STATUSES:
        return f"task {task.status}"
    return await list_verdict(session, thread=thread, task=task, shared=shared)


async def load_history(session: AsyncSession, *, thread: Thread, limit: int) -> list[Turn]:
    """The last `limit` messages, oldest first: user, bot and operator turns alike."""
    rows = await session.scalars(
        select(Message)
        .where(Message.thread_id == thread.id)
        .order_by(Message.created.desc(), Message.id.desc())
        .limit(limit)
    )
    return [Turn(m.type, m.text) for m in reversed(list(rows))]


async def load_histories(
    session: AsyncSession, *, thread_ids: Sequence[str], limit: int
) -> dict[str, list[Turn]]:
    """`load_history` for many threads in one query (a window per thread), oldest first."""
    if not thread_ids:
        return {}
    rows = await session.execute(
        _recent_messages(), {"thread_ids": list(thread_ids), "limit": limit}
    )
    histories: dict[str, list[Turn]] = {thread_id: [] for thread_id in thread_ids}
    for thread_id, kind, text in rows:
        histories[thread_id].append(Turn(kind, text))
    return histories


@cache
def _recent_messages() -> Select[tuple[str, str, str]]:
    """The last `limit` messages of each of `thread_ids`, per thread oldest first (built once:
    building the window and its subquery costs more than running it)."""
    rank = (
        func.row_number()
        .over(
            partition_by=Message.thread_id,
            order_by=(Message.created.desc(), Message.id.desc()),
        )
        .label("rank")
    )
    recent = (
        select(Message.thread_id, Message.type, Message.text, rank)
        .where(Message.thread_id.in_(bindparam("thread_ids", expanding=True)))
        .subquery()
    )
    return (
        select(recent.c.thread_id, recent.c.type, recent.c.text)
        .where(recent.c.rank <= bindparam("limit"))
        .order_by(recent.c.thread_id, recent.c.rank.desc())
    )


async def apply_answer(
    session: AsyncSession,
    *,
    thread: Thread,
    task: Task,
    ai: AI,
    result: AnswerResult,
    author: str = "ai",
) -> Message | None:
    """Flags before the message (so the bot's webhook already carries them), then usage,
    the AI's booked reminders and the spend limit."""
    for request in result.flags:
        await set_flag(
            session,
            thread=thread,
            task=task,
            flag=request.flag,
            source="ai",
            contact=request.contact,
        )
    message = None
    if result.text.strip():
        message = await post_bot_message(
            session, thread=thread, task=task, text=result.text.strip(), author=author
        )
    usage = result.usage
    thread.input_tokens = (thread.input_tokens or 0) + usage.input_tokens
    thread.output_tokens = (thread.output_tokens or 0) + usage.output_tokens
    thread.cost_usd = (thread.cost_usd or 0.0) + usage.cost_usd
    now = now_ms()
    for booked in result.reminders:
        session.add(
            Reminder(
                company_id=thread.company_id,
                thread_id=thread.id,
                due=now + int(booked.delay_seconds * 1000),
                kind="fixed" if booked.text else "ai",
                text=booked.text,
                cancel_flags=["operator", "close"],
                source="scheduler",
                details={"after": message.created if message else now},
            )
        )
    await enforce_spend_limit(session, thread=thread, task=task)
    return message


async def enforce_spend_limit(session: AsyncSession, *, thread: Thread, task: Task) -> bool:
    """Past the task's limit per dialog the AI stops: the thread goes to an operator."""
    limit = task.spending_limit
    if limit is None or limit <= 0 or (thread.cost_usd or 0.0) < limit:
        return False
    return await hand_to_operator(session, thread=thread, task=task, source="limit")
