"""Events: the append-only facts of a case, in the past tense.

Every event is hash-chained in the audit log (Art. 5(2) accountability). ``data``
holds only JSON values; it may carry personal data and is redacted when the case is
purged, while the chain link itself stays verifiable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    REQUEST_RECEIVED = "RequestReceived"
    STATE_CHANGED = "StateChanged"
    IDENTITY_REQUESTED = "IdentityRequested"
    IDENTITY_VERIFIED = "IdentityVerified"
    IDENTITY_VERIFICATION_FAILED = "IdentityVerificationFailed"
    ATTENTION_FLAGGED = "AttentionFlagged"
    DEADLINE_EXTENDED = "DeadlineExtended"
    DEADLINE_REMINDER_SENT = "DeadlineReminderSent"
    DEADLINE_MISSED = "DeadlineMissed"
    MESSAGE_RECEIVED = "MessageReceived"
    REPLY_QUEUED = "ReplyQueued"
    COPY_DESTINATION_CONFIRMED = "CopyDestinationConfirmed"
    ACTION_PLANNED = "ActionPlanned"
    ACTION_APPROVED = "ActionApproved"
    ACTION_REJECTED = "ActionRejected"
    ACTION_EXECUTED = "ActionExecuted"
    ACTION_FAILED = "ActionFailed"
    CASES_PURGED = "CasesPurged"


@dataclass(frozen=True, slots=True)
class Event:
    type: EventType
    occurred_at: datetime
    request_id: str | None
    actor: str
    """``system``, ``customer`` or ``staff:<username>``: who caused it."""
    data: Mapping[str, Any] = field(default_factory=dict)
