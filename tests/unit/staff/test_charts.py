"""The dashboard chart is plain SVG with one bar per week."""

from __future__ import annotations

from datetime import date, timedelta

from staff.web.charts import weekly_chart
from workflows.adapters.console_queries import WeekFigures


def test_chart_draws_a_bar_per_week_and_the_median_line() -> None:
    weeks = [WeekFigures(date(2026, 1, 5) + timedelta(weeks=i), i, 1, 10.0 + i) for i in range(4)]
    svg = str(weekly_chart(weeks, title="<per week>"))
    assert svg.count('class="bar"') == 4
    assert "<polyline" in svg
    assert "&lt;per week&gt;" in svg
