"""Who claims to ask, and what we verified about who they are.

Identification (which records are this person's) is kept apart from authentication
(is the requester that person), as EDPB Guidelines 01/2022 ¶¶58-81 ask. A personal
code is an identifier, never a secret: knowing it proves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum


class IdentityTier(IntEnum):
    """Risk tiers of docs/law.md §Identity (configurable per right in the controller profile)."""

    NONE = 0
    CHANNEL_CONTROL = 1
    """Control of the e-mail address or phone on file: enough for marketing objections."""
    CONTACT_ON_FILE = 2
    """A one-time code to the contact on file, or the e-shop login."""
    STRONG = 3
    """Qualified e-signature, qualified eID, or an ID document checked at a shop."""


class VerificationMethod(StrEnum):
    QUALIFIED_SIGNATURE = "qualified_signature"
    QUALIFIED_EID = "qualified_eid"
    ONE_TIME_CODE = "one_time_code"
    ESHOP_LOGIN = "eshop_login"
    IN_PERSON_ID_CHECK = "in_person_id_check"
    CHANNEL_CONTROL = "channel_control"

    @property
    def tier(self) -> IdentityTier:
        return _TIER_OF_METHOD[self]


_TIER_OF_METHOD = {
    VerificationMethod.QUALIFIED_SIGNATURE: IdentityTier.STRONG,
    VerificationMethod.QUALIFIED_EID: IdentityTier.STRONG,
    VerificationMethod.IN_PERSON_ID_CHECK: IdentityTier.STRONG,
    VerificationMethod.ONE_TIME_CODE: IdentityTier.CONTACT_ON_FILE,
    VerificationMethod.ESHOP_LOGIN: IdentityTier.CONTACT_ON_FILE,
    VerificationMethod.CHANNEL_CONTROL: IdentityTier.CHANNEL_CONTROL,
}


@dataclass(frozen=True, slots=True)
class ClaimedIdentity:
    """What the requester says about themselves; used to find records, proves nothing."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    personal_code: str | None = None
    customer_ref: str | None = None
    chat_id: str | None = None


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    """The result of authentication, with a reference to its evidence.

    Never an ID document image: only the fact that it was checked, by whom and when
    (EDPB 01/2022 ¶¶73-78). ``evidence_ref`` points at the stored evidence, e.g. the
    digest of a signature validation report.
    """

    method: VerificationMethod
    verified_at: datetime
    evidence_ref: str
    verified_by: str = "system"
    name: str | None = None
    personal_code: str | None = None
    email: str | None = None
    phone: str | None = None
    document: str | None = None
    """For an in-person check: which kind of document was seen ("ID card", "passport")."""

    @property
    def tier(self) -> IdentityTier:
        return self.method.tier
