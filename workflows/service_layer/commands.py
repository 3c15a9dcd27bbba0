"""Commands: what a channel, staff member or the worker asks the engine to do."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from workflows.domain.actions import ActionKind
from workflows.domain.identity import ClaimedIdentity, VerifiedIdentity
from workflows.domain.messages import Attachment
from workflows.domain.replies import ExtensionReason, RefusalReason, ReplyFacts, VerificationFailure
from workflows.domain.rights import Channel, Language, Right


@dataclass(frozen=True)
class OpenRequest:
    """Register a request; the clock starts at ``received_at`` (Art. 12(3))."""

    channel: Channel
    rights: frozenset[Right]
    language: Language
    claimed: ClaimedIdentity
    received_at: datetime
    details: Mapping[str, Any] = field(default_factory=dict)
    evidence: VerifiedIdentity | None = None
    """Identity evidence the channel already holds (e.g. a valid QES on the e-mail)."""
    evidence_summary: Mapping[str, Any] = field(default_factory=dict)
    """What staff need to re-check the evidence (e.g. the signature report), kept in the audit log."""
    verification_failure: VerificationFailure | None = None
    """The proof offered with the request did not verify: the one reply says why and how else
    to verify (instead of a plain ``identity_verification_needed``)."""
    verification_detail: str | None = None
    identity_asked_in_conversation: bool = False
    """The channel asks for identity itself, at once (the chat bot's verification buttons):
    no identity letter is queued, which would reach the chat after the person had already
    chosen a route, or even verified. The request's log still records that identity was
    asked for (Art. 12(6))."""
    actor: str = "customer"
    incoming_subject: str = ""
    incoming_text: str = ""
    incoming_external_id: str | None = None


@dataclass(frozen=True)
class StoreInboundEmail:
    """Keep a raw e-mail durably and queue its processing; the SMTP server answers 250
    only after this commits. Returns the stored mail's id."""

    raw: bytes
    mail_from: str
    rcpt_to: tuple[str, ...]
    received_at: datetime
    peer: str | None = None


@dataclass(frozen=True)
class ReceiveMessage:
    """A message in an existing case (a reply in the thread, a chat message)."""

    reference: str
    channel: Channel
    received_at: datetime
    subject: str
    text: str
    sender: str | None = None
    external_id: str | None = None
    actor: str = "customer"


@dataclass(frozen=True)
class RecordIdentityEvidence:
    reference: str
    verified: VerifiedIdentity
    actor: str = "system"
    evidence_summary: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordVerificationFailure:
    reference: str
    failure: VerificationFailure
    detail: str | None = None
    """For staff and the audit log: e.g. the signature report's reason."""
    actor: str = "system"
    evidence_summary: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FlagForStaff:
    reference: str
    reason: str
    actor: str = "system"


@dataclass(frozen=True)
class ExtendDeadline:
    """Art. 12(3): extend with reasons; the notice goes out in the same transaction."""

    reference: str
    reasons: tuple[ExtensionReason, ...]
    explanation: str
    actor: str


@dataclass(frozen=True)
class RefuseRequest:
    """Art. 12(4)/(5): refuse (or partly refuse) with reasons; staff only."""

    reference: str
    reasons: tuple[RefusalReason, ...]
    actor: str
    explanation: str | None = None
    partial: bool = False


@dataclass(frozen=True)
class WithdrawRequest:
    reference: str
    actor: str = "customer"


@dataclass(frozen=True)
class CompleteRequest:
    reference: str
    actor: str
    note: str | None = None


@dataclass(frozen=True)
class PlanAction:
    reference: str
    kind: ActionKind
    preview: Mapping[str, Any]
    actor: str
    requested_by: str | None = None


@dataclass(frozen=True)
class ApproveAction:
    action_id: str
    actor: str


@dataclass(frozen=True)
class RejectAction:
    action_id: str
    actor: str
    reason: str


@dataclass(frozen=True)
class SendReply:
    """Render a templated reply and queue it in the outbox on the request's channel (a reply
    carrying personal data only to an address bound to the verified person, else held for
    staff: ``domain.delivery``). The handler returns True when the reply is held."""

    reference: str
    facts: ReplyFacts
    actor: str = "system"
    attachments: tuple[Attachment, ...] = ()
    on_file: tuple[str, ...] = ()
    """E-mail addresses on file for the verified person (the executor finds them through the
    data map): bound destinations for a copy of the data besides the verified address."""


@dataclass(frozen=True)
class ConfirmCopyDestination:
    """A staff member confirms where a held copy of the person's data goes (Art. 32): one of
    the addresses bound to the verified person offered when it was held, or the sender's
    address after checking with the person. Recorded in the audit log; no second approver."""

    reference: str
    address: str
    actor: str


@dataclass(frozen=True)
class ScanDeadlines:
    """Queue staff reminders before due dates and flag overdue requests."""

    today: date


@dataclass(frozen=True)
class PurgeClosedCases:
    """Purge case files closed longer ago than the profile's case-file retention (Art. 5(1)(e))."""

    now: datetime
    batch_size: int = 500
