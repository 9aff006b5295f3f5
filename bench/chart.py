"""A horizontal bar chart as a standalone SVG file, so a bench's figures can be looked at
rather than read (open the file in a browser). No plotting library needed."""

from __future__ import annotations

from html import escape
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
BAR_H, GAP, LABEL_W, WIDTH = 26, 10, 230, 760


def bar_chart(
    name: str,
    title: str,
    bars: list[tuple[str, float]],
    unit: str,
    target: float | None = None,
) -> Path:
    """Write `bench/results/<name>.svg`; a dashed line marks `target` when given."""
    top = max([value for _, value in bars] + [target or 0]) or 1.0
    span = WIDTH - LABEL_W - 120
    height = 50 + len(bars) * (BAR_H + GAP) + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        'font-family="sans-serif" font-size="13">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="10" y="24" font-size="16" font-weight="bold">{escape(title)}</text>',
    ]
    for index, (label, value) in enumerate(bars):
        y = 44 + index * (BAR_H + GAP)
        width = max(1.0, span * value / top)
        parts += [
            f'<text x="{LABEL_W - 8}" y="{y + 18}" text-anchor="end">{escape(label)}</text>',
            f'<rect x="{LABEL_W}" y="{y}" width="{width:.1f}" height="{BAR_H}" fill="#2563eb"/>',
            f'<text x="{LABEL_W + width + 6:.1f}" y="{y + 18}">{value:,.0f} {escape(unit)}</text>',
        ]
    if target:
        x = LABEL_W + span * target / top
        parts += [
            f'<line x1="{x:.1f}" y1="36" x2="{x:.1f}" y2="{height - 16}" stroke="#dc2626" '
            'stroke-dasharray="5,4"/>',
            f'<text x="{x + 4:.1f}" y="{height - 4}" fill="#dc2626">target {target:,.0f}</text>',
        ]
    parts.append("</svg>")
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.svg"
    path.write_text("\n".join(parts))
    return path
