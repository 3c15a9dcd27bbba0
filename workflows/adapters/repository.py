"""Rows <-> domain objects, written out by hand so every column's meaning is visible."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from workflows.adapters.orm import actions, messages, reference_counters, requests
from workflows.domain.actions import Action, ActionKind, ActionStatus
from workflows.domain.deadlines import Deadline
from workflows.domain.errors import ActionNotFound, RequestNotFound, WorkflowError
from workflows.domain.identity import ClaimedIdentity, IdentityTier, VerificationMethod, VerifiedIdentity
from workflows.domain.messages import Message
from workflows.domain.reference import format_reference
from workflows.domain.request import RightsRequest
from workflows.domain.rights import Channel, Language, Right
from workflows.domain.states import State

# Statements built once, their values passed as parameters: SQLAlchemy then reuses the
# compiled SQL instead of coercing every value and hashing a new cache key on each call,
# which was half the CPU of OpenRequest (bench/bot_bench.py). ``w_*`` name the WHERE
# parameters apart from the columns being set.
_INSERT_REQUEST = insert(requests)
_UPDATE_REQUEST = update(requests).where(
    requests.c.id == bindparam("w_id"), requests.c.version == bindparam("w_version")
)
_INSERT_ACTION = insert(actions)
_UPDATE_ACTION = update(actions).where(actions.c.id == bindparam("w_id"), actions.c.version == bindparam("w_version"))
_INSERT_MESSAGE = insert(messages)
_LAST_NUMBER = (
    select(reference_counters.c.last_number).where(reference_counters.c.year == bindparam("year")).with_for_update()
)
_SET_LAST_NUMBER = update(reference_counters).where(reference_counters.c.year == bindparam("w_year"))


class Tracker:
    """What a unit of work loaded or added, so that it saves exactly the changed ones.

    ``baseline`` is the number of events an aggregate had when it was last written:
    an aggregate with more events than that has changed.
    """

    def __init__(self) -> None:
        self.aggregates: list[RightsRequest | Action] = []
        self.baseline: dict[int, int] = {}

    def track(self, aggregate: RightsRequest | Action, *, written: bool = False) -> None:
        if id(aggregate) not in self.baseline:
            self.aggregates.append(aggregate)
        self.baseline[id(aggregate)] = len(aggregate.events) if written else 0

    def changed(self) -> list[RightsRequest | Action]:
        return [a for a in self.aggregates if len(a.events) > self.baseline[id(a)]]

    def clear(self) -> None:
        for aggregate in self.aggregates:
            aggregate.events.clear()
        self.aggregates.clear()
        self.baseline.clear()


class ConcurrentModification(WorkflowError):
    """Someone else changed the same row since it was read; try the command again."""

    permanent = False


def _request_columns(request: RightsRequest) -> dict[str, Any]:
    claimed, verified, deadline = request.claimed, request.verified, request.deadline
    return {
        "reference": request.reference,
        "rights": ",".join(sorted(str(r) for r in request.rights)),
        "channel": str(request.channel),
        "language": str(request.language),
        "state": str(request.state),
        "received_at": request.received_at,
        "received_on": deadline.received_on,
        "due_on": deadline.due_on,
        "extended_due_on": deadline.extended_due_on,
        "extension_notice_sent_on": deadline.extension_notice_sent_on,
        "extension_reasons": list(deadline.extension_reasons),
        "effective_due_on": deadline.effective_due_on,
        "required_tier": int(request.required_tier),
        "claimed_name": claimed.name,
        "claimed_email": claimed.email,
        "claimed_phone": claimed.phone,
        "claimed_personal_code": claimed.personal_code,
        "claimed_customer_ref": claimed.customer_ref,
        "claimed_chat_id": claimed.chat_id,
        "verified_method": str(verified.method) if verified else None,
        "verified_at": verified.verified_at if verified else None,
        "verified_by": verified.verified_by if verified else None,
        "verified_evidence_ref": verified.evidence_ref if verified else None,
        "verified_name": verified.name if verified else None,
        "verified_personal_code": verified.personal_code if verified else None,
        "verified_email": verified.email if verified else None,
        "verified_phone": verified.phone if verified else None,
        "verified_document": verified.document if verified else None,
        "details": dict(request.details),
        "attention": request.attention,
        "closed_at": request.closed_at,
        "outcome_note": request.outcome_note,
    }


def request_from_row(row: Any) -> RightsRequest:
    verified = None
    if row.verified_method is not None:
        verified = VerifiedIdentity(
            method=VerificationMethod(row.verified_method),
            verified_at=row.verified_at,
            evidence_ref=row.verified_evidence_ref,
            verified_by=row.verified_by,
            name=row.verified_name,
            personal_code=row.verified_personal_code,
            email=row.verified_email,
            phone=row.verified_phone,
            document=row.verified_document,
        )
    return RightsRequest(
        id=row.id,
        reference=row.reference,
        rights=frozenset(Right(r) for r in row.rights.split(",") if r),
        channel=Channel(row.channel),
        language=Language(row.language),
        state=State(row.state),
        received_at=row.received_at,
        deadline=Deadline(
            received_on=row.received_on,
            due_on=row.due_on,
            extended_due_on=row.extended_due_on,
            extension_notice_sent_on=row.extension_notice_sent_on,
            extension_reasons=tuple(row.extension_reasons or ()),
        ),
        claimed=ClaimedIdentity(
            name=row.claimed_name,
            email=row.claimed_email,
            phone=row.claimed_phone,
            personal_code=row.claimed_personal_code,
            customer_ref=row.claimed_customer_ref,
            chat_id=row.claimed_chat_id,
        ),
        required_tier=IdentityTier(row.required_tier),
        verified=verified,
        details=dict(row.details or {}),
        attention=row.attention,
        closed_at=row.closed_at,
        outcome_note=row.outcome_note,
        version=row.version,
    )


class SqlRequestRepository:
    def __init__(self, connection: Connection, tracker: Tracker) -> None:
        self._connection = connection
        self._tracker = tracker

    def next_reference(self, year: int) -> str:
        """Allocate the next ``DSR-YYYY-NNNNNN``; the counter row lock orders allocations."""
        row = self._connection.execute(_LAST_NUMBER, {"year": year}).first()
        if row is None:
            number = 1
            self._connection.execute(insert(reference_counters).values(year=year, last_number=number))
        else:
            number = int(row.last_number) + 1
            self._connection.execute(_SET_LAST_NUMBER, {"w_year": year, "last_number": number})
        return format_reference(year, number)

    def add(self, request: RightsRequest) -> None:
        self._connection.execute(_INSERT_REQUEST, {"id": request.id, "version": 1, **_request_columns(request)})
        request.version = 1
        self._tracker.track(request, written=True)

    def get(self, request_id: str, *, for_update: bool = False) -> RightsRequest:
        return self._one(requests.c.id == request_id, request_id, for_update)

    def get_by_reference(self, reference: str, *, for_update: bool = False) -> RightsRequest:
        return self._one(requests.c.reference == reference.upper(), reference, for_update)

    def _one(self, condition: Any, label: str, for_update: bool) -> RightsRequest:
        query = select(requests).where(condition)
        if for_update:
            query = query.with_for_update()
        row = self._connection.execute(query).first()
        if row is None:
            raise RequestNotFound(f"no request {label}", request=label)
        request = request_from_row(row)
        self._tracker.track(request)
        return request

    def open_due_by(self, horizon: date) -> list[tuple[str, date]]:
        rows = self._connection.execute(
            select(requests.c.id, requests.c.effective_due_on)
            .where(requests.c.closed_at.is_(None), requests.c.effective_due_on <= horizon)
            .order_by(requests.c.effective_due_on)
        ).all()
        return [(str(r.id), r.effective_due_on) for r in rows]

    def save(self, request: RightsRequest) -> None:
        """Write a changed request; optimistic locking on ``version`` catches lost updates."""
        result = self._connection.execute(
            _UPDATE_REQUEST,
            {"w_id": request.id, "w_version": request.version, "version": request.version + 1}
            | _request_columns(request),
        )
        if result.rowcount != 1:
            raise ConcurrentModification(
                f"{request.reference} was changed by someone else; try again", reference=request.reference
            )
        request.version += 1


def _action_columns(action: Action) -> dict[str, Any]:
    return {
        "request_id": action.request_id,
        "kind": str(action.kind),
        "status": str(action.status),
        "planned_by": action.planned_by,
        "planned_at": action.planned_at,
        "requested_by": action.requested_by,
        "preview": action.preview,
        "decided_by": action.decided_by,
        "decided_at": action.decided_at,
        "decision_reason": action.decision_reason,
        "executed_at": action.executed_at,
        "result": action.result,
    }


def action_from_row(row: Any) -> Action:
    return Action(
        id=row.id,
        request_id=row.request_id,
        kind=ActionKind(row.kind),
        status=ActionStatus(row.status),
        planned_by=row.planned_by,
        planned_at=row.planned_at,
        preview=dict(row.preview or {}),
        requested_by=row.requested_by,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        decision_reason=row.decision_reason,
        executed_at=row.executed_at,
        result=dict(row.result or {}),
        version=row.version,
    )


class SqlActionRepository:
    def __init__(self, connection: Connection, tracker: Tracker) -> None:
        self._connection = connection
        self._tracker = tracker

    def add(self, action: Action) -> None:
        self._connection.execute(_INSERT_ACTION, {"id": action.id, "version": 1, **_action_columns(action)})
        action.version = 1
        self._tracker.track(action, written=True)

    def get(self, action_id: str, *, for_update: bool = False) -> Action:
        query = select(actions).where(actions.c.id == action_id)
        if for_update:
            query = query.with_for_update()
        row = self._connection.execute(query).first()
        if row is None:
            raise ActionNotFound(f"no action {action_id}", action=action_id)
        action = action_from_row(row)
        self._tracker.track(action)
        return action

    def for_request(self, request_id: str) -> list[Action]:
        rows = self._connection.execute(
            select(actions).where(actions.c.request_id == request_id).order_by(actions.c.planned_at)
        ).all()
        found = [action_from_row(r) for r in rows]
        for action in found:
            self._tracker.track(action)
        return found

    def save(self, action: Action) -> None:
        result = self._connection.execute(
            _UPDATE_ACTION,
            {"w_id": action.id, "w_version": action.version, "version": action.version + 1} | _action_columns(action),
        )
        if result.rowcount != 1:
            raise ConcurrentModification(f"action {action.id} was changed by someone else", action=action.id)
        action.version += 1


class SqlMessageLog:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, message: Message) -> None:
        self._connection.execute(
            _INSERT_MESSAGE,
            {
                "id": message.id,
                "request_id": message.request_id,
                "direction": str(message.direction),
                "channel": str(message.channel),
                "created_at": message.created_at,
                "subject": message.subject,
                "text": message.text,
                "html": message.html,
                "counterpart": message.counterpart,
                "kind": message.kind,
                "external_id": message.external_id,
                "headers": dict(message.headers),
                "attachments": [a.to_json() for a in message.attachments] or None,
            },
        )

    def request_id_for_external(self, external_ids: list[str]) -> str | None:
        """The case a reply belongs to, by the Message-IDs it refers to (threading)."""
        if not external_ids:
            return None
        row = self._connection.execute(
            select(messages.c.request_id)
            .where(messages.c.external_id.in_(external_ids), messages.c.request_id.is_not(None))
            .limit(1)
        ).first()
        return None if row is None else str(row.request_id)
