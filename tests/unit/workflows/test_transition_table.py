"""Properties of the request life cycle: the transition table and the aggregate that obeys it.

Every state change goes through ``check_transition`` (workflows.domain.states); these
tests drive the table and the ``RightsRequest`` aggregate with random inputs and check
that nothing slips past it, that no case can get stuck, and that each change is recorded
exactly once in the audit trail (Art. 5(2) accountability).
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.domain.calendar import HolidayCalendar, load_calendar
from workflows.domain.deadlines import Deadline
from workflows.domain.errors import ExtensionNotAllowed, IllegalTransition
from workflows.domain.events import EventType
from workflows.domain.identity import ClaimedIdentity, IdentityTier, VerificationMethod, VerifiedIdentity
from workflows.domain.request import RightsRequest
from workflows.domain.rights import Channel, Language, Right
from workflows.domain.states import TERMINAL_STATES, TRANSITIONS, State, can_transition, check_transition

RECEIVED_AT = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)
STAFF = "staff:approver"

states = st.sampled_from(list(State))
tiers = st.sampled_from(list(IdentityTier))
methods = st.sampled_from(list(VerificationMethod))


@cache
def _calendar() -> HolidayCalendar:
    # A frozen value read once: sharing it between examples leaks no state.
    return load_calendar()


def _reachable_from(start: State) -> set[State]:
    seen, queue = {start}, deque([start])
    while queue:
        for following in TRANSITIONS[queue.popleft()]:
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return seen


def _request_in(state: State, *, required_tier: IdentityTier = IdentityTier.STRONG) -> RightsRequest:
    """A request of a verified customer placed directly in ``state`` (no events yet)."""
    received_on = RECEIVED_AT.date()
    return RightsRequest(
        id="case-1",
        reference="DSR-2026-000001",
        rights=frozenset({Right.ACCESS}),
        channel=Channel.EMAIL,
        language=Language.LV,
        state=state,
        received_at=RECEIVED_AT,
        deadline=Deadline.starting(received_on, _calendar()),
        claimed=ClaimedIdentity(name="Verified Customer", email="customer@example.lv"),
        required_tier=required_tier,
        verified=VerifiedIdentity(VerificationMethod.QUALIFIED_SIGNATURE, RECEIVED_AT, "report:1"),
    )


def _state_changes(request: RightsRequest) -> int:
    return sum(1 for event in request.events if event.type is EventType.STATE_CHANGED)


# One entry per aggregate method that asks for a state change, with the state it targets.
MOVES: dict[str, tuple[State, Callable[[RightsRequest, datetime], None]]] = {
    "ask_for_identity": (State.AWAITING_IDENTITY, lambda r, at: r.ask_for_identity(at=at)),
    "start_work": (State.IN_PROGRESS, lambda r, at: r.start_work(at=at)),
    "resume": (State.IN_PROGRESS, lambda r, at: r.resume(at=at)),
    "await_approval": (State.AWAITING_APPROVAL, lambda r, at: r.await_approval(at=at)),
    "complete": (State.COMPLETED, lambda r, at: r.complete(at=at, actor=STAFF)),
    "refuse": (State.REFUSED, lambda r, at: r.refuse(at=at, reasons="manifestly unfounded", actor=STAFF)),
    "withdraw": (State.WITHDRAWN, lambda r, at: r.withdraw(at=at)),
}


def _record_identity(method: VerificationMethod) -> Callable[[RightsRequest, datetime], None]:
    return lambda r, at: r.record_identity(VerifiedIdentity(method, at, f"evidence:{method}"), at=at)


def _extend(request: RightsRequest, at: datetime) -> None:
    request.extend_deadline(reasons="complexity", notice_sent_at=at, calendar=_calendar(), actor=STAFF)


operations = st.one_of(
    st.sampled_from(sorted(MOVES)).map(lambda name: (name, MOVES[name][1])),
    methods.map(lambda m: (f"record_identity:{m}", _record_identity(m))),
    st.just(("extend_deadline", _extend)),
    st.just(("record_verification_failure", lambda r, at: r.record_verification_failure("code_wrong", at=at))),
)


@given(current=states, target=states)
def test_check_transition_accepts_exactly_the_table(current: State, target: State) -> None:
    if target in TRANSITIONS[current]:
        check_transition(current, target)
    else:
        with pytest.raises(IllegalTransition) as refused:
            check_transition(current, target)
        assert refused.value.fields == {"current": str(current), "target": str(target)}


@given(state=states, move=st.sampled_from(sorted(MOVES)))
def test_aggregate_refuses_every_move_the_table_refuses_and_keeps_its_state(state: State, move: str) -> None:
    target, call = MOVES[move]
    request = _request_in(state)
    if can_transition(state, target):
        call(request, RECEIVED_AT)
        assert request.state is target
    else:
        with pytest.raises(IllegalTransition):
            call(request, RECEIVED_AT)
        assert request.state is state
        assert request.events == []


@given(
    tier=tiers,
    ops=st.lists(operations, min_size=1, max_size=25),
    gaps=st.lists(st.integers(min_value=0, max_value=72), min_size=25, max_size=25),
)
@settings(max_examples=200)
def test_random_call_sequences_never_take_an_illegal_transition(
    tier: IdentityTier, ops: list[tuple[str, Callable[[RightsRequest, datetime], None]]], gaps: list[int]
) -> None:
    request = RightsRequest.open(
        request_id="case-1",
        reference="DSR-2026-000001",
        rights=[Right.ACCESS],
        channel=Channel.EMAIL,
        language=Language.LV,
        received_at=RECEIVED_AT,
        claimed=ClaimedIdentity(email="customer@example.lv"),
        required_tier=tier,
        calendar=_calendar(),
    )
    at = RECEIVED_AT
    for (_name, call), gap in zip(ops, gaps, strict=False):
        at += timedelta(hours=gap)
        before_state, before_events = request.state, len(request.events)
        try:
            call(request, at)
        except (IllegalTransition, ExtensionNotAllowed):
            assert request.state is before_state
            assert len(request.events) == before_events
            continue
        assert request.state is before_state or can_transition(before_state, request.state)
        assert not before_state.is_terminal or request.state is before_state


@given(
    tier=tiers,
    ops=st.lists(operations, min_size=1, max_size=25),
)
def test_each_state_change_records_exactly_one_state_changed_event(
    tier: IdentityTier, ops: list[tuple[str, Callable[[RightsRequest, datetime], None]]]
) -> None:
    request = _request_in(State.RECEIVED, required_tier=tier)
    request.verified = None
    for _name, call in ops:
        before_state, before_changes = request.state, _state_changes(request)
        with contextlib.suppress(IllegalTransition, ExtensionNotAllowed):
            call(request, RECEIVED_AT)
        moved = request.state is not before_state
        assert _state_changes(request) - before_changes == (1 if moved else 0)
        if moved:
            last_change = next(e for e in reversed(request.events) if e.type is EventType.STATE_CHANGED)
            assert last_change.data["from"] == str(before_state)
            assert last_change.data["to"] == str(request.state)


@pytest.mark.parametrize("state", sorted(_reachable_from(State.RECEIVED)))
def test_every_reachable_state_can_still_reach_a_terminal_state(state: State) -> None:
    assert _reachable_from(state) & TERMINAL_STATES


def test_every_state_is_reachable_from_received() -> None:
    assert _reachable_from(State.RECEIVED) == set(State)


@pytest.mark.parametrize("state", sorted(TERMINAL_STATES))
def test_terminal_state_has_no_way_out(state: State) -> None:
    assert TRANSITIONS[state] == frozenset()
    assert state.is_terminal


@pytest.mark.parametrize("state", sorted(TERMINAL_STATES))
@pytest.mark.parametrize("move", sorted(MOVES))
def test_closed_request_refuses_every_move(state: State, move: str) -> None:
    request = _request_in(state)
    with pytest.raises(IllegalTransition):
        MOVES[move][1](request, RECEIVED_AT)
    assert request.state is state


def test_non_terminal_states_all_have_a_way_out() -> None:
    assert all(TRANSITIONS[state] for state in State if not state.is_terminal)


def test_table_covers_every_state() -> None:
    assert set(TRANSITIONS) == set(State)
