"""What a verification route tells the chat: one small result type for every route.

A result, not an exception (the pyHanko convention of docs/architecture.md §Conventions):
a wrong code, a signature by someone else or a replayed login are outcomes the conversation
answers in plain words. Outcomes never carry personal data (no names, codes, addresses): the
chat only learns *that* something happened and what to do next (nobody is shown personal
data in the chat: Art. 5(1)(f), 32).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from workflows.domain.replies import VerificationFailure


class OutcomeStatus(StrEnum):
    VERIFIED = "verified"
    """Identity recorded in the case (RecordIdentityEvidence); work starts if it suffices."""
    NOT_NEEDED = "not_needed"
    """The request already holds identity evidence strong enough for what it asks."""
    CODE_SENT = "code_sent"
    """A one-time code went to the contact on file (``channel`` says e-mail or SMS)."""
    CODE_WRONG = "code_wrong"
    """Wrong code; ``attempts_left`` more tries for this code."""
    CODE_EXPIRED = "code_expired"
    """No live code for this request (expired, used, or never sent): ask for a new one."""
    LOCKED = "locked"
    """Too many wrong codes: the code route is closed until ``retry_after``."""
    RATE_LIMITED = "rate_limited"
    """Too many codes asked for this chat or this customer; try after ``retry_after``."""
    NO_CONTACT_ON_FILE = "no_contact_on_file"
    """No single customer with an e-mail or phone on file matches the request: offer another route."""
    LINK_CREATED = "link_created"
    """An eID login link (``url``) valid until ``expires_at``; single use."""
    REJECTED = "rejected"
    """The proof did not verify the person (``failure`` says why, in engine terms)."""
    NEEDS_STAFF = "needs_staff"
    """Valid proof that could not be matched to the customer's records: staff decide."""
    SHOP_VISIT = "shop_visit"
    """Come to a shop with an ID document and this ``reference``; staff record the check."""
    INSUFFICIENT_ROUTE = "insufficient_route"
    """This route is weaker than the request needs (e.g. a code for an access request)."""
    NOT_FOUND = "not_found"
    """No open request with that reference in this chat (unknown and foreign look the same)."""
    CLOSED = "closed"
    """The request is already completed, refused or withdrawn."""
    UNAVAILABLE = "unavailable"
    """The route cannot run now (e.g. the eID provider is unreachable); try later."""


@dataclass(frozen=True, slots=True)
class Outcome:
    status: OutcomeStatus
    reference: str
    failure: VerificationFailure | None = None
    attempts_left: int | None = None
    retry_after: datetime | None = None
    expires_at: datetime | None = None
    channel: str | None = None
    """For CODE_SENT: ``"email"`` or ``"sms"`` (never the address itself)."""
    url: str | None = None
    """For LINK_CREATED: the provider's authorisation URL (send without a link preview)."""
    places: tuple[str, ...] = ()
    """For SHOP_VISIT: where an ID document can be shown (from the controller profile)."""

    @property
    def verified(self) -> bool:
        return self.status in (OutcomeStatus.VERIFIED, OutcomeStatus.NOT_NEEDED)
