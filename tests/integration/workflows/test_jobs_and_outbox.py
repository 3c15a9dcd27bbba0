"""The durable job queue and the outbox, on SQLite and PostgreSQL.

Jobs: claimed with a lease, completed in the handler's own transaction, retried with
back-off, given up after their attempts, de-duplicated by key. The outbox: a row exists
only if the change that caused it committed; senders claim, send and retry.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from rightsdesk.bootstrap import App
from tests.conftest import FixedClock
from tests.integration.workflows.conftest import Desk
from workflows.adapters import job_queue
from workflows.adapters import outbox as outbox_queue
from workflows.adapters.job_queue import Job, LeaseLost
from workflows.adapters.orm import jobs, outbox
from workflows.domain.messages import Direction, Message
from workflows.domain.rights import Channel
from workflows.service_layer.jobs import JobRegistry, Purge
from workflows.service_layer.worker import Worker

KIND = "test_job"
LEASE = timedelta(minutes=1)


def _enqueue(app: App, clock: FixedClock, *, count: int = 1, **options: Any) -> None:
    with app.database.begin() as connection:
        for number in range(count):
            job_queue.enqueue(connection, KIND, {"n": number}, now=clock.now(), **options)


def _claim(app: App, worker: str, at: datetime, limit: int = 1) -> list[Job]:
    return job_queue.claim(app.database, worker, now=at, lease=LEASE, limit=limit)


def _job_row(app: App, job_id: int) -> Any:
    with app.database.connect() as connection:
        return connection.execute(select(jobs).where(jobs.c.id == job_id)).one()


def _complete(app: App, job: Job, worker: str, at: datetime) -> None:
    with app.database.begin() as connection:
        job_queue.complete(connection, job, worker, now=at)


# -- jobs ---------------------------------------------------------------------------------------


def test_claimed_job_is_leased_to_its_worker(app: App, clock: FixedClock) -> None:
    _enqueue(app, clock)
    [job] = _claim(app, "worker-a", clock.now())
    row = _job_row(app, job.id)
    assert (row.status, row.locked_by, row.attempts) == ("running", "worker-a", 1)


def test_leased_job_is_not_claimed_twice(app: App, clock: FixedClock) -> None:
    _enqueue(app, clock)
    _claim(app, "worker-a", clock.now())
    assert _claim(app, "worker-b", clock.now() + LEASE / 2) == []


def test_completed_job_is_done_and_never_claimed_again(app: App, clock: FixedClock) -> None:
    _enqueue(app, clock)
    [job] = _claim(app, "worker-a", clock.now())
    _complete(app, job, "worker-a", clock.now())
    assert _job_row(app, job.id).status == "done"
    assert _claim(app, "worker-b", clock.now() + 2 * LEASE) == []


def test_job_is_not_claimed_before_its_time(app: App, clock: FixedClock) -> None:
    _enqueue(app, clock, run_after=clock.now() + timedelta(hours=1))
    assert _claim(app, "worker-a", clock.now()) == []
    assert len(_claim(app, "worker-a", clock.now() + timedelta(hours=1))) == 1


def test_expired_lease_lets_another_worker_claim_the_job(app: App, clock: FixedClock) -> None:
    _enqueue(app, clock)
    [first] = _claim(app, "worker-a", clock.now())
    [second] = _claim(app, "worker-b", clock.now() + 2 * LEASE)
    assert second.id == first.id
    assert second.attempts == 2


def test_worker_whose_lease_expired_cannot_complete_and_its_changes_roll_back(
    desk: Desk, app: App, clock: FixedClock
) -> None:
    reference = desk.open()
    _enqueue(app, clock)
    [job] = _claim(app, "worker-a", clock.now())
    _claim(app, "worker-b", clock.now() + 2 * LEASE)
    events_before = len(desk.events())
    with app.engine.uow() as uow, pytest.raises(LeaseLost):
        request = uow.requests.get_by_reference(reference, for_update=True)
        request.flag_for_staff("slow worker was here", at=clock.now())
        uow.jobs.complete(job, "worker-a")
        uow.commit()
    assert desk.request_row(reference).attention is None
    assert len(desk.events()) == events_before
    assert _job_row(app, job.id).locked_by == "worker-b"


def test_failed_job_backs_off_before_the_next_attempt(app: App, clock: FixedClock) -> None:
    _enqueue(app, clock)
    [job] = _claim(app, "worker-a", clock.now())
    dead = job_queue.fail(app.database, job, "worker-a", now=clock.now(), error="timeout", permanent=False)
    assert not dead
    assert _claim(app, "worker-a", clock.now() + timedelta(seconds=9)) == []
    assert len(_claim(app, "worker-a", clock.now() + timedelta(seconds=10))) == 1


def test_back_off_doubles_and_is_capped() -> None:
    assert [job_queue.backoff(n).total_seconds() for n in (1, 2, 3)] == [10, 20, 40]
    assert job_queue.backoff(30) == timedelta(hours=1)


def test_job_goes_dead_after_its_last_attempt(app: App, clock: FixedClock) -> None:
    _enqueue(app, clock, max_attempts=3)
    at, outcomes = clock.now(), []
    for _ in range(3):
        [job] = _claim(app, "worker-a", at)
        outcomes.append(job_queue.fail(app.database, job, "worker-a", now=at, error="timeout", permanent=False))
        at += timedelta(hours=2)
    assert outcomes == [False, False, True]
    row = _job_row(app, job.id)
    assert (row.status, row.last_error) == ("dead", "timeout")
    assert _claim(app, "worker-a", at) == []


def test_permanent_failure_goes_dead_at_once(app: App, clock: FixedClock) -> None:
    _enqueue(app, clock)
    [job] = _claim(app, "worker-a", clock.now())
    assert job_queue.fail(app.database, job, "worker-a", now=clock.now(), error="bad payload", permanent=True)
    assert _job_row(app, job.id).status == "dead"


def test_worker_gives_up_a_job_nobody_can_handle(app: App, clock: FixedClock) -> None:
    _enqueue(app, clock)
    worker = app.worker("worker-a")
    assert worker.run_once() == 1
    assert (worker.processed, worker.failed) == (0, 1)
    with app.database.connect() as connection:
        assert connection.execute(select(jobs.c.status)).scalar_one() == "dead"


def test_worker_completes_a_job_with_its_handler(app: App, clock: FixedClock) -> None:
    with app.engine.uow() as uow:
        uow.jobs.enqueue(Purge(round=3))
        uow.commit()
    seen: list[Purge] = []
    registry = JobRegistry()
    registry.register(Purge, lambda job, _uow, _engine: seen.append(job))
    worker = Worker(app.engine, job_queue.SqlJobSource(app.database), "worker-a", registry=registry)
    worker.run_once()
    assert seen == [Purge(round=3)]
    with app.database.connect() as connection:
        assert connection.execute(select(jobs.c.status)).scalar_one() == "done"


def test_repeated_dedupe_key_queues_one_job(app: App, clock: FixedClock) -> None:
    _enqueue(app, clock, count=3, dedupe_key="reminder:case-1:14")
    with app.database.connect() as connection:
        assert connection.execute(select(jobs.c.payload)).scalars().all() == [{"n": 0}]


def test_dedupe_key_still_holds_after_the_job_is_done(app: App, clock: FixedClock) -> None:
    _enqueue(app, clock, dedupe_key="reminder:case-1:14")
    [job] = _claim(app, "worker-a", clock.now())
    _complete(app, job, "worker-a", clock.now())
    _enqueue(app, clock, dedupe_key="reminder:case-1:14")
    assert _claim(app, "worker-a", clock.now() + timedelta(days=1)) == []


# -- outbox -------------------------------------------------------------------------------------


def _message(clock: FixedClock, number: int = 1) -> Message:
    return Message(
        id=f"message-{number}",
        request_id=None,
        direction=Direction.OUT,
        channel=Channel.EMAIL,
        created_at=clock.now(),
        subject="Jūsu pieprasījums",
        text="Labdien!",
        kind="acknowledgement",
    )


def _queue(app: App, clock: FixedClock, *, commit: bool, number: int = 1) -> None:
    with app.engine.uow() as uow:
        uow.queue_outgoing(_message(clock, number), "liga@example.lv")
        if commit:
            uow.commit()


def _outbox_rows(app: App) -> list[Any]:
    with app.database.connect() as connection:
        return list(connection.execute(select(outbox)).all())


def test_outbox_row_is_written_when_the_transaction_commits(app: App, clock: FixedClock) -> None:
    _queue(app, clock, commit=True)
    [row] = _outbox_rows(app)
    assert (row.status, row.recipient, row.message_id) == ("pending", "liga@example.lv", "message-1")


def test_outbox_row_is_not_written_when_the_transaction_rolls_back(app: App, clock: FixedClock) -> None:
    _queue(app, clock, commit=False)
    assert _outbox_rows(app) == []


def _claim_mail(app: App, sender: str, at: datetime) -> list[outbox_queue.OutboxItem]:
    return outbox_queue.claim(app.database, "email", sender, now=at, lease=LEASE)


def test_claimed_message_is_not_claimed_by_another_sender(app: App, clock: FixedClock) -> None:
    _queue(app, clock, commit=True)
    assert len(_claim_mail(app, "sender-a", clock.now())) == 1
    assert _claim_mail(app, "sender-b", clock.now()) == []


def test_claim_of_a_sender_that_died_expires(app: App, clock: FixedClock) -> None:
    _queue(app, clock, commit=True)
    [first] = _claim_mail(app, "sender-a", clock.now())
    [again] = _claim_mail(app, "sender-b", clock.now() + 2 * LEASE)
    assert (again.message_id, again.attempts) == (first.message_id, 2)


def test_sent_message_is_not_sent_again(app: App, clock: FixedClock) -> None:
    _queue(app, clock, commit=True)
    [item] = _claim_mail(app, "sender-a", clock.now())
    outbox_queue.mark_sent(app.database, item, now=clock.now())
    assert _outbox_rows(app)[0].status == "sent"
    assert _claim_mail(app, "sender-b", clock.now() + timedelta(days=1)) == []


def test_failed_message_is_retried_after_back_off(app: App, clock: FixedClock) -> None:
    _queue(app, clock, commit=True)
    [item] = _claim_mail(app, "sender-a", clock.now())
    dead = outbox_queue.mark_failed(app.database, item, now=clock.now(), error="451 try later", permanent=False)
    assert not dead
    assert _claim_mail(app, "sender-a", clock.now() + timedelta(seconds=29)) == []
    [retry] = _claim_mail(app, "sender-a", clock.now() + timedelta(seconds=30))
    assert retry.attempts == 2


def test_permanently_failed_message_is_given_up(app: App, clock: FixedClock) -> None:
    _queue(app, clock, commit=True)
    [item] = _claim_mail(app, "sender-a", clock.now())
    assert outbox_queue.mark_failed(app.database, item, now=clock.now(), error="550 no such user", permanent=True)
    assert _outbox_rows(app)[0].status == "dead"
    assert _claim_mail(app, "sender-a", clock.now() + timedelta(days=1)) == []


def test_message_is_given_up_after_its_last_attempt(app: App, clock: FixedClock) -> None:
    _queue(app, clock, commit=True)
    at, outcomes = clock.now(), []
    for _ in range(3):
        [item] = _claim_mail(app, "sender-a", at)
        outcomes.append(
            outbox_queue.mark_failed(app.database, item, now=at, error="timeout", permanent=False, max_attempts=3)
        )
        at += timedelta(hours=2)
    assert outcomes == [False, False, True]


# -- two worker processes on PostgreSQL ---------------------------------------------------------

_WORKER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, datetime
    from pathlib import Path
    from sqlalchemy import text
    from workflows.adapters import job_queue
    from workflows.adapters.database import make_engine

    url, worker, folder = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    engine = make_engine(url)
    with engine.connect() as connection:  # connect before the start signal
        connection.execute(text("SELECT 1"))
    (folder / f"ready-{worker}").touch()
    deadline = time.monotonic() + 30
    while not (folder / "go").exists():
        if time.monotonic() > deadline:
            sys.exit("no start signal")
        time.sleep(0.01)
    done = 0
    while True:
        claimed = job_queue.claim(engine, worker, now=datetime.now(UTC), limit=1, kinds=["race"])
        if not claimed:
            break
        for job in claimed:
            with engine.begin() as connection:
                connection.execute(
                    text("INSERT INTO race_done (job_id, worker) VALUES (:job, :worker)"),
                    {"job": job.id, "worker": worker},
                )
                job_queue.complete(connection, job, worker, now=datetime.now(UTC))
            done += 1
    engine.dispose()
    print(done)
    """
)


