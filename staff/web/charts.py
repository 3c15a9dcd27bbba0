"""The dashboard chart as inline SVG, drawn on the server (no JavaScript, no CDN)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from workflows.adapters.console_queries import WeekFigures

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 40, 40, 16, 36


def weekly_chart(weeks: Sequence[WeekFigures], *, title: str) -> Markup:
    """Bars: requests received per week (left axis). Line: median days to close (right axis)."""
    if not weeks:
        return Markup("")
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top_count = max(1, *(w.received for w in weeks))
    top_days = max(30.0, *(w.median_days_to_close or 0.0 for w in weeks))
    slot = plot_w / len(weeks)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{LEFT + plot_w}" y2="{TOP + plot_h}" class="axis"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 10}" class="tick" text-anchor="end">{top_count}</text>',
        f'<text x="{LEFT + plot_w + 6}" y="{TOP + 10}" class="tick days">{top_days:.0f} d</text>',
    ]
    points = []
    for index, week in enumerate(weeks):
        x = LEFT + index * slot
        bar_h = plot_h * week.received / top_count
        parts.append(
            f'<rect x="{x + slot * 0.15:.1f}" y="{TOP + plot_h - bar_h:.1f}" width="{slot * 0.7:.1f}"'
            f' height="{bar_h:.1f}" class="bar"><title>{week.week_start.isoformat()}: {week.received}</title></rect>'
        )
        if week.received:
            parts.append(
                f'<text x="{x + slot / 2:.1f}" y="{TOP + plot_h - bar_h - 3:.1f}" class="count"'
                f' text-anchor="middle">{week.received}</text>'
            )
        parts.append(
            f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - 14}" class="tick" text-anchor="middle">'
            f"{week.week_start.strftime('%d.%m')}</text>"
        )
        if week.median_days_to_close is not None:
            y = TOP + plot_h - plot_h * week.median_days_to_close / top_days
            points.append(f"{x + slot / 2:.1f},{y:.1f}")
    if points:
        parts.append(f'<polyline points="{" ".join(points)}" class="median"/>')
        for point in points:
            cx, cy = point.split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="3.5" class="median-dot"/>')
    parts.append("</svg>")
    # Safe: every value above is a number, a date or passed through escape().
    return Markup("".join(parts))  # noqa: S704
