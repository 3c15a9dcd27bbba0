"""What a person may ask for, how they reached us, and in which language.

Values are persisted as strings; never rename a value without a migration.
"""

from __future__ import annotations

from enum import StrEnum


class Right(StrEnum):
    """The data-subject rights rightsdesk handles (GDPR Chapter III)."""

    ACCESS = "access"
    """Art. 15: confirmation, a copy of the data and the Art. 15(1) information."""
    RECTIFICATION = "rectification"
    """Art. 16: correct inaccurate data, complete incomplete data."""
    ERASURE = "erasure"
    """Art. 17: erase, except what a legal obligation or legal claims require (Art. 17(3))."""
    RESTRICTION = "restriction"
    """Art. 18: mark the data so that it is only stored, not otherwise used."""
    PORTABILITY = "portability"
    """Art. 20: the data the person provided, in a structured machine-readable form."""
    OBJECTION = "objection"
    """Art. 21(1): objection to processing based on legitimate interests or a public task."""
    MARKETING_OBJECTION = "marketing_objection"
    """Art. 21(2)-(3): objection to direct marketing; absolute, applies without review."""
    CONSENT_WITHDRAWAL = "consent_withdrawal"
    """Art. 7(3): withdrawal of consent, as easy as giving it; applies without review."""

    @property
    def applies_without_review(self) -> bool:
        """Marketing objections and consent withdrawals are absolute in law (Art. 21(3), 7(3))."""
        return self in (Right.MARKETING_OBJECTION, Right.CONSENT_WITHDRAWAL)


class Channel(StrEnum):
    """Where the request reached the controller; the clock starts there (EDPB 01/2022 ¶159)."""

    EMAIL = "email"
    TELEGRAM = "telegram"
    IN_PERSON = "in_person"
    STAFF = "staff"


class Language(StrEnum):
    """Languages rightsdesk answers in. Latvian always (Official Language Law)."""

    LV = "lv"
    EN = "en"
    RU = "ru"
