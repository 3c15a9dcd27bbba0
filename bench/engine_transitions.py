"""Transitions per second: worker OS processes driving the real engine on one database.

Each process is started with the ``spawn`` method, builds its own
:class:`rightsdesk.bootstrap.App` with ``build_app`` (its own connection pool), and
takes a disjoint slice of references (no job queue: the slices are assigned up front,
so the figure is the cost of the command itself, not of claiming). Every transition is
one ``RecordIdentityEvidence`` command with qualified-signature evidence, which moves
a tier-3 request from awaiting_identity to in_progress (Art. 12(6): work starts once
identity is sufficient). It is a full transaction: the request row locked and updated
with its version check, and two hash-chained audit events appended under the chain
head lock.
"""

from __future__ import annotations

import multiprocessing
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from workflows.adapters.orm import events, requests
from workflows.domain.identity import VerificationMethod, VerifiedIdentity
from workflows.service_layer.commands import RecordIdentityEvidence


@dataclass(frozen=True)
class TransitionResult:
    processes: int
    transitions: int
    seconds: float
    failures: int
    per_process_seconds: tuple[float, ...]
    events_written: int

    @property
    def per_second(self) -> float:
        return self.transitions / self.seconds if self.seconds else 0.0


def _worker(
    database_url: str, base_dir: str, references: list[str], barrier: Barrier, results: Any, index: int
) -> None:
    """One worker process: build the app, wait for the others, run its slice, report."""
    from rightsdesk.bootstrap import build_app
    from rightsdesk.settings import Settings

    settings = Settings.model_validate({"database": {"url": database_url}, "base_dir": base_dir})
    app = build_app(settings, migrate_schema=False)
    failures = 0
    try:
        with app.database.connect() as connection:  # open the pool before the clock starts
            connection.execute(select(1))
        barrier.wait()
        started = time.perf_counter()
        for reference in references:
            evidence = VerifiedIdentity(
                method=VerificationMethod.QUALIFIED_SIGNATURE,
                verified_at=datetime.now(UTC),
                evidence_ref=f"bench:{reference}",
            )
            try:
                app.engine.handle(RecordIdentityEvidence(reference=reference, verified=evidence))
            except Exception:  # counted, not fatal: the figure must say how many failed
                failures += 1
        results.put((index, time.perf_counter() - started, failures))
    finally:
        app.close()


def _count_events(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(events)).scalar_one())


def count_in_progress(engine: Engine, references: list[str]) -> int:
    with engine.connect() as connection:
        total = 0
        for start in range(0, len(references), 5000):
            chunk = references[start : start + 5000]
            total += int(
                connection.execute(
                    select(func.count())
                    .select_from(requests)
                    .where(requests.c.reference.in_(chunk), requests.c.state == "in_progress")
                ).scalar_one()
            )
        return total


def run(database_url: str, engine: Engine, references: list[str], processes: int, base_dir: Path) -> TransitionResult:
    """Run ``len(references)`` transitions split over ``processes`` spawned processes."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes + 1)
    results = context.Queue()
    slices = [references[i::processes] for i in range(processes)]
    events_before = _count_events(engine)
    workers = [
        context.Process(
            target=_worker, args=(database_url, str(base_dir), part, barrier, results, i), name=f"bench-worker-{i}"
        )
        for i, part in enumerate(slices)
    ]
    for worker in workers:
        worker.start()
    barrier.wait(timeout=300)
    started = time.perf_counter()
    reports = [results.get(timeout=3600) for _ in workers]
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
    reports.sort()
    return TransitionResult(
        processes=processes,
        transitions=len(references),
        seconds=elapsed,
        failures=sum(r[2] for r in reports),
        per_process_seconds=tuple(round(r[1], 3) for r in reports),
        events_written=_count_events(engine) - events_before,
    )
