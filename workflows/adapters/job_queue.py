"""A durable job queue in the project database, shared by any number of workers.

A job is *claimed* in a short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL;
SQLite has one writer at a time) that gives the worker a lease. The handler's changes
and the job's completion commit together, and completion only succeeds while the
lease is still this worker's: if a lease expired and another worker took the job,
the first worker's commit fails and is rolled back, so a job's effects happen once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Engine, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from workflows.adapters.orm import jobs
from workflows.domain.errors import WorkflowError
from workflows.service_layer.jobs import JobPayload
from workflows.service_layer.ports import ClaimedJob


class LeaseLost(WorkflowError):
    """The job's lease ran out and another worker may have it; this run is discarded."""

    permanent = False


class JobStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    payload: Mapping[str, object]
    attempts: int
    max_attempts: int


# Built once, values as parameters: the compiled statement is reused.
_ENQUEUE = {
    "postgresql": postgresql.insert(jobs).on_conflict_do_nothing(),
    "sqlite": sqlite.insert(jobs).on_conflict_do_nothing(),
}
_ENQUEUE_OTHER = jobs.insert().prefix_with("IGNORE")


def enqueue(
    connection: Connection,
    kind: str,
    payload: Mapping[str, object],
    *,
    now: datetime,
    run_after: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int = 8,
) -> None:
    """Queue a job in the caller's transaction; a repeated ``dedupe_key`` is ignored.

    The raw row writer: the service layer queues typed payloads through :class:`SqlJobQueue`."""
    values = {
        "kind": kind,
        "payload": dict(payload),
        "status": JobStatus.QUEUED,
        "run_after": run_after or now,
        "attempts": 0,
        "max_attempts": max_attempts,
        "dedupe_key": dedupe_key,
        "created_at": now,
    }
    connection.execute(_ENQUEUE.get(connection.dialect.name, _ENQUEUE_OTHER), values)


def _claimable(now: datetime, kinds: Sequence[str] | None) -> ColumnElement[bool]:
    ready = or_(
        and_(jobs.c.status == JobStatus.QUEUED, jobs.c.run_after <= now),
        and_(jobs.c.status == JobStatus.RUNNING, jobs.c.locked_until < now),
    )
    return and_(ready, jobs.c.kind.in_(kinds)) if kinds else ready


def claim(
    engine: Engine,
    worker_id: str,
    *,
    now: datetime,
    lease: timedelta = timedelta(minutes=5),
    limit: int = 1,
    kinds: Sequence[str] | None = None,
) -> list[Job]:
    """Take up to ``limit`` ready jobs (or jobs whose lease expired) for ``worker_id``."""
    with engine.begin() as connection:
        query = (
            select(jobs.c.id, jobs.c.kind, jobs.c.payload, jobs.c.attempts, jobs.c.max_attempts)
            .where(_claimable(now, kinds))
            .order_by(jobs.c.run_after, jobs.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = connection.execute(query).all()
        if not rows:
            return []
        connection.execute(
            update(jobs)
            .where(jobs.c.id.in_([r.id for r in rows]))
            .values(
                status=JobStatus.RUNNING,
                locked_by=worker_id,
                locked_until=now + lease,
                attempts=jobs.c.attempts + 1,
            )
        )
    return [Job(r.id, r.kind, dict(r.payload), r.attempts + 1, r.max_attempts) for r in rows]


def complete(connection: Connection, job: ClaimedJob, worker_id: str, *, now: datetime) -> None:
    """Mark done in the handler's own transaction; raises :class:`LeaseLost` if no longer ours."""
    result = connection.execute(
        update(jobs)
        .where(jobs.c.id == job.id, jobs.c.locked_by == worker_id, jobs.c.status == JobStatus.RUNNING)
        .values(status=JobStatus.DONE, finished_at=now, locked_until=None, last_error=None)
    )
    if result.rowcount != 1:
        raise LeaseLost(f"job {job.id} ({job.kind}) is no longer held by {worker_id}", job=job.id)


def backoff(attempts: int, *, base_seconds: float = 10, cap_seconds: float = 3600) -> timedelta:
    """Exponential back-off: 10 s, 20 s, 40 s … at most an hour."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def fail(engine: Engine, job: ClaimedJob, worker_id: str, *, now: datetime, error: str, permanent: bool) -> bool:
    """Record a failure; returns True when the job is given up (dead) for staff to see."""
    dead = permanent or job.attempts >= job.max_attempts
    with engine.begin() as connection:
        connection.execute(
            update(jobs)
            .where(jobs.c.id == job.id, jobs.c.locked_by == worker_id)
            .values(
                status=JobStatus.DEAD if dead else JobStatus.QUEUED,
                run_after=now + backoff(job.attempts),
                locked_by=None,
                locked_until=None,
                last_error=error[:2000],
                finished_at=now if dead else None,
            )
        )
    return dead


class SqlJobQueue:
    """The job queue inside one unit of work (the ``JobQueue`` port): typed payloads in,
    rows in the unit of work's transaction."""

    def __init__(self, connection: Connection, now: Callable[[], datetime]) -> None:
        self._connection = connection
        self._now = now

    def enqueue(self, job: JobPayload, *, dedupe_key: str | None = None, run_after: datetime | None = None) -> None:
        enqueue(self._connection, job.kind, job.to_json(), now=self._now(), run_after=run_after, dedupe_key=dedupe_key)

    def complete(self, job: ClaimedJob, worker_id: str) -> None:
        complete(self._connection, job, worker_id, now=self._now())


class SqlJobSource:
    """The job queue as the worker sees it."""

    def __init__(self, engine: Engine, *, lease: timedelta = timedelta(minutes=5)) -> None:
        self._engine = engine
        self._lease = lease

    def claim(self, worker_id: str, *, now: datetime, limit: int) -> list[Job]:
        return claim(self._engine, worker_id, now=now, lease=self._lease, limit=limit)

    def fail(self, job: ClaimedJob, worker_id: str, *, now: datetime, error: str, permanent: bool) -> bool:
        return fail(self._engine, job, worker_id, now=now, error=error, permanent=permanent)
