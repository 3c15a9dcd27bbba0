"""The life of a rights request as an explicit transition table.

Every change of state goes through :func:`check_transition`; nothing else may set a
state. The table is data so that a reviewer (and the property tests) can read it whole.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from workflows.domain.errors import IllegalTransition


class State(StrEnum):
    RECEIVED = "received"
    """Registered; the Art. 12(3) clock runs from receipt."""
    AWAITING_IDENTITY = "awaiting_identity"
    """Asked for proportionate verification (Art. 12(6)); the clock still runs."""
    IN_PROGRESS = "in_progress"
    """Identity sufficient for what is asked; work is being planned or done."""
    AWAITING_APPROVAL = "awaiting_approval"
    """An action that discloses or destroys data waits for a staff approver (four-eyes)."""
    COMPLETED = "completed"
    """Answered in full (possibly with a partial refusal stated in the reply)."""
    REFUSED = "refused"
    """Refused with reasons, the right to complain and to a judicial remedy (Art. 12(4))."""
    WITHDRAWN = "withdrawn"
    """The person withdrew the request."""

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATES


TERMINAL_STATES: frozenset[State] = frozenset({State.COMPLETED, State.REFUSED, State.WITHDRAWN})

_CLOSE = frozenset({State.COMPLETED, State.REFUSED, State.WITHDRAWN})

TRANSITIONS: Mapping[State, frozenset[State]] = {
    State.RECEIVED: frozenset({State.AWAITING_IDENTITY, State.IN_PROGRESS}) | _CLOSE,
    # Identity may never arrive: staff refuse (Art. 12(2) second sentence, 11(2)) or the person withdraws.
    State.AWAITING_IDENTITY: frozenset({State.IN_PROGRESS, State.REFUSED, State.WITHDRAWN}),
    # Work may reveal that a stronger identity tier is needed (e.g. access to purchase history).
    State.IN_PROGRESS: frozenset({State.AWAITING_IDENTITY, State.AWAITING_APPROVAL}) | _CLOSE,
    State.AWAITING_APPROVAL: frozenset({State.IN_PROGRESS}) | _CLOSE,
    State.COMPLETED: frozenset(),
    State.REFUSED: frozenset(),
    State.WITHDRAWN: frozenset(),
}


def can_transition(current: State, target: State) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: State, target: State) -> None:
    """Raise :class:`IllegalTransition` unless the table allows ``current -> target``."""
    if not can_transition(current, target):
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (the request is closed)"
        raise IllegalTransition(
            f"a request in state {current} cannot move to {target}; allowed: {allowed}",
            current=str(current),
            target=str(target),
        )
