"""Dashboard: a month of dialogs for one or all tasks (counts, conversion per flag, AI spend,
charts) and the same dialogs as CSV."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from botdesk.models import Task
from botdesk.panel import charts, stats
from botdesk.panel.deps import FLAG_LABELS, CtxDep, not_found
from botdesk.setup.service import get_owned, list_owned

router = APIRouter(include_in_schema=False)


async def _task_filter(ctx: CtxDep, task: str) -> str | None:
    if task and await get_owned(ctx.db, Task, ctx.company_id, task) is None:
        raise not_found("task")
    return task or None


@router.get("/panel/dashboard")
async def dashboard(
    ctx: CtxDep,
    task: str = Query("", max_length=40),
    month: str = Query("", max_length=7),
) -> Response:
    task_id = await _task_filter(ctx, task)
    period = stats.Month.parse(month)
    summary = await stats.summary(ctx.db, company_id=ctx.company_id, task_id=task_id, month=period)
    tasks, _ = await list_owned(ctx.db, Task, ctx.company_id, page=1, page_size=500)
    flag_rows = [(FLAG_LABELS[f.flag][1], f.count, f.conversion) for f in summary.flags]
    return ctx.render(
        "dashboard.html",
        section="dashboard",
        summary=summary,
        tasks=tasks,
        task=task_id or "",
        month=str(period),
        previous=str(period.shift(-1)),
        following=str(period.shift(1)),
        day_chart=charts.day_bars(summary.per_day, title=f"Dialogs per day, {period}"),
        flag_chart=charts.share_bars(flag_rows, title="Conversion per flag"),
    )


@router.get("/panel/dashboard.csv")
async def export_csv(
    ctx: CtxDep,
    task: str = Query("", max_length=40),
    month: str = Query("", max_length=7),
) -> Response:
    """One row per dialog started in the month, UTF-8, quoted where needed."""
    task_id = await _task_filter(ctx, task)
    period = stats.Month.parse(month)
    rows = await stats.export_rows(ctx.db, company_id=ctx.company_id, task_id=task_id, month=period)
    name = f"dialogs-{period}{'-' + task_id if task_id else ''}.csv"
    return StreamingResponse(
        (chunk.encode() for chunk in stats.csv_lines(rows)),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
