"""The rights request: one aggregate, whatever the channel it came by.

Every change goes through a method that checks the transition table and records an
event; the unit of work hash-chains those events into the audit log on commit.
Time is always passed in (``at``); the domain never reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from workflows.domain.calendar import HolidayCalendar
from workflows.domain.deadlines import Deadline, due_date, riga_date
from workflows.domain.errors import IllegalTransition
from workflows.domain.events import Event, EventType
from workflows.domain.identity import ClaimedIdentity, IdentityTier, VerifiedIdentity
from workflows.domain.rights import Channel, Language, Right
from workflows.domain.states import State, check_transition


@dataclass(eq=False)
class RightsRequest:
    id: str
    reference: str
    rights: frozenset[Right]
    channel: Channel
    language: Language
    state: State
    received_at: datetime
    deadline: Deadline
    claimed: ClaimedIdentity
    required_tier: IdentityTier
    verified: VerifiedIdentity | None = None
    details: dict[str, Any] = field(default_factory=dict)
    """What the person asked in their own words and the details a right needs
    (e.g. what to correct); personal data, purged with the case."""
    attention: str | None = None
    """Why staff must look at this request (e.g. signer is not the data subject)."""
    closed_at: datetime | None = None
    outcome_note: str | None = None
    version: int = 0
    events: list[Event] = field(default_factory=list, repr=False)

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        request_id: str,
        reference: str,
        rights: Iterable[Right],
        channel: Channel,
        language: Language,
        received_at: datetime,
        claimed: ClaimedIdentity,
        required_tier: IdentityTier,
        calendar: HolidayCalendar,
        details: Mapping[str, Any] | None = None,
        actor: str = "customer",
    ) -> RightsRequest:
        """Register a request. The clock starts at receipt on every channel
        (Art. 12(3); EDPB Guidelines 01/2022 ¶159), whether or not it is verified."""
        received_on = riga_date(received_at)
        deadline = Deadline(received_on=received_on, due_on=due_date(received_on, calendar))
        request = cls(
            id=request_id,
            reference=reference,
            rights=frozenset(rights),
            channel=channel,
            language=language,
            state=State.RECEIVED,
            received_at=received_at,
            deadline=deadline,
            claimed=claimed,
            required_tier=required_tier,
            details=dict(details or {}),
        )
        request._record(
            EventType.REQUEST_RECEIVED,
            received_at,
            actor,
            {
                "reference": reference,
                "rights": sorted(str(r) for r in request.rights),
                "channel": str(channel),
                "language": str(language),
                "due_on": deadline.due_on.isoformat(),
                "required_tier": int(required_tier),
            },
        )
        return request

    # -- identity ----------------------------------------------------------------------------

    @property
    def identity_sufficient(self) -> bool:
        """Art. 12(6): verified in proportion to what is asked (tiers of the profile)."""
        if self.required_tier <= IdentityTier.NONE:
            return True
        return self.verified is not None and self.verified.tier >= self.required_tier

    def ask_for_identity(self, *, at: datetime, actor: str = "system") -> None:
        self._move(State.AWAITING_IDENTITY, at, actor)
        self._record(EventType.IDENTITY_REQUESTED, at, actor, {"required_tier": int(self.required_tier)})

    def record_identity(
        self,
        verified: VerifiedIdentity,
        *,
        at: datetime,
        actor: str = "system",
        evidence: Mapping[str, Any] | None = None,
    ) -> None:
        """Record authentication evidence; work starts once it is sufficient.

        ``evidence`` is what staff need to check it later (e.g. the signature report's
        indication, qualification, signer and reason), kept in the audit event."""
        self._ensure_open()
        if self.verified is None or verified.tier >= self.verified.tier:
            self.verified = verified
        self._record(
            EventType.IDENTITY_VERIFIED,
            at,
            actor,
            {
                "method": str(verified.method),
                "tier": int(verified.tier),
                "evidence_ref": verified.evidence_ref,
                "verified_by": verified.verified_by,
                **({"evidence": dict(evidence)} if evidence else {}),
            },
        )
        if self.identity_sufficient and self.state in (State.RECEIVED, State.AWAITING_IDENTITY):
            self._move(State.IN_PROGRESS, at, actor)

    def record_verification_failure(
        self, reason: str, *, at: datetime, actor: str = "system", evidence: Mapping[str, Any] | None = None
    ) -> None:
        self._ensure_open()
        data: dict[str, Any] = {"reason": reason}
        if evidence:
            data["evidence"] = dict(evidence)
        self._record(EventType.IDENTITY_VERIFICATION_FAILED, at, actor, data)

    def flag_for_staff(self, reason: str, *, at: datetime, actor: str = "system") -> None:
        """Ask staff to look; earlier reasons stay (the first one first) until staff clear them."""
        self._add_attention(reason)
        self._record(EventType.ATTENTION_FLAGGED, at, actor, {"reason": reason})

    # -- progress ----------------------------------------------------------------------------

    def start_work(self, *, at: datetime, actor: str = "system") -> None:
        if not self.identity_sufficient:
            raise IllegalTransition(
                f"{self.reference} needs identity tier {int(self.required_tier)} before work starts",
                reference=self.reference,
            )
        self._move(State.IN_PROGRESS, at, actor)

    def await_approval(self, *, at: datetime, actor: str = "system") -> None:
        self._move(State.AWAITING_APPROVAL, at, actor)

    def resume(self, *, at: datetime, actor: str = "system") -> None:
        self._move(State.IN_PROGRESS, at, actor)

    def complete(self, *, at: datetime, actor: str = "system", note: str | None = None) -> None:
        self._move(State.COMPLETED, at, actor, note)
        self.closed_at, self.outcome_note = at, note

    def refuse(self, *, at: datetime, reasons: str, actor: str) -> None:
        """Art. 12(4)/(5): only with written reasons, decided by staff."""
        if not reasons.strip():
            raise IllegalTransition("a refusal needs written reasons (Art. 12(4))", reference=self.reference)
        self._move(State.REFUSED, at, actor, reasons)
        self.closed_at, self.outcome_note = at, reasons

    def withdraw(self, *, at: datetime, actor: str = "customer") -> None:
        self._move(State.WITHDRAWN, at, actor)
        self.closed_at = at

    def note_reply(self, kind: str, *, at: datetime, actor: str = "system", delivered: bool = True) -> None:
        """A reply was queued for the person (Art. 12(1): concise, intelligible, in writing)."""
        self._record(EventType.REPLY_QUEUED, at, actor, {"kind": kind, "delivered": delivered})

    def note_message(self, *, at: datetime, channel: Channel, actor: str = "customer") -> None:
        self._record(EventType.MESSAGE_RECEIVED, at, actor, {"channel": str(channel)})

    def note_deadline_reminder(self, days_left: int, *, at: datetime) -> None:
        self._record(EventType.DEADLINE_REMINDER_SENT, at, "system", {"days_left": days_left})

    def note_deadline_missed(self, *, at: datetime) -> None:
        """The effective due date passed without an answer: staff must act at once."""
        self._record(EventType.DEADLINE_MISSED, at, "system", {"due_on": self.deadline.effective_due_on.isoformat()})
        self._add_attention(f"overdue since {self.deadline.effective_due_on.isoformat()}")

    # -- deadline ----------------------------------------------------------------------------

    def extend_deadline(self, *, reasons: str, notice_sent_at: datetime, calendar: HolidayCalendar, actor: str) -> None:
        """Art. 12(3): up to two further months, with reasons, notified before the first deadline."""
        self._ensure_open()
        self.deadline = self.deadline.extend(riga_date(notice_sent_at), reasons, calendar)
        self._record(
            EventType.DEADLINE_EXTENDED,
            notice_sent_at,
            actor,
            {"reasons": reasons, "extended_due_on": self.deadline.effective_due_on.isoformat()},
        )

    def is_overdue(self, today: date) -> bool:
        return not self.state.is_terminal and self.deadline.is_overdue(today)

    # -- internals ---------------------------------------------------------------------------

    def _add_attention(self, reason: str) -> None:
        if not self.attention:
            self.attention = reason
        elif reason not in self.attention.split("; "):
            self.attention = f"{self.attention}; {reason}"

    def _ensure_open(self) -> None:
        if self.state.is_terminal:
            raise IllegalTransition(f"{self.reference} is {self.state}", reference=self.reference)

    def _move(self, target: State, at: datetime, actor: str, reason: str | None = None) -> None:
        check_transition(self.state, target)
        previous, self.state = self.state, target
        data: dict[str, Any] = {"from": str(previous), "to": str(target)}
        if reason:
            data["reason"] = reason
        self._record(EventType.STATE_CHANGED, at, actor, data)

    def _record(self, kind: EventType, at: datetime, actor: str, data: Mapping[str, Any]) -> None:
        self.events.append(Event(kind, at, self.id, actor, dict(data)))
