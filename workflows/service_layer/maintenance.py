"""Periodic work: deadline reminders, overdue flags, and purging closed cases.

Each runs as a job (``jobs.ScanDeadlines``, ``DeadlineReminder``, ``DeadlineMissed``,
``Purge``); the composition root registers the handlers below.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

from workflows.domain.deadlines import add_months, riga_date
from workflows.domain.events import Event, EventType
from workflows.domain.messages import Direction, Message
from workflows.domain.profile import Period
from workflows.domain.replies import StaffReminderFacts
from workflows.domain.request import RightsRequest
from workflows.domain.rights import Channel
from workflows.service_layer import commands as c
from workflows.service_layer import jobs
from workflows.service_layer.ports import UnitOfWork
from workflows.service_layer.summaries import summarise

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine


def scan_deadlines(cmd: c.ScanDeadlines, engine: Engine) -> int:
    """Queue one reminder per threshold (default 14 and 3 days before the effective due
    date) and one overdue alert per request. "Without undue delay": a month is the
    ceiling, not the target (Art. 12(3)). Returns the number of jobs offered; the job
    queue's de-duplication keys make repeated scans harmless."""
    with engine.uow() as uow:
        offered = offer_deadline_jobs(uow, engine, cmd.today)
        uow.commit()
    return offered


def offer_deadline_jobs(uow: UnitOfWork, engine: Engine, today: date) -> int:
    """The scan inside the caller's unit of work (the worker runs it as a job)."""
    thresholds = sorted(engine.reminder_days)
    horizon = today + timedelta(days=max(thresholds, default=0))
    offered = 0
    for request_id, due_on in uow.requests.open_due_by(horizon):
        days_left = (due_on - today).days
        if days_left < 0:
            uow.jobs.enqueue(jobs.DeadlineMissed(request_id), dedupe_key=f"overdue:{request_id}:{due_on}")
        else:
            threshold = next(t for t in thresholds if days_left <= t)
            uow.jobs.enqueue(
                jobs.DeadlineReminder(request_id, days_left), dedupe_key=f"reminder:{request_id}:{due_on}:{threshold}"
            )
        offered += 1
    return offered


def run_deadline_scan(job: jobs.ScanDeadlines, uow: UnitOfWork, engine: Engine) -> None:
    """Job handler for ``scan_deadlines`` (offered hourly by every worker)."""
    offer_deadline_jobs(uow, engine, riga_date(engine.clock.now()))


def send_deadline_reminder(job: jobs.DeadlineReminder, uow: UnitOfWork, engine: Engine) -> None:
    """Job handler for ``deadline_reminder``."""
    request = uow.requests.get(job.request_id, for_update=True)
    if request.state.is_terminal:
        return
    now = engine.clock.now()
    request.note_deadline_reminder(job.days_left, at=now)
    _alert_staff(uow, engine, request)


def mark_deadline_missed(job: jobs.DeadlineMissed, uow: UnitOfWork, engine: Engine) -> None:
    """Job handler for ``deadline_missed``."""
    request = uow.requests.get(job.request_id, for_update=True)
    if request.state.is_terminal:
        return
    request.note_deadline_missed(at=engine.clock.now())
    _alert_staff(uow, engine, request)


def _alert_staff(uow: UnitOfWork, engine: Engine, request: RightsRequest) -> None:
    if engine.staff_alert_address is None:
        return  # the console's due-soon and overdue lists still show it
    days_left = request.deadline.days_left(riga_date(engine.clock.now()))
    facts = StaffReminderFacts(summarise(request), days_left, str(request.state))
    rendered = engine.renderer.render(facts.kind, engine.staff_language, facts, engine.profile)
    uow.queue_outgoing(
        Message(
            id=engine.new_id(),
            request_id=request.id,
            direction=Direction.OUT,
            channel=Channel.EMAIL,
            created_at=engine.clock.now(),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            counterpart=engine.staff_alert_address,
            kind="staff_deadline_reminder",
        ),
        engine.staff_alert_address,
    )


def retention_cutoff(now: datetime, retention: Period) -> datetime:
    """The moment before which a closed case has been kept long enough (Art. 5(1)(e))."""
    today = riga_date(now)
    start = add_months(today, -(retention.years * 12 + retention.months)) - timedelta(days=retention.days)
    return datetime.combine(start, time.min, tzinfo=UTC)


def purge_closed_cases(cmd: c.PurgeClosedCases, engine: Engine) -> int:
    """Purge case files closed before the retention cutoff, keeping anonymous statistics.

    Events of a purged case keep their place in the audit chain with the personal data
    erased; the purge itself is recorded as an event naming the (random) case ids.
    """
    purged = 0
    while True:
        with engine.uow() as uow:
            ids = purge_batch(uow, engine, cmd.now, cmd.batch_size)
            uow.commit()
        if not ids:
            return purged
        purged += len(ids)


PURGE_BATCH = 500


def run_purge(job: jobs.Purge, uow: UnitOfWork, engine: Engine) -> None:
    """Job handler for ``purge``: one batch per job (one transaction each); a full batch
    queues the next round of the same day."""
    now = engine.clock.now()
    purged = purge_batch(uow, engine, now, PURGE_BATCH)
    if len(purged) == PURGE_BATCH:
        following = jobs.Purge(round=job.round + 1)
        uow.jobs.enqueue(following, dedupe_key=f"purge:{riga_date(now).isoformat()}:{following.round}")


def purge_batch(uow: UnitOfWork, engine: Engine, now: datetime, batch_size: int) -> list[str]:
    """Purge one batch inside the caller's unit of work; returns the purged case ids."""
    cutoff = retention_cutoff(now, engine.profile.case_file_retention)
    ids = uow.cases.purge_closed_before(cutoff, limit=batch_size)
    if ids:
        uow.record(
            Event(
                EventType.CASES_PURGED,
                now,
                None,
                "system",
                {"count": len(ids), "request_ids": ids, "closed_before": cutoff.isoformat()},
            )
        )
    return ids
