"""The worker: claims jobs and runs their handlers, each in one unit of work.

A handler's changes and the job's completion commit together; a failure is recorded
with back-off and, once permanent or out of attempts, left for staff to see. Periodic
jobs (deadline scan, purge) are offered with de-duplication keys per time slot, so any
number of workers can run the same schedule without doing the work twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from workflows.domain.deadlines import riga_date
from workflows.domain.errors import WorkflowError
from workflows.service_layer import maintenance

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine

log = logging.getLogger(__name__)


class ClaimedJob(Protocol):
    id: int
    kind: str
    payload: Mapping[str, Any]
    attempts: int


class JobSource(Protocol):
    def claim(self, worker_id: str, *, now: datetime, limit: int) -> list[Any]: ...
    def fail(self, job: Any, worker_id: str, *, now: datetime, error: str, permanent: bool) -> bool: ...


JobHandler = Callable[[Mapping[str, Any], Any, "Engine"], None]


PURGE_BATCH = 500


def _scan_deadlines(payload: Mapping[str, Any], uow: Any, engine: Engine) -> None:
    maintenance.offer_deadline_jobs(uow, engine, riga_date(engine.clock.now()))


def _purge(payload: Mapping[str, Any], uow: Any, engine: Engine) -> None:
    """One batch per job (one transaction each); a full batch queues the next one."""
    now = engine.clock.now()
    purged = maintenance.purge_batch(uow, engine, now, PURGE_BATCH)
    if len(purged) == PURGE_BATCH:
        round_ = int(payload.get("round", 0)) + 1
        uow.enqueue_job("purge", {"round": round_}, dedupe_key=f"purge:{riga_date(now).isoformat()}:{round_}")


DEFAULT_JOB_HANDLERS: dict[str, JobHandler] = {
    "scan_deadlines": _scan_deadlines,
    "purge": _purge,
    "deadline_reminder": maintenance.send_deadline_reminder,
    "deadline_missed": maintenance.mark_deadline_missed,
}


@dataclass
class Worker:
    engine: Engine
    jobs: JobSource
    worker_id: str
    handlers: dict[str, JobHandler] = field(default_factory=lambda: dict(DEFAULT_JOB_HANDLERS))
    batch: int = 10
    processed: int = 0
    failed: int = 0
    last_beat: datetime | None = None

    def offer_periodic_jobs(self) -> None:
        """Hourly deadline scan, daily purge (slots keyed by the Riga date and hour)."""
        now = self.engine.clock.now()
        with self.engine.uow() as uow:
            uow.enqueue_job("scan_deadlines", {}, dedupe_key=f"scan_deadlines:{now:%Y-%m-%dT%H}")
            uow.enqueue_job("purge", {}, dedupe_key=f"purge:{riga_date(now).isoformat()}")
            uow.commit()

    def run_once(self) -> int:
        """Claim and run one batch; returns how many jobs were taken."""
        now = self.engine.clock.now()
        self.last_beat = now
        claimed = self.jobs.claim(self.worker_id, now=now, limit=self.batch)
        for job in claimed:
            self._run(job)
        return len(claimed)

    def _run(self, job: Any) -> None:
        handler = self.handlers.get(job.kind)
        try:
            if handler is None:
                raise WorkflowError(f"no handler for job kind {job.kind!r}", kind=job.kind)
            with self.engine.uow() as uow:
                handler(job.payload, uow, self.engine)
                uow.complete_job(job, self.worker_id)
                uow.commit()
            self.processed += 1
        except Exception as error:  # a job must never stop the worker
            permanent = isinstance(error, WorkflowError) and error.permanent
            self.failed += 1
            dead = self.jobs.fail(
                job, self.worker_id, now=self.engine.clock.now(), error=_describe(error), permanent=permanent
            )
            log.warning("job %s (%s) failed%s: %s", job.id, job.kind, " for good" if dead else "", type(error).__name__)

    def run_forever(self, stop: threading.Event, *, idle_seconds: float = 1.0, periodic_seconds: float = 60) -> None:
        next_periodic = 0.0
        while not stop.is_set():
            if time.monotonic() >= next_periodic:
                try:
                    self.offer_periodic_jobs()
                except Exception:  # a database hiccup must not end the loop
                    log.exception("could not offer periodic jobs")
                next_periodic = time.monotonic() + periodic_seconds
            try:
                taken = self.run_once()
            except Exception:
                log.exception("worker loop error; retrying")
                taken = 0
            if taken == 0:
                stop.wait(idle_seconds)


def _describe(error: BaseException) -> str:
    # Type and message only: messages of our own errors carry no personal data.
    return f"{type(error).__name__}: {error}"
