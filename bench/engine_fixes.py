"""Candidate fixes for the deadline lists, measured on the same data as the real queries.

Nothing here changes the project: the bounded due-soon query is a copy of what
``RequestQueries.due_soon`` would send if it bounded the window in SQL, and the
candidate index replaces the migrated one on the benchmark database only, which is
restored before the transitions are measured.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import engine_lists
from sqlalchemy import Engine, func, select, text

from workflows.adapters.orm import requests
from workflows.adapters.queries import RequestQueries

_COLUMNS = (
    "id",
    "reference",
    "rights",
    "channel",
    "language",
    "state",
    "received_at",
    "effective_due_on",
    "extended_due_on",
    "verified_method",
    "attention",
    "closed_at",
)


def list_sizes(engine: Engine, today: date) -> dict[str, int]:
    """How many open requests each list would hold without its 200-row limit."""
    open_requests = requests.c.closed_at.is_(None)
    due = requests.c.effective_due_on
    with engine.connect() as connection:
        overdue = connection.execute(select(func.count()).where(open_requests, due < today)).scalar_one()
        soon = connection.execute(
            select(func.count()).where(open_requests, due >= today, due <= today + timedelta(days=7))
        ).scalar_one()
        total_open = connection.execute(select(func.count()).where(open_requests)).scalar_one()
    return {"open": int(total_open), "overdue": int(overdue), "due_soon_7_days": int(soon)}


def bounded_due_soon(engine: Engine, today: date, *, days: int = 7, limit: int = 200) -> list[Any]:
    """Due soon with both ends of the window in SQL, so overdue rows cannot crowd it out."""
    due = requests.c.effective_due_on
    query = (
        select(*(requests.c[name] for name in _COLUMNS))
        .where(requests.c.closed_at.is_(None), due >= today, due <= today + timedelta(days=days))
        .order_by(due, requests.c.reference)
        .limit(limit)
    )
    with engine.connect() as connection:
        return list(connection.execute(query))


def _plan(engine: Engine, call: Any) -> str:
    statement, parameters = engine_lists._captured_statement(engine, call)
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            return "\n".join(str(r[-1]) for r in rows)
        rows = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters).all()
        return "\n".join(str(r[0]) for r in rows)


def _timed_set(engine: Engine, today: date, runs: int, *, with_real_queries: bool) -> dict[str, Any]:
    timings = [*engine_lists.measure(engine, today, runs)] if with_real_queries else []
    timings.append(
        engine_lists.time_list("bounded due_soon (candidate)", lambda: bounded_due_soon(engine, today), runs)
    )
    plans = {
        "overdue": _plan(engine, lambda: RequestQueries(engine).overdue(today)),
        "bounded_due_soon": _plan(engine, lambda: bounded_due_soon(engine, today)),
    }
    return {"lists": [t.__dict__ for t in timings], "plans": plans}


def measure(engine: Engine, today: date, runs: int) -> dict[str, Any]:
    """The bounded query on today's schema, then everything again with the candidate index.

    The candidate makes ``ix_requests_closed_at`` partial (``WHERE closed_at IS NOT NULL``).
    SQLite's statistics (sqlite_stat1) give the average rows per distinct value, about 1
    for a timestamp, so the planner takes ``closed_at IS NULL`` for a near-unique lookup
    on that index and reads every open request plus a full sort instead of using the
    partial due-date index. Without NULLs in it the index cannot serve ``IS NULL``, while
    the purge query (``closed_at IS NOT NULL AND closed_at < cutoff``) still uses it.
    """
    result: dict[str, Any] = {"list_sizes": list_sizes(engine, today)}
    result["schema_as_is"] = _timed_set(engine, today, runs, with_real_queries=False)
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_requests_closed_at"))
        connection.execute(text(_CLOSED_AT_CANDIDATE))
        connection.execute(text("ANALYZE requests"))
    try:
        result["with_candidate_index"] = _timed_set(engine, today, runs, with_real_queries=True)
    finally:
        with engine.begin() as connection:
            connection.execute(text("DROP INDEX ix_requests_closed_at"))
            connection.execute(text(_CLOSED_AT_AS_MIGRATED))
            connection.execute(text("ANALYZE requests"))
    return result


_CLOSED_AT_CANDIDATE = "CREATE INDEX ix_requests_closed_at ON requests (closed_at) WHERE closed_at IS NOT NULL"
_CLOSED_AT_AS_MIGRATED = "CREATE INDEX ix_requests_closed_at ON requests (closed_at)"
