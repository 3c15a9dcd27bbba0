"""The audit log is several hash chains; each case stays in one, and every chain is checked."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from tests.conftest import FixedClock
from tests.integration.workflows.conftest import Desk
from workflows.adapters.audit import chain_of, verify_chain
from workflows.adapters.orm import events
from workflows.domain.rights import Right


def _open_many(desk: Desk, clock: FixedClock, count: int) -> list[str]:
    references = []
    for _ in range(count):
        references.append(desk.open([Right.ACCESS]))
        clock.advance(minutes=5)
    return references


def test_every_event_of_a_case_stays_in_its_chain(desk: Desk, clock: FixedClock) -> None:
    _open_many(desk, clock, 12)
    with desk.app.database.connect() as connection:
        rows = connection.execute(select(events.c.request_id, events.c.chain)).all()
    assert all(chain == chain_of(request_id) for request_id, chain in rows)
    assert len({chain for _, chain in rows}) > 1


def test_many_cases_across_chains_verify_intact(desk: Desk, clock: FixedClock) -> None:
    _open_many(desk, clock, 12)
    with desk.app.database.connect() as connection:
        report = verify_chain(connection)
    assert report.intact
    assert report.events_checked == len(desk.events())


def test_tampering_in_one_chain_names_only_that_event(desk: Desk, clock: FixedClock) -> None:
    _open_many(desk, clock, 12)
    with desk.app.database.begin() as connection:
        victim = connection.execute(select(events.c.seq).order_by(events.c.seq.desc()).limit(1)).scalar_one()
        connection.execute(update(events).where(events.c.seq == victim).values(actor="staff:mallory"))
    with desk.app.database.connect() as connection:
        report = verify_chain(connection)
    assert {p.seq for p in report.problems} == {victim}


def test_due_soon_is_not_crowded_out_by_many_overdue_requests(desk: Desk, clock: FixedClock) -> None:
    old = _open_many(desk, clock, 5)
    clock.advance(days=40)
    fresh = desk.open([Right.ACCESS])
    today = desk.app.engine.clock.now().date()
    due = desk.request_row(fresh).effective_due_on
    soon = desk.app.queries.due_soon(due - timedelta(days=3), days=7, limit=3)
    overdue = desk.app.queries.overdue(today, limit=3)
    assert [r.reference for r in soon] == [fresh]
    assert {r.reference for r in overdue} <= set(old)
