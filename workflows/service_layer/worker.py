"""The worker: claims jobs and runs their handlers, each in one unit of work.

A handler's changes and the job's completion commit together; a failure is recorded
with back-off and, once permanent or out of attempts, left for staff to see. Periodic
jobs (deadline scan, purge) are offered with de-duplication keys per time slot, so any
number of workers can run the same schedule without doing the work twice. Which handler
runs which kind is the :class:`~workflows.service_layer.jobs.JobRegistry` the composition
root fills.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from workflows.domain.deadlines import riga_date
from workflows.domain.errors import WorkflowError
from workflows.service_layer.jobs import JobRegistry, Purge, ScanDeadlines
from workflows.service_layer.ports import ClaimedJob, JobSource

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine

log = logging.getLogger(__name__)


@dataclass
class Worker:
    engine: Engine
    jobs: JobSource
    worker_id: str
    registry: JobRegistry
    """The handler of each job kind (filled by ``rightsdesk.bootstrap.App.job_registry``)."""
    batch: int = 10
    processed: int = 0
    failed: int = 0
    last_beat: datetime | None = None

    def offer_periodic_jobs(self) -> None:
        """Hourly deadline scan, daily purge (slots keyed by the Riga date and hour)."""
        now = self.engine.clock.now()
        with self.engine.uow() as uow:
            uow.jobs.enqueue(ScanDeadlines(), dedupe_key=f"scan_deadlines:{now:%Y-%m-%dT%H}")
            uow.jobs.enqueue(Purge(), dedupe_key=f"purge:{riga_date(now).isoformat()}")
            uow.commit()

    def run_once(self) -> int:
        """Claim and run one batch; returns how many jobs were taken."""
        now = self.engine.clock.now()
        self.last_beat = now
        claimed = self.jobs.claim(self.worker_id, now=now, limit=self.batch)
        for job in claimed:
            self._run(job)
        return len(claimed)

    def _run(self, job: ClaimedJob) -> None:
        try:
            with self.engine.uow() as uow:
                # An unknown kind or a payload that does not fit fails permanently (jobs.py).
                self.registry.run(job.kind, job.payload, uow, self.engine)
                uow.jobs.complete(job, self.worker_id)
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
