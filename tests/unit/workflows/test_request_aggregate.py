"""Behaviours of the ``RightsRequest`` and ``Action`` aggregates, told with personas.

A verified customer (Līga, who signs with eParaksts), an impostor (who knows Līga's
personal code and nothing more), an agent (staff who plans the work) and an approver
(the second pair of eyes).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from workflows.domain.actions import Action, ActionKind, ActionStatus
from workflows.domain.calendar import HolidayCalendar, load_calendar
from workflows.domain.errors import ExtensionNotAllowed, FourEyesViolation, IllegalTransition
from workflows.domain.events import EventType
from workflows.domain.identity import ClaimedIdentity, IdentityTier, VerificationMethod, VerifiedIdentity
from workflows.domain.request import RightsRequest
from workflows.domain.rights import Channel, Language, Right
from workflows.domain.states import State

CUSTOMER = ClaimedIdentity(name="Līga Kalniņa", email="liga@example.lv", personal_code="32000000000")
IMPOSTOR = ClaimedIdentity(name="Līga Kalniņa", email="not-liga@example.com", personal_code="32000000000")
AGENT = "staff:agent"
APPROVER = "staff:approver"
TUESDAY_MORNING = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def latvia() -> HolidayCalendar:
    """The shipped calendar: a frozen value, so sharing it between tests leaks nothing."""
    return load_calendar()


def open_access_request(
    calendar: HolidayCalendar, *, claimed: ClaimedIdentity = CUSTOMER, received_at: datetime = TUESDAY_MORNING
) -> RightsRequest:
    return RightsRequest.open(
        request_id="case-1",
        reference="DSR-2026-000001",
        rights=[Right.ACCESS],
        channel=Channel.EMAIL,
        language=Language.LV,
        received_at=received_at,
        claimed=claimed,
        required_tier=IdentityTier.STRONG,
        calendar=calendar,
    )


def evidence(method: VerificationMethod, at: datetime = TUESDAY_MORNING) -> VerifiedIdentity:
    return VerifiedIdentity(method=method, verified_at=at, evidence_ref=f"evidence:{method}", email="liga@example.lv")


def plan(kind: ActionKind, *, requested_by: str | None = None) -> Action:
    return Action.plan(
        action_id="action-1",
        request_id="case-1",
        kind=kind,
        planned_by=AGENT,
        at=TUESDAY_MORNING,
        preview={"records": 3},
        requested_by=requested_by,
    )


# -- the clock (Art. 12(3); EDPB 01/2022 ¶159) -------------------------------------------------


def test_saturday_night_arrival_counts_that_saturday_in_riga(latvia: HolidayCalendar) -> None:
    # 23:30 in Riga (EET, UTC+2) on Saturday 7 March 2026: nobody reads it until Monday.
    saturday_night = datetime(2026, 3, 7, 21, 30, tzinfo=UTC)
    request = open_access_request(latvia, received_at=saturday_night)
    assert request.deadline.received_on == date(2026, 3, 7)
    assert request.deadline.received_on.weekday() == 5  # Saturday


def test_saturday_night_arrival_is_due_one_month_later(latvia: HolidayCalendar) -> None:
    # 7 April 2026 is the Tuesday after Easter Monday (6 April), a working day.
    request = open_access_request(latvia, received_at=datetime(2026, 3, 7, 21, 30, tzinfo=UTC))
    assert request.deadline.due_on == date(2026, 4, 7)


def test_arrival_after_riga_midnight_counts_the_next_riga_day(latvia: HolidayCalendar) -> None:
    # 22:30 UTC on Saturday is already 00:30 on Sunday in Riga.
    request = open_access_request(latvia, received_at=datetime(2026, 3, 7, 22, 30, tzinfo=UTC))
    assert request.deadline.received_on == date(2026, 3, 8)


def test_opening_records_the_receipt_with_its_due_date(latvia: HolidayCalendar) -> None:
    request = open_access_request(latvia)
    [received] = request.events
    assert received.type is EventType.REQUEST_RECEIVED
    assert received.occurred_at == TUESDAY_MORNING
    assert received.data["due_on"] == request.deadline.due_on.isoformat()
    assert request.state is State.RECEIVED


# -- identity in proportion (Art. 12(6); EDPB 01/2022 ¶¶58-81) ----------------------------------


def test_one_time_code_does_not_unlock_an_access_request(latvia: HolidayCalendar) -> None:
    request = open_access_request(latvia)
    request.ask_for_identity(at=TUESDAY_MORNING)
    request.record_identity(evidence(VerificationMethod.ONE_TIME_CODE), at=TUESDAY_MORNING)
    assert not request.identity_sufficient
    assert request.state is State.AWAITING_IDENTITY


def test_qualified_signature_unlocks_an_access_request(latvia: HolidayCalendar) -> None:
    request = open_access_request(latvia)
    request.ask_for_identity(at=TUESDAY_MORNING)
    request.record_identity(evidence(VerificationMethod.QUALIFIED_SIGNATURE), at=TUESDAY_MORNING)
    assert request.identity_sufficient
    assert request.state is State.IN_PROGRESS


def test_impostor_knowing_the_personal_code_cannot_start_work(latvia: HolidayCalendar) -> None:
    # A personal code is an identifier, never a secret (DVI v Tet, 2022).
    request = open_access_request(latvia, claimed=IMPOSTOR)
    with pytest.raises(IllegalTransition):
        request.start_work(at=TUESDAY_MORNING)
    assert request.state is State.RECEIVED


def test_weaker_evidence_later_does_not_replace_stronger_evidence(latvia: HolidayCalendar) -> None:
    request = open_access_request(latvia)
    request.record_identity(evidence(VerificationMethod.QUALIFIED_SIGNATURE), at=TUESDAY_MORNING)
    request.record_identity(evidence(VerificationMethod.ONE_TIME_CODE), at=TUESDAY_MORNING)
    assert request.verified is not None
    assert request.verified.method is VerificationMethod.QUALIFIED_SIGNATURE


# -- refusal and extension (Art. 12(3)-(5)) ------------------------------------------------------


@pytest.mark.parametrize("reasons", ["", "   "])
def test_refusal_without_written_reasons_is_refused(latvia: HolidayCalendar, reasons: str) -> None:
    request = open_access_request(latvia)
    with pytest.raises(IllegalTransition):
        request.refuse(at=TUESDAY_MORNING, reasons=reasons, actor=AGENT)
    assert request.state is State.RECEIVED
    assert request.closed_at is None


def test_refusal_with_reasons_closes_the_request(latvia: HolidayCalendar) -> None:
    request = open_access_request(latvia)
    request.refuse(at=TUESDAY_MORNING, reasons="identity_not_established", actor=AGENT)
    assert request.state is State.REFUSED
    assert request.closed_at == TUESDAY_MORNING
    assert request.outcome_note == "identity_not_established"


def test_extension_after_the_deadline_is_refused(latvia: HolidayCalendar) -> None:
    request = open_access_request(latvia)
    day_after_due = datetime.combine(request.deadline.due_on + timedelta(days=1), datetime.min.time(), UTC)
    with pytest.raises(ExtensionNotAllowed):
        request.extend_deadline(reasons="complexity", notice_sent_at=day_after_due, calendar=latvia, actor=AGENT)
    assert not request.deadline.is_extended
    assert all(e.type is not EventType.DEADLINE_EXTENDED for e in request.events)


def test_extension_before_the_deadline_moves_the_effective_due_date(latvia: HolidayCalendar) -> None:
    request = open_access_request(latvia)
    first_due = request.deadline.due_on
    request.extend_deadline(reasons="complexity", notice_sent_at=TUESDAY_MORNING, calendar=latvia, actor=AGENT)
    assert request.deadline.effective_due_on > first_due
    assert request.events[-1].type is EventType.DEADLINE_EXTENDED


# -- four-eyes on actions ---------------------------------------------------------------------


def test_agent_who_planned_an_erasure_cannot_approve_it() -> None:
    action = plan(ActionKind.ERASE)
    with pytest.raises(FourEyesViolation) as violation:
        action.approve(by=AGENT, at=TUESDAY_MORNING)
    assert violation.value.fields["user"] == AGENT
    assert action.status is ActionStatus.AWAITING_APPROVAL


def test_staff_member_who_requested_an_export_cannot_approve_it() -> None:
    counter_clerk = "staff:counter-clerk"
    action = plan(ActionKind.EXPORT, requested_by=counter_clerk)
    with pytest.raises(FourEyesViolation):
        action.approve(by=counter_clerk, at=TUESDAY_MORNING)
    assert action.status is ActionStatus.AWAITING_APPROVAL


def test_approver_who_is_a_second_person_can_approve() -> None:
    action = plan(ActionKind.ERASE)
    action.approve(by=APPROVER, at=TUESDAY_MORNING)
    assert action.status is ActionStatus.APPROVED
    assert action.decided_by == APPROVER


def test_rejection_needs_a_reason() -> None:
    action = plan(ActionKind.ERASE)
    with pytest.raises(IllegalTransition):
        action.reject(by=APPROVER, at=TUESDAY_MORNING, reason=" ")
    assert action.status is ActionStatus.AWAITING_APPROVAL


@pytest.mark.parametrize("kind", [ActionKind.STOP_MARKETING, ActionKind.WITHDRAW_CONSENT])
def test_marketing_objection_and_consent_withdrawal_need_no_approval(kind: ActionKind) -> None:
    # Art. 21(3) and 7(3): absolute, applied at once without a second person.
    action = plan(kind)
    assert action.status is ActionStatus.APPROVED


@pytest.mark.parametrize(
    "kind", [k for k in ActionKind if k not in (ActionKind.STOP_MARKETING, ActionKind.WITHDRAW_CONSENT)]
)
def test_disclosing_or_destroying_actions_wait_for_approval(kind: ActionKind) -> None:
    assert plan(kind).status is ActionStatus.AWAITING_APPROVAL
