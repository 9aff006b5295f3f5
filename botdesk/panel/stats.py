"""Dashboard numbers and the CSV export, for one company, one or all tasks and one month.

A dialog counts in the month it started (UTC); its flags and AI spend count with it, so the
dashboard's numbers and the CSV's rows describe the same dialogs.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from botdesk.models import Channel, Message, Task, Thread

# The flags the dashboard counts, in the order it shows them.
DASHBOARD_FLAGS = (
    "success",
    "get_contact",
    "interest",
    "close",
    "is_bot",
    "operator",
    "user_replied",
)
CSV_COLUMNS = (
    "channel", "chat_id", "close", "contact", "count_message", "date_close", "date_contact",
    "date_interest", "date_success", "external_id", "get_contact", "interest", "is_bot",
    "last_message_date", "metadata", "operator", "success", "user_replied", "task_id", "thread_id",
)  # fmt: skip
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str | None, now: datetime | None = None) -> Month:
        """`YYYY-MM`, or the current month when absent or malformed."""
        try:
            year, month = (int(part) for part in (text or "").split("-"))
            if 1970 <= year <= 9999 and 1 <= month <= 12:
                return cls(year, month)
        except ValueError:
            pass
        now = now or datetime.now(UTC)
        return cls(now.year, now.month)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def start_ms(self) -> int:
        return int(datetime(self.year, self.month, 1, tzinfo=UTC).timestamp() * 1000)

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.days * DAY_MS

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shift(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)


@dataclass(frozen=True)
class FlagCount:
    flag: str
    count: int
    conversion: float  # share of the month's dialogs, 0..1


@dataclass(frozen=True)
class Summary:
    dialogs: int
    messages: int
    flags: tuple[FlagCount, ...]
    spend_usd: float
    input_tokens: int
    output_tokens: int
    per_day: tuple[int, ...]  # dialogs started on each day of the month


def _threads(company_id: str, task_id: str | None, month: Month) -> list[Any]:
    where = [
        Thread.company_id == company_id,
        Thread.created >= month.start_ms,
        Thread.created < month.end_ms,
    ]
    if task_id:
        where.append(Thread.task_id == task_id)
    return where


async def summary(
    session: AsyncSession, *, company_id: str, task_id: str | None, month: Month
) -> Summary:
    where = _threads(company_id, task_id, month)
    flag_sums = [
        func.sum(case((getattr(Thread, f).is_(True), 1), else_=0)) for f in DASHBOARD_FLAGS
    ]
    totals = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(Thread.cost_usd), 0.0),
                func.coalesce(func.sum(Thread.input_tokens), 0),
                func.coalesce(func.sum(Thread.output_tokens), 0),
                *flag_sums,
            ).where(*where)
        )
    ).one()
    dialogs = int(totals[0])
    messages = await session.scalar(
        select(func.count())
        .select_from(Message)
        .join(Thread, Thread.id == Message.thread_id)
        .where(*where)
    )
    day = ((Thread.created - month.start_ms) // DAY_MS).label("day")
    per_day = [0] * month.days
    for index, count in (
        await session.execute(select(day, func.count()).where(*where).group_by(day))
    ).all():
        if 0 <= int(index) < month.days:
            per_day[int(index)] = int(count)
    flags = tuple(
        FlagCount(flag, int(value or 0), (int(value or 0) / dialogs) if dialogs else 0.0)
        for flag, value in zip(DASHBOARD_FLAGS, totals[4:], strict=True)
    )
    return Summary(
        dialogs=dialogs,
        messages=int(messages or 0),
        flags=flags,
        spend_usd=float(totals[1] or 0.0),
        input_tokens=int(totals[2] or 0),
        output_tokens=int(totals[3] or 0),
        per_day=tuple(per_day),
    )


def _export_query(company_id: str, task_id: str | None, month: Month) -> Select[Any]:
    return (
        select(Thread, Channel.name)
        .join(Task, Task.id == Thread.task_id)
        .join(Channel, Channel.id == Task.channel_id)
        .where(*_threads(company_id, task_id, month))
        .order_by(Thread.created, Thread.id)
    )


async def export_rows(
    session: AsyncSession, *, company_id: str, task_id: str | None, month: Month
) -> list[tuple[Thread, str]]:
    result = await session.execute(_export_query(company_id, task_id, month))
    return [(thread, channel) for thread, channel in result.all()]


def _iso(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _yes(value: bool | None) -> str:
    return "yes" if value else "no"


def csv_row(thread: Thread, channel: str) -> list[str]:
    """One dialog in the CSV's column order; flags as yes/no, dates as ISO 8601 UTC."""
    return [
        channel, thread.chat_id, _yes(thread.close), thread.contact or "",
        str(thread.count_message or 0), _iso(thread.date_close), _iso(thread.date_get_contact),
        _iso(thread.date_interest), _iso(thread.date_success), thread.external_id or "",
        _yes(thread.get_contact), _yes(thread.interest), _yes(thread.is_bot),
        _iso(thread.last_message), json.dumps(thread.extra or {}, ensure_ascii=False),
        _yes(thread.operator), _yes(thread.success), _yes(thread.user_replied),
        thread.task_id, thread.id,
    ]  # fmt: skip


def csv_lines(rows: list[tuple[Thread, str]]) -> Iterator[str]:
    """The CSV text, header first, quoted where needed (RFC 4180, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for thread, channel in rows:
        writer.writerow(csv_row(thread, channel))
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
