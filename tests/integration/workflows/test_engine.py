"""The engine end to end on a real database (SQLite, and PostgreSQL when configured).

Commands go in through ``Engine.handle``; what a test checks is what was committed:
request rows, outbox rows, the audit chain and the job queue.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from rightsdesk.bootstrap import App, build_app
from tests.conftest import FixedClock, make_settings
from tests.integration.workflows.conftest import (
    AGENT,
    APPROVER,
    IMPOSTOR,
    VERIFIED_CUSTOMER,
    Desk,
    qualified_signature,
)
from workflows.adapters.audit import verify_chain
from workflows.adapters.orm import actions, jobs, messages, requests, statistics
from workflows.domain.actions import ActionKind
from workflows.domain.deadlines import riga_date
from workflows.domain.errors import ExtensionNotAllowed, FourEyesViolation, IllegalTransition
from workflows.domain.events import EventType
from workflows.domain.identity import ClaimedIdentity
from workflows.domain.replies import ExtensionReason, RefusalReason
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer import commands as c

LATVIAN_LETTERS = set("āčēģīķļņšūžĀČĒĢĪĶĻŅŠŪŽ")
STAFF_ALERTS = "privacy-team@example.lv"


# -- opening ----------------------------------------------------------------------------------


def test_unsigned_access_request_awaits_identity(desk: Desk) -> None:
    reference = desk.open([Right.ACCESS])
    assert desk.state(reference) == "awaiting_identity"


def test_unsigned_access_request_queues_one_latvian_identity_reply(desk: Desk) -> None:
    reference = desk.open([Right.ACCESS])
    [reply] = desk.outbox()
    assert reply.kind == "identity_verification_needed"
    assert reply.recipient == VERIFIED_CUSTOMER.email
    assert reference in reply.subject
    assert LATVIAN_LETTERS & set(reply.text)


def test_a_chat_that_asks_for_identity_itself_gets_no_identity_letter_but_the_ask_is_logged(desk: Desk) -> None:
    # The bot shows Līga the verification routes at once (bot.conversation); a letter after it
    # would reach her chat once she had chosen a route, or even verified.
    reference = desk.app.engine.handle(
        c.OpenRequest(
            channel=Channel.TELEGRAM,
            rights=frozenset({Right.ACCESS}),
            language=Language.LV,
            claimed=ClaimedIdentity(chat_id="20000001"),
            received_at=desk.app.engine.clock.now(),
            identity_asked_in_conversation=True,
        )
    )
    assert desk.state(reference) == "awaiting_identity"
    assert desk.outbox() == []
    assert [e.type for e in desk.events(type_=EventType.IDENTITY_REQUESTED)] == ["IdentityRequested"]


def test_reply_is_committed_with_the_request_and_its_events(desk: Desk) -> None:
    reference = desk.open([Right.ACCESS])
    [reply] = desk.outbox()
    request_id = desk.request_row(reference).id
    assert reply.request_id == request_id
    assert [e.type for e in desk.events(type_=EventType.REPLY_QUEUED)] == ["ReplyQueued"]


def test_marketing_objection_by_email_is_in_progress_at_once(desk: Desk) -> None:
    # Tier 1 is never blocked: control of the e-mail address is enough (Art. 21(3)).
    reference = desk.open([Right.MARKETING_OBJECTION], claimed=IMPOSTOR)
    assert desk.state(reference) == "in_progress"
    assert desk.request_row(reference).verified_method == "channel_control"


def test_marketing_objection_is_acknowledged(desk: Desk) -> None:
    desk.open([Right.MARKETING_OBJECTION])
    assert [row.kind for row in desk.outbox()] == ["acknowledgement"]


def test_qualified_signature_moves_an_access_request_to_work(desk: Desk, clock: FixedClock) -> None:
    reference = desk.open([Right.ACCESS])
    desk.app.engine.handle(c.RecordIdentityEvidence(reference, qualified_signature(clock.now())))
    assert desk.state(reference) == "in_progress"


def test_references_have_the_public_form_and_increase(desk: Desk) -> None:
    first, second, third = (desk.open() for _ in range(3))
    assert (first, second, third) == ("DSR-2026-000001", "DSR-2026-000002", "DSR-2026-000003")


def test_incoming_message_is_kept_with_the_case(desk: Desk) -> None:
    reference = desk.open()
    with desk.app.database.connect() as connection:
        [incoming] = connection.execute(select(messages).where(messages.c.direction == "in")).all()
    assert incoming.request_id == desk.request_row(reference).id


# -- deadlines and refusals ---------------------------------------------------------------------


def _extend(app: App, reference: str) -> None:
    app.engine.handle(c.ExtendDeadline(reference, (ExtensionReason.COMPLEXITY,), "CCTV from 14 shops to review", AGENT))


def test_extension_moves_the_effective_due_date(desk: Desk) -> None:
    reference = desk.open_in_progress()
    first_due = desk.request_row(reference).due_on
    _extend(desk.app, reference)
    row = desk.request_row(reference)
    assert row.effective_due_on == row.extended_due_on
    assert row.effective_due_on > first_due


def test_extension_queues_the_notice_with_reasons(desk: Desk) -> None:
    reference = desk.open_in_progress()
    _extend(desk.app, reference)
    [notice] = desk.outbox(kind="deadline_extended")
    assert reference in notice.subject


def test_extension_after_the_due_date_is_refused(desk: Desk, clock: FixedClock) -> None:
    reference = desk.open_in_progress()
    clock.advance(days=40)
    with pytest.raises(ExtensionNotAllowed):
        _extend(desk.app, reference)


def test_refused_extension_changes_nothing(desk: Desk, clock: FixedClock) -> None:
    reference = desk.open_in_progress()
    clock.advance(days=40)
    before = desk.snapshot()
    with pytest.raises(ExtensionNotAllowed):
        _extend(desk.app, reference)
    assert desk.snapshot() == before


def test_refusal_queues_the_refusal_reply_and_closes_the_case(desk: Desk) -> None:
    reference = desk.open([Right.ACCESS], claimed=IMPOSTOR)
    desk.app.engine.handle(c.RefuseRequest(reference, (RefusalReason.IDENTITY_NOT_ESTABLISHED,), AGENT))
    assert desk.state(reference) == "refused"
    assert len(desk.outbox(kind="refusal")) == 1


def test_refusing_a_closed_request_changes_nothing(desk: Desk) -> None:
    reference = desk.open([Right.ACCESS], claimed=IMPOSTOR)
    desk.app.engine.handle(c.WithdrawRequest(reference))
    before = desk.snapshot()
    with pytest.raises(IllegalTransition):
        desk.app.engine.handle(c.RefuseRequest(reference, (RefusalReason.IDENTITY_NOT_ESTABLISHED,), AGENT))
    assert desk.snapshot() == before


# -- actions and four-eyes ----------------------------------------------------------------------


def _plan_erasure(desk: Desk) -> tuple[str, str]:
    reference = desk.open_in_progress([Right.ERASURE])
    action_id = desk.app.engine.handle(c.PlanAction(reference, ActionKind.ERASE, {"records": 12}, AGENT))
    return reference, str(action_id)


def _action_status(app: App, action_id: str) -> str:
    with app.database.connect() as connection:
        return str(connection.execute(select(actions.c.status).where(actions.c.id == action_id)).scalar_one())


def _jobs(app: App, kind: str) -> list[Any]:
    with app.database.connect() as connection:
        return list(connection.execute(select(jobs).where(jobs.c.kind == kind)).all())


def test_planned_erasure_waits_for_approval(desk: Desk) -> None:
    reference, action_id = _plan_erasure(desk)
    assert _action_status(desk.app, action_id) == "awaiting_approval"
    assert desk.state(reference) == "awaiting_approval"


def test_planner_cannot_approve_and_nothing_changes(desk: Desk) -> None:
    _reference, action_id = _plan_erasure(desk)
    before = desk.snapshot()
    with pytest.raises(FourEyesViolation):
        desk.app.engine.handle(c.ApproveAction(action_id, AGENT))
    assert desk.snapshot() == before
    assert _action_status(desk.app, action_id) == "awaiting_approval"
    assert _jobs(desk.app, "execute_action") == []


def test_approver_approves_and_execution_is_queued(desk: Desk) -> None:
    _reference, action_id = _plan_erasure(desk)
    desk.app.engine.handle(c.ApproveAction(action_id, APPROVER))
    assert _action_status(desk.app, action_id) == "approved"
    [job] = _jobs(desk.app, "execute_action")
    assert job.payload == {"action_id": action_id}


def test_approving_the_last_waiting_action_resumes_the_request(desk: Desk) -> None:
    reference, action_id = _plan_erasure(desk)
    desk.app.engine.handle(c.ApproveAction(action_id, APPROVER))
    assert desk.state(reference) == "in_progress"


def test_rejecting_the_last_waiting_action_resumes_the_request(desk: Desk) -> None:
    reference, action_id = _plan_erasure(desk)
    desk.app.engine.handle(c.RejectAction(action_id, APPROVER, "invoices are under accounting hold"))
    assert _action_status(desk.app, action_id) == "rejected"
    assert desk.state(reference) == "in_progress"


def test_marketing_stop_is_queued_for_execution_without_approval(desk: Desk) -> None:
    reference = desk.open([Right.MARKETING_OBJECTION])
    action_id = desk.app.engine.handle(c.PlanAction(reference, ActionKind.STOP_MARKETING, {}, "system"))
    assert _action_status(desk.app, str(action_id)) == "approved"
    assert len(_jobs(desk.app, "execute_action")) == 1
    assert desk.state(reference) == "in_progress"


# -- atomicity ----------------------------------------------------------------------------------


class _BrokenRenderer:
    """A template engine that fails, as a missing template would, after the request row is written."""

    def render(self, *_args: object, **_kwargs: object) -> Any:
        raise RuntimeError("template missing")


def test_failed_open_leaves_no_request_no_outbox_row_and_no_event(desk: Desk) -> None:
    broken = Desk(replace(desk.app, engine=replace(desk.app.engine, renderer=_BrokenRenderer())))
    with pytest.raises(RuntimeError):
        broken.open()
    assert desk.snapshot() == (0, 0, [])
    assert desk.count(messages) == 0


def test_failed_open_does_not_use_up_a_reference(desk: Desk) -> None:
    broken = Desk(replace(desk.app, engine=replace(desk.app.engine, renderer=_BrokenRenderer())))
    with pytest.raises(RuntimeError):
        broken.open()
    assert desk.open() == "DSR-2026-000001"


# -- deadline scans and the worker --------------------------------------------------------------


@pytest.fixture
def alerting_app(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[App]:
    built = build_app(make_settings(database_url, tmp_path, staff={"alert_email": STAFF_ALERTS}), clock=clock)
    yield built
    built.close()


def _scan_and_work(app: App, *, scans: int = 1) -> None:
    today = riga_date(app.engine.clock.now())
    for _ in range(scans):
        app.engine.handle(c.ScanDeadlines(today=today))
    worker = app.worker("worker-a")
    while worker.run_once():
        pass


def _walk_days(app: App, clock: FixedClock, days: int, *, scans: int = 1) -> None:
    for _ in range(days):
        _scan_and_work(app, scans=scans)
        clock.advance(days=1)


def test_reminders_at_14_and_3_days_are_sent_once_each(alerting_app: App, clock: FixedClock) -> None:
    desk = Desk(alerting_app)
    reference = desk.open_in_progress()
    due_on = desk.request_row(reference).due_on
    _walk_days(alerting_app, clock, (due_on - riga_date(clock.now())).days + 1, scans=2)
    reminders = desk.events(type_=EventType.DEADLINE_REMINDER_SENT)
    assert [e.data["days_left"] for e in reminders] == [14, 3]


def test_each_reminder_alerts_staff_by_email_once(alerting_app: App, clock: FixedClock) -> None:
    desk = Desk(alerting_app)
    reference = desk.open_in_progress()
    due_on = desk.request_row(reference).due_on
    _walk_days(alerting_app, clock, (due_on - riga_date(clock.now())).days + 1, scans=2)
    alerts = desk.outbox(kind="staff_deadline_reminder")
    assert len(alerts) == 2
    assert {a.recipient for a in alerts} == {STAFF_ALERTS}


def test_overdue_request_is_flagged_once(alerting_app: App, clock: FixedClock) -> None:
    desk = Desk(alerting_app)
    reference = desk.open_in_progress()
    due_on = desk.request_row(reference).due_on
    clock.advance(days=(due_on - riga_date(clock.now())).days + 1)
    _walk_days(alerting_app, clock, 4, scans=3)
    assert len(desk.events(type_=EventType.DEADLINE_MISSED)) == 1
    # Other reasons (e.g. "no data map") may stand beside it; the overdue one appears once.
    assert desk.request_row(reference).attention.split("; ").count(f"overdue since {due_on.isoformat()}") == 1


def test_closed_request_gets_no_reminder(alerting_app: App, clock: FixedClock) -> None:
    desk = Desk(alerting_app)
    reference = desk.open_in_progress()
    desk.app.engine.handle(c.CompleteRequest(reference, AGENT))
    _walk_days(alerting_app, clock, 40)
    assert desk.events(type_=EventType.DEADLINE_REMINDER_SENT) == []


# -- purging closed cases -----------------------------------------------------------------------


def _purge_after_retention(desk: Desk, clock: FixedClock) -> tuple[str, int]:
    reference = desk.open_in_progress()
    desk.app.engine.handle(c.CompleteRequest(reference, AGENT, note="data sent"))
    request_id = str(desk.request_row(reference).id)
    clock.advance(days=3 * 366 + 1)
    purged = desk.app.engine.handle(c.PurgeClosedCases(now=clock.now()))
    return request_id, int(purged)


def test_purge_deletes_the_case_after_its_retention(desk: Desk, clock: FixedClock) -> None:
    _request_id, purged = _purge_after_retention(desk, clock)
    assert purged == 1
    assert desk.count(requests) == 0
    assert desk.count(messages) == 0
    assert desk.outbox() == []


def test_purge_keeps_anonymous_statistics(desk: Desk, clock: FixedClock) -> None:
    _purge_after_retention(desk, clock)
    with desk.app.database.connect() as connection:
        [row] = connection.execute(select(statistics)).all()
    assert (row.right_asked, row.channel, row.outcome, row.cases) == ("access", "email", "completed", 1)


def test_purge_redacts_the_case_events_and_records_itself(desk: Desk, clock: FixedClock) -> None:
    request_id, _ = _purge_after_retention(desk, clock)
    case_events = [e for e in desk.events() if e.request_id == request_id]
    assert case_events
    assert all(e.redacted and e.data is None for e in case_events)
    [purge] = desk.events(type_=EventType.CASES_PURGED)
    assert purge.data["request_ids"] == [request_id]


def test_purge_leaves_the_audit_chain_intact(desk: Desk, clock: FixedClock) -> None:
    _purge_after_retention(desk, clock)
    with desk.app.database.connect() as connection:
        report = verify_chain(connection)
    assert report.intact, report.problems


def test_statistics_count_a_case_closed_after_riga_midnight_past_due_as_overdue(desk: Desk, clock: FixedClock) -> None:
    # 00:30 in Riga the day after the due date is still the due date in UTC.
    reference = desk.open_in_progress()
    due_on = desk.request_row(reference).due_on
    clock.current = datetime.combine(due_on + timedelta(days=1), time(0, 30), ZoneInfo("Europe/Riga"))
    desk.app.engine.handle(c.CompleteRequest(reference, AGENT))
    clock.advance(days=3 * 366 + 1)
    desk.app.engine.handle(c.PurgeClosedCases(now=clock.now()))
    with desk.app.database.connect() as connection:
        [row] = connection.execute(select(statistics)).all()
    assert row.overdue_cases == 1


def test_statistics_count_a_case_in_the_riga_month_it_closed(desk: Desk, clock: FixedClock) -> None:
    # 00:30 on 1 April in Riga is 31 March in UTC.
    reference = desk.open_in_progress()
    clock.current = datetime(2026, 4, 1, 0, 30, tzinfo=ZoneInfo("Europe/Riga"))
    desk.app.engine.handle(c.CompleteRequest(reference, AGENT))
    clock.advance(days=3 * 366 + 1)
    desk.app.engine.handle(c.PurgeClosedCases(now=clock.now()))
    with desk.app.database.connect() as connection:
        [row] = connection.execute(select(statistics)).all()
    assert row.month == "2026-04"


def test_purge_keeps_a_case_closed_within_its_retention(desk: Desk, clock: FixedClock) -> None:
    reference = desk.open_in_progress()
    desk.app.engine.handle(c.CompleteRequest(reference, AGENT))
    clock.advance(days=365)
    assert desk.app.engine.handle(c.PurgeClosedCases(now=clock.now())) == 0
    assert desk.state(reference) == "completed"


def test_purge_never_touches_an_open_case(desk: Desk, clock: FixedClock) -> None:
    reference = desk.open()
    clock.advance(days=4 * 366)
    assert desk.app.engine.handle(c.PurgeClosedCases(now=clock.now())) == 0
    assert desk.state(reference) == "awaiting_identity"


# -- read queries -------------------------------------------------------------------------------


def test_due_soon_lists_open_requests_within_the_window(desk: Desk, clock: FixedClock) -> None:
    reference = desk.open()
    due_on = desk.request_row(reference).due_on
    today = due_on - timedelta(days=5)
    assert [r.reference for r in desk.app.queries.due_soon(today, days=7)] == [reference]
    assert desk.app.queries.due_soon(due_on - timedelta(days=10), days=7) == []


def test_overdue_lists_open_requests_past_their_due_date(desk: Desk) -> None:
    reference = desk.open()
    due_on = desk.request_row(reference).due_on
    assert desk.app.queries.overdue(due_on) == []
    assert [r.reference for r in desk.app.queries.overdue(due_on + timedelta(days=1))] == [reference]


def test_overdue_leaves_out_closed_requests(desk: Desk) -> None:
    reference = desk.open()
    desk.app.engine.handle(c.WithdrawRequest(reference))
    due_on = desk.request_row(reference).due_on
    assert desk.app.queries.overdue(due_on + timedelta(days=1)) == []


@pytest.mark.parametrize("needle", ["dsr-2026-000002", "LIGA@example.lv", "kalniņa"])
def test_search_finds_a_request_by_reference_email_or_name(desk: Desk, needle: str) -> None:
    desk.open(claimed=ClaimedIdentity(name="Jānis Ozols", email="janis@example.lv"))
    reference = desk.open()
    assert [r.reference for r in desk.app.queries.search(text=needle)] == [reference]


def test_detail_shows_the_timeline_messages_and_actions(desk: Desk) -> None:
    reference = desk.open_in_progress([Right.ERASURE])
    desk.app.engine.handle(c.PlanAction(reference, ActionKind.ERASE, {"records": 12}, AGENT))
    detail = desk.app.queries.detail(reference)
    assert detail["request"]["reference"] == reference
    assert detail["events"][0]["type"] == "RequestReceived"
    assert {m["direction"] for m in detail["messages"]} == {"in", "out"}
    assert [a["kind"] for a in detail["actions"]] == ["erase"]
