"""Actions carried out in the controller's systems, and the approval queue.

Actions that disclose or destroy data wait for a staff approver; the person who
planned or requested an action can never approve it (four-eyes). Marketing
objections and consent withdrawals apply at once (Art. 21(3), Art. 7(3)).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from workflows.domain.errors import FourEyesViolation, IllegalTransition
from workflows.domain.events import Event, EventType


class ActionKind(StrEnum):
    EXPORT = "export"
    """Art. 15(3): a copy of the personal data."""
    PORTABLE_EXPORT = "portable_export"
    """Art. 20: the data the person provided, machine-readable."""
    RECTIFY = "rectify"
    ERASE = "erase"
    RESTRICT = "restrict"
    STOP_MARKETING = "stop_marketing"
    WITHDRAW_CONSENT = "withdraw_consent"
    NOTIFY_RECIPIENTS = "notify_recipients"
    """Art. 19: tell each recipient about a rectification, erasure or restriction."""

    @property
    def needs_approval(self) -> bool:
        """Disclosing or destroying data needs a second person; opt-outs never wait."""
        return self not in (ActionKind.STOP_MARKETING, ActionKind.WITHDRAW_CONSENT)


class ActionStatus(StrEnum):
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    DONE = "done"
    FAILED = "failed"


_ACTION_TRANSITIONS: Mapping[ActionStatus, frozenset[ActionStatus]] = {
    ActionStatus.AWAITING_APPROVAL: frozenset({ActionStatus.APPROVED, ActionStatus.REJECTED}),
    ActionStatus.APPROVED: frozenset({ActionStatus.DONE, ActionStatus.FAILED}),
    ActionStatus.FAILED: frozenset({ActionStatus.APPROVED}),
    ActionStatus.REJECTED: frozenset(),
    ActionStatus.DONE: frozenset(),
}


@dataclass(eq=False)
class Action:
    id: str
    request_id: str
    kind: ActionKind
    status: ActionStatus
    planned_by: str
    planned_at: datetime
    preview: dict[str, Any] = field(default_factory=dict)
    requested_by: str | None = None
    """The staff member who asked for it (e.g. recorded the in-store request), if any."""
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_reason: str | None = None
    executed_at: datetime | None = None
    result: dict[str, Any] = field(default_factory=dict)
    version: int = 0
    events: list[Event] = field(default_factory=list, repr=False)

    @classmethod
    def plan(
        cls,
        *,
        action_id: str,
        request_id: str,
        kind: ActionKind,
        planned_by: str,
        at: datetime,
        preview: Mapping[str, Any],
        requested_by: str | None = None,
    ) -> Action:
        status = ActionStatus.AWAITING_APPROVAL if kind.needs_approval else ActionStatus.APPROVED
        action = cls(
            id=action_id,
            request_id=request_id,
            kind=kind,
            status=status,
            planned_by=planned_by,
            planned_at=at,
            preview=dict(preview),
            requested_by=requested_by,
        )
        action._record(EventType.ACTION_PLANNED, at, planned_by, {"kind": str(kind), "status": str(status)})
        return action

    def approve(self, *, by: str, at: datetime) -> None:
        """Approve as a second person: the planner or requester may not (four-eyes)."""
        if by in {self.planned_by, self.requested_by}:
            raise FourEyesViolation(
                f"{by} planned or requested action {self.id} and cannot also approve it",
                action_id=self.id,
                user=by,
            )
        self._move(ActionStatus.APPROVED)
        self.decided_by, self.decided_at = by, at
        self._record(EventType.ACTION_APPROVED, at, by, {"kind": str(self.kind)})

    def reject(self, *, by: str, at: datetime, reason: str) -> None:
        if not reason.strip():
            raise IllegalTransition("a rejection needs a reason", action_id=self.id)
        self._move(ActionStatus.REJECTED)
        self.decided_by, self.decided_at, self.decision_reason = by, at, reason
        self._record(EventType.ACTION_REJECTED, at, by, {"kind": str(self.kind), "reason": reason})

    def mark_done(self, *, at: datetime, result: Mapping[str, Any]) -> None:
        self._move(ActionStatus.DONE)
        self.executed_at, self.result = at, dict(result)
        self._record(EventType.ACTION_EXECUTED, at, "system", {"kind": str(self.kind), "result": dict(result)})

    def mark_failed(self, *, at: datetime, error: str) -> None:
        self._move(ActionStatus.FAILED)
        self.result = {"error": error}
        self._record(EventType.ACTION_FAILED, at, "system", {"kind": str(self.kind), "error": error})

    def _move(self, target: ActionStatus) -> None:
        if target not in _ACTION_TRANSITIONS[self.status]:
            raise IllegalTransition(
                f"action {self.id} is {self.status} and cannot become {target}",
                action_id=self.id,
                current=str(self.status),
                target=str(target),
            )
        self.status = target

    def _record(self, kind: EventType, at: datetime, actor: str, data: Mapping[str, Any]) -> None:
        self.events.append(Event(kind, at, self.request_id, actor, {"action_id": self.id, **data}))
