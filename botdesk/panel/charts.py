"""Small SVG charts rendered on the server (no chart library, no script): bars per day and
horizontal bars per flag. Labels are escaped; the result is safe to embed in a page."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 720
BAR_COLOR = "#2563eb"
MUTED = "#6b7280"


def day_bars(values: Sequence[int], *, title: str, height: int = 180) -> Markup:
    """One bar per day of the month, the count above each non-empty bar."""
    top, bottom, left = 16, 22, 8
    plot = height - top - bottom
    slot = (WIDTH - 2 * left) / max(1, len(values))
    peak = max(values, default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top + plot}" x2="{WIDTH - left}" y2="{top + plot}" '
        f'stroke="#d1d5db"/>',
    ]
    for index, value in enumerate(values):
        x = left + index * slot + slot * 0.15
        bar = plot * value / peak
        y = top + plot - bar
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{bar:.1f}" '
            f'fill="{BAR_COLOR}" rx="2"><title>day {index + 1}: {value}</title></rect>'
        )
        if value:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{y - 3:.1f}" font-size="10" '
                f'text-anchor="middle" fill="{MUTED}">{value}</text>'
            )
        if index % 5 == 0 or index == len(values) - 1:
            parts.append(
                f'<text x="{x + slot * 0.35:.1f}" y="{height - 6}" font-size="10" '
                f'text-anchor="middle" fill="{MUTED}">{index + 1}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def share_bars(rows: Sequence[tuple[str, int, float]], *, title: str) -> Markup:
    """One horizontal bar per (label, count, share 0..1)."""
    row_height, label_width = 26, 210
    height = row_height * len(rows) + 10
    usable = WIDTH - label_width - 110
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, count, share) in enumerate(rows):
        y = 5 + index * row_height
        width = max(0.0, min(1.0, share)) * usable
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 17}" font-size="13" text-anchor="end" '
            f'fill="#1d2430">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{usable}" height="16" fill="#eef2ff" '
            f'rx="3"/><rect x="{label_width}" y="{y + 4}" width="{width:.1f}" height="16" '
            f'fill="{BAR_COLOR}" rx="3"/>'
            f'<text x="{label_width + usable + 8}" y="{y + 17}" font-size="13" '
            f'fill="{MUTED}">{count} · {share * 100:.1f}%</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
