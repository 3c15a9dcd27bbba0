"""Read queries for lists and pages (CQRS-style views): plain rows, no aggregates.

The due-soon and overdue lists read one partial index (open requests by effective due
date), so they stay fast with millions of closed cases in the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from workflows.adapters.orm import actions, events, jobs, messages, outbox, requests
from workflows.adapters.request_search import RequestSearch
from workflows.domain.errors import RequestNotFound


@dataclass(frozen=True, slots=True)
class RequestRow:
    id: str
    reference: str
    rights: tuple[str, ...]
    channel: str
    language: str
    state: str
    received_at: datetime
    effective_due_on: date
    extended: bool
    verified_method: str | None
    attention: str | None
    closed_at: datetime | None

    def days_left(self, today: date) -> int:
        return (self.effective_due_on - today).days


LIST_COLUMNS = (
    requests.c.id,
    requests.c.reference,
    requests.c.rights,
    requests.c.channel,
    requests.c.language,
    requests.c.state,
    requests.c.received_at,
    requests.c.effective_due_on,
    requests.c.extended_due_on,
    requests.c.verified_method,
    requests.c.attention,
    requests.c.closed_at,
)


def request_row(r: Any) -> RequestRow:
    return RequestRow(
        id=r.id,
        reference=r.reference,
        rights=tuple(x for x in r.rights.split(",") if x),
        channel=r.channel,
        language=r.language,
        state=r.state,
        received_at=r.received_at,
        effective_due_on=r.effective_due_on,
        extended=r.extended_due_on is not None,
        verified_method=r.verified_method,
        attention=r.attention,
        closed_at=r.closed_at,
    )


class RequestQueries:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._search = RequestSearch(engine)

    def due_by(self, horizon: date, *, since: date | None = None, limit: int = 200) -> list[RequestRow]:
        """Open requests due on or before ``horizon`` (and on or after ``since``), earliest first."""
        window = [requests.c.closed_at.is_(None), requests.c.effective_due_on <= horizon]
        if since is not None:
            window.append(requests.c.effective_due_on >= since)
        query = (
            select(*LIST_COLUMNS)
            .where(*window)
            .order_by(requests.c.effective_due_on, requests.c.reference)
            .limit(limit)
        )
        with self._engine.connect() as connection:
            return [request_row(r) for r in connection.execute(query)]

    def due_soon(self, today: date, *, days: int = 7, limit: int = 200) -> list[RequestRow]:
        """Open requests due from today up to ``days`` ahead."""
        return self.due_by(today + timedelta(days=days), since=today, limit=limit)

    def overdue(self, today: date, *, limit: int = 200) -> list[RequestRow]:
        return self.due_by(today - timedelta(days=1), limit=limit)

    def search(
        self,
        *,
        states: Sequence[str] = (),
        text: str | None = None,
        open_only: bool = False,
        limit: int = 50,
        offset: int = 0,
    ) -> list[RequestRow]:
        """Filter by state and search by reference, e-mail or part of a name (newest first),
        as the console does (adapters.request_search)."""
        query = select(*LIST_COLUMNS)
        if states:
            query = query.where(requests.c.state.in_(list(states)))
        if open_only:
            query = query.where(requests.c.closed_at.is_(None))
        found = self._search.condition(text)
        if found is not None:
            query = query.where(found)
        query = query.order_by(requests.c.received_at.desc()).limit(limit).offset(offset)
        with self._engine.connect() as connection:
            return [request_row(r) for r in connection.execute(query)]

    def counts_by_state(self) -> dict[str, int]:
        query = select(requests.c.state, func.count()).group_by(requests.c.state)
        with self._engine.connect() as connection:
            return {state: int(n) for state, n in connection.execute(query)}

    def detail(self, reference: str) -> dict[str, Any]:
        """Everything the request page shows: the case, its timeline, messages and actions."""
        with self._engine.connect() as connection:
            case = connection.execute(select(requests).where(requests.c.reference == reference.upper())).first()
            if case is None:
                raise RequestNotFound(f"no request {reference}", request=reference)
            timeline = connection.execute(
                select(events.c.seq, events.c.type, events.c.actor, events.c.occurred_at, events.c.data)
                .where(events.c.request_id == case.id)
                .order_by(events.c.seq)
            ).all()
            letters = connection.execute(
                select(messages).where(messages.c.request_id == case.id).order_by(messages.c.created_at)
            ).all()
            queued = connection.execute(
                select(actions).where(actions.c.request_id == case.id).order_by(actions.c.planned_at)
            ).all()
        return {
            "request": dict(case._mapping),
            "events": [dict(e._mapping) for e in timeline],
            "messages": [dict(m._mapping) for m in letters],
            "actions": [dict(a._mapping) for a in queued],
        }

    def operational_counts(self, today: date) -> dict[str, int]:
        """Gauges for /metrics: open, overdue, queued jobs, pending and dead outbox rows."""
        with self._engine.connect() as connection:
            open_count = connection.execute(
                select(func.count()).select_from(requests).where(requests.c.closed_at.is_(None))
            ).scalar_one()
            overdue = connection.execute(
                select(func.count())
                .select_from(requests)
                .where(requests.c.closed_at.is_(None), requests.c.effective_due_on < today)
            ).scalar_one()
            job_counts: dict[str, int] = dict(
                connection.execute(select(jobs.c.status, func.count()).group_by(jobs.c.status)).all()
            )
            outbox_counts: dict[str, int] = dict(
                connection.execute(select(outbox.c.status, func.count()).group_by(outbox.c.status)).all()
            )
        return {
            "open": int(open_count),
            "overdue": int(overdue),
            "jobs_queued": int(job_counts.get("queued", 0)),
            "jobs_dead": int(job_counts.get("dead", 0)),
            "outbox_pending": int(outbox_counts.get("pending", 0)),
            "outbox_dead": int(outbox_counts.get("dead", 0)),
        }
