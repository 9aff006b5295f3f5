"""Dashboard arithmetic and the CSV format, without a browser."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from botdesk.models import Thread
from botdesk.panel import charts, stats


def test_month_parsing_falls_back_to_the_current_month():
    now = datetime(2026, 2, 10, tzinfo=UTC)
    assert str(stats.Month.parse("2024-02", now)) == "2024-02"
    assert stats.Month.parse("2024-02").days == 29
    for bad in ("", "2024-13", "x-y", "2024", "0000-01"):
        assert str(stats.Month.parse(bad, now)) == "2026-02"
    december = stats.Month(2025, 12)
    assert str(december.shift(1)) == "2026-01" and str(december.shift(-12)) == "2024-12"
    assert december.end_ms - december.start_ms == 31 * stats.DAY_MS


def test_csv_quotes_commas_quotes_newlines_and_keeps_unicode():
    thread = Thread(
        id="t1", task_id="k1", chat_id='-100,"quoted"\nline', contact="Зоя, +998 90",
        close=True, get_contact=True, interest=False, is_bot=False, operator=False,
        success=False, user_replied=False, count_message=3, external_id="",
        extra={"note": "ü"}, date_close=1_700_000_000_000, date_get_contact=None,
        date_interest=None, date_success=None, last_message=1_700_000_000_000,
    )  # fmt: skip
    text = "".join(stats.csv_lines([(thread, "Site, main")]))
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert list(rows[0]) == list(stats.CSV_COLUMNS)
    row = rows[0]
    assert row["chat_id"] == '-100,"quoted"\nline' and row["contact"] == "Зоя, +998 90"
    assert row["channel"] == "Site, main" and row["close"] == "yes" and row["success"] == "no"
    assert row["date_close"] == "2023-11-14T22:13:20Z" and row["date_success"] == ""
    assert row["metadata"] == '{"note": "ü"}' and row["count_message"] == "3"


def test_charts_escape_their_labels():
    svg = charts.share_bars([("<b>x</b>", 1, 0.5)], title="a & b")
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "a &amp; b" in svg
    assert str(charts.day_bars([0, 2, 1], title="t")).count("<rect") == 3