@pytest.fixture
def race_app(postgres_url: str, tmp_path: Path, clock: FixedClock) -> Any:
    from rightsdesk.bootstrap import build_app
    from tests.conftest import make_settings

    built = build_app(make_settings(postgres_url, tmp_path), clock=clock)
    yield built
    built.close()


def _start_workers(url: str, folder: Path, names: list[str]) -> list[subprocess.Popen[str]]:
    script = folder / "race_worker.py"
    script.write_text(_WORKER_SCRIPT, encoding="utf-8")
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}
    processes = [
        subprocess.Popen(
            [sys.executable, str(script), url, name, str(folder)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for name in names
    ]
    deadline = time.monotonic() + 30
    while not all((folder / f"ready-{name}").exists() for name in names):
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            break
        time.sleep(0.02)
    (folder / "go").touch()
    return processes


@pytest.mark.postgres
def test_two_worker_processes_never_claim_the_same_job(
    race_app: App, postgres_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    with race_app.database.begin() as connection:
        connection.execute(text("CREATE TABLE race_done (job_id BIGINT NOT NULL UNIQUE, worker TEXT NOT NULL)"))
        for number in range(400):
            job_queue.enqueue(connection, "race", {"n": number}, now=clock.now())
    processes = _start_workers(postgres_url, tmp_path, ["worker-a", "worker-b"])
    outputs = [p.communicate(timeout=120) for p in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err[-2000:]
    with race_app.database.connect() as connection:
        done = connection.execute(text("SELECT job_id, worker FROM race_done")).all()
        statuses = connection.execute(select(jobs.c.status).where(jobs.c.kind == "race")).scalars().all()
    assert len(done) == 400
    assert set(statuses) == {"done"}
    per_worker = {name: sum(1 for _, w in done if w == name) for name in ("worker-a", "worker-b")}
    assert all(count > 0 for count in per_worker.values()), per_worker
