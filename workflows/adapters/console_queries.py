"""Read queries for the staff console: dashboard figures, the filtered request list, the
approval queue. Plain rows, like :mod:`workflows.adapters.queries`, tuned for 100,000+ cases:
every query here reads an index (open-due, received_at, closed_at, actions.status; a search
the reference, e-mail or name-trigram index of adapters.request_search).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from workflows.adapters.orm import actions, requests
from workflows.adapters.queries import LIST_COLUMNS, RequestRow, request_row
from workflows.adapters.request_search import RequestSearch


@dataclass(frozen=True, slots=True)
class WeekFigures:
    """One calendar week (Monday first): requests received, and how long closed ones took."""

    week_start: date
    received: int
    closed: int
    median_days_to_close: float | None


@dataclass(frozen=True, slots=True)
class WeeklyHistory:
    weeks: tuple[WeekFigures, ...]
    median_days_to_close: float | None


@dataclass(frozen=True, slots=True)
class Dashboard:
    open_by_state: dict[str, int]
    overdue: int
    due_this_week: int
    awaiting_approval: int
    weeks: tuple[WeekFigures, ...]
    median_days_to_close: float | None
    """Over every request closed in the weeks shown."""


@dataclass(frozen=True)
class RequestFilter:
    states: tuple[str, ...] = ()
    overdue: bool = False
    due_soon: bool = False
    open_only: bool = False
    text: str | None = None


@dataclass(frozen=True, slots=True)
class PendingAction:
    id: str
    kind: str
    status: str
    reference: str
    planned_by: str
    planned_at: datetime
    requested_by: str | None
    effective_due_on: date


# The list's columns plus the claimed name the console shows beside each request.
_LIST_COLUMNS = (*LIST_COLUMNS, requests.c.claimed_name)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _riga_midnight_utc(day: date) -> datetime:
    # A day's start in Riga is 21:00 or 22:00 UTC the evening before; one day of slack on the
    # UTC side, then exact bucketing by the Riga date in Python.
    return datetime.combine(day - timedelta(days=1), time(0), tzinfo=UTC)


def _riga_day(column: Any, dialect: str) -> Any:
    """The Riga calendar day of a UTC timestamp column, computed by the database.

    SQLite keeps no time zones: UTC+2 (EET) is used, so in summer (EEST, UTC+3) a case closed
    between 21:00 and 22:00 UTC counts on the previous day; the median shown moves by
    nothing measurable. PostgreSQL converts exactly."""
    if dialect == "sqlite":
        return func.date(column, "+2 hours")
    return func.date(func.timezone("Europe/Riga", column))


class ConsoleQueries:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._search = RequestSearch(engine)

    def dashboard(self, today: date, *, weeks: int = 12, history: WeeklyHistory | None = None) -> Dashboard:
        """Live tiles (open by state, overdue, due this week, waiting actions) and the weekly
        history; pass ``history`` (e.g. a cached :meth:`weekly_history`) to skip recomputing it."""
        open_rows = requests.c.closed_at.is_(None)
        with self._engine.connect() as connection:
            by_state = {
                state: int(n)
                for state, n in connection.execute(
                    select(requests.c.state, func.count()).where(open_rows).group_by(requests.c.state)
                )
            }
            overdue = connection.execute(
                select(func.count()).where(open_rows, requests.c.effective_due_on < today)
            ).scalar_one()
            due_week = connection.execute(
                select(func.count()).where(
                    open_rows,
                    requests.c.effective_due_on >= today,
                    requests.c.effective_due_on <= today + timedelta(days=7),
                )
            ).scalar_one()
            waiting = connection.execute(
                select(func.count()).select_from(actions).where(actions.c.status == "awaiting_approval")
            ).scalar_one()
        history = history or self.weekly_history(today, weeks=weeks)
        return Dashboard(
            open_by_state=by_state,
            overdue=int(overdue),
            due_this_week=int(due_week),
            awaiting_approval=int(waiting),
            weeks=history.weeks,
            median_days_to_close=history.median_days_to_close,
        )

    def weekly_history(self, today: date, *, weeks: int = 12) -> WeeklyHistory:
        """Requests received per week and the median days to close, over ``weeks`` weeks."""
        first_week = _monday(today) - timedelta(weeks=weeks - 1)
        since = _riga_midnight_utc(first_week)
        with self._engine.connect() as connection:
            # Aggregated in SQL: a dashboard view must not pull every case of twelve weeks.
            received_per_day = connection.execute(
                select(requests.c.received_on, func.count())
                .where(requests.c.received_at >= since)
                .group_by(requests.c.received_on)
            ).all()
            closed_day = _riga_day(requests.c.closed_at, self._engine.dialect.name)
            closed_pairs = connection.execute(
                select(requests.c.received_on, closed_day, func.count())
                .where(requests.c.closed_at.is_not(None), requests.c.closed_at >= since)
                .group_by(requests.c.received_on, closed_day)
            ).all()
        received_per_week: dict[date, int] = {}
        for received_on, count in received_per_day:
            week = _monday(received_on)
            received_per_week[week] = received_per_week.get(week, 0) + int(count)
        durations_per_week: dict[date, list[int]] = {}
        for received_on, closed_on, count in closed_pairs:
            closed_on = closed_on if isinstance(closed_on, date) else date.fromisoformat(str(closed_on))
            durations_per_week.setdefault(_monday(closed_on), []).extend([(closed_on - received_on).days] * int(count))
        figures = []
        every_duration: list[int] = []
        for index in range(weeks):
            week = first_week + timedelta(weeks=index)
            durations = durations_per_week.get(week, [])
            every_duration.extend(durations)
            figures.append(
                WeekFigures(
                    week_start=week,
                    received=received_per_week.get(week, 0),
                    closed=len(durations),
                    median_days_to_close=float(statistics.median(durations)) if durations else None,
                )
            )
        return WeeklyHistory(
            weeks=tuple(figures),
            median_days_to_close=float(statistics.median(every_duration)) if every_duration else None,
        )

    def list_requests(
        self, wanted: RequestFilter, today: date, *, limit: int = 50, offset: int = 0
    ) -> tuple[list[tuple[RequestRow, str | None]], bool]:
        """One page of requests with the claimed name, and whether a next page exists.

        Overdue and due-soon lists are ordered by due date (the open-due index); the rest
        newest first (received_at index). No total count: counting 100,000 rows per page
        view costs more than the page.
        """
        query = select(*_LIST_COLUMNS)
        by_due = wanted.overdue or wanted.due_soon
        if wanted.states:
            query = query.where(requests.c.state.in_(list(wanted.states)))
        if wanted.open_only or by_due:
            query = query.where(requests.c.closed_at.is_(None))
        if wanted.overdue and not wanted.due_soon:
            query = query.where(requests.c.effective_due_on < today)
        elif wanted.due_soon and not wanted.overdue:
            query = query.where(
                requests.c.effective_due_on >= today, requests.c.effective_due_on <= today + timedelta(days=7)
            )
        elif by_due:
            query = query.where(requests.c.effective_due_on <= today + timedelta(days=7))
        found = self._search.condition(wanted.text)
        if found is not None:
            query = query.where(found)
        if by_due:
            query = query.order_by(requests.c.effective_due_on, requests.c.reference)
        else:
            query = query.order_by(requests.c.received_at.desc(), requests.c.reference)
        query = query.limit(limit + 1).offset(offset)
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [(request_row(r), r.claimed_name) for r in rows[:limit]], len(rows) > limit

    def pending_actions(
        self, *, limit: int = 200, statuses: Sequence[str] = ("awaiting_approval",)
    ) -> list[PendingAction]:
        """The approval queue, the earliest due request first."""
        query = (
            select(
                actions.c.id,
                actions.c.kind,
                actions.c.status,
                actions.c.planned_by,
                actions.c.planned_at,
                actions.c.requested_by,
                requests.c.reference,
                requests.c.effective_due_on,
            )
            .join(requests, requests.c.id == actions.c.request_id)
            .where(actions.c.status.in_(list(statuses)))
            .order_by(requests.c.effective_due_on, actions.c.planned_at)
            .limit(limit)
        )
        with self._engine.connect() as connection:
            return [
                PendingAction(
                    id=r.id,
                    kind=r.kind,
                    status=r.status,
                    reference=r.reference,
                    planned_by=r.planned_by,
                    planned_at=r.planned_at,
                    requested_by=r.requested_by,
                    effective_due_on=r.effective_due_on,
                )
                for r in connection.execute(query)
            ]

    def action_reference(self, action_id: str) -> str | None:
        """The reference of the request an action belongs to (for redirects after a decision)."""
        query = (
            select(requests.c.reference)
            .join(actions, actions.c.request_id == requests.c.id)
            .where(actions.c.id == action_id)
        )
        with self._engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none()
