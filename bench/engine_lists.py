"""Timing of the staff lists (due soon, overdue) and the plan the database chose for them.

The lists are the deadline view staff work from (Art. 12(3): one month, extendable by
two): they must stay instant however many closed cases the table holds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, event

from workflows.adapters.queries import RequestQueries

WARM_UP_RUNS = 5


@dataclass(frozen=True)
class ListTiming:
    name: str
    runs: int
    median_ms: float
    p95_ms: float
    max_ms: float
    rows: int


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def time_list(name: str, call: Callable[[], list[Any]], runs: int) -> ListTiming:
    rows = 0
    for _ in range(WARM_UP_RUNS):
        rows = len(call())
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return ListTiming(
        name=name,
        runs=runs,
        median_ms=round(statistics.median(samples), 3),
        p95_ms=round(_percentile(samples, 0.95), 3),
        max_ms=round(max(samples), 3),
        rows=rows,
    )


def measure(engine: Engine, today: date, runs: int) -> list[ListTiming]:
    queries = RequestQueries(engine)
    return [
        time_list("due_soon(today, days=7)", lambda: queries.due_soon(today, days=7), runs),
        time_list("overdue(today)", lambda: queries.overdue(today), runs),
    ]


def _captured_statement(engine: Engine, call: Callable[[], object]) -> tuple[str, Any]:
    """The SQL and driver parameters a query method really sends (so EXPLAIN shows that one)."""
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return seen[-1]


def explain(engine: Engine, today: date) -> dict[str, str]:
    """EXPLAIN of the statements behind ``overdue`` and ``due_soon`` on this database."""
    queries = RequestQueries(engine)
    plans: dict[str, str] = {}
    for name, call in (
        ("overdue", lambda: queries.overdue(today)),
        ("due_soon", lambda: queries.due_soon(today, days=7)),
    ):
        statement, parameters = _captured_statement(engine, call)
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
                plan = "\n".join(f"{'  ' * _depth(rows, r)}{r[-1]}" for r in rows)
            else:
                rows = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters).all()
                plan = "\n".join(str(r[0]) for r in rows)
        plans[name] = f"{' '.join(statement.split())}\n{plan}"
    return plans


def _depth(rows: Sequence[Any], row: Any) -> int:
    """Indentation of an EXPLAIN QUERY PLAN row (columns: id, parent, notused, detail)."""
    parents = {r[0]: r[1] for r in rows}
    depth, parent = 0, row[1]
    while parent in parents:
        depth, parent = depth + 1, parents[parent]
    return depth
