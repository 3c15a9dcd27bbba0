"""The controller profile: who the controller is and what it does with personal data.

Everything a reply must say under GDPR Art. 12-15 and 17-21 that does not depend on the
individual request comes from here: identity and contacts of the controller (Art. 13(1)(a)),
the DPO (Art. 13(1)(b)), purposes and legal bases (Art. 15(1)(a), Art. 6(1)), categories
(Art. 15(1)(b)), recipients by name (Art. 15(1)(c); CJEU C-154/21), retention
(Art. 15(1)(d)), sources (Art. 15(1)(g)), automated decisions (Art. 15(1)(h)), third-country
safeguards (Art. 15(2)) and the supervisory authority (Art. 15(1)(f), 77).

Plain frozen dataclasses, standard library only. The TOML loader lives in
``workflows.adapters.profile_loader``. Localised text is a ``Mapping[str, str]`` keyed by
language code; Latvian ("lv") is always present (Official Language Law).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from workflows.domain.errors import WorkflowError
from workflows.domain.rights import Channel, Language, Right

LocalText = Mapping[str, str]
"""Text per language code ("lv", "en", "ru"); "lv" is required."""

TEXT_FALLBACK_ORDER: tuple[str, ...] = ("en", "lv")
"""Languages tried, in order, when a text lacks the requested one."""

EEA_COUNTRIES: frozenset[str] = frozenset(
    {
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    }
)
"""ISO 3166-1 alpha-2 codes of the EEA; transfers elsewhere need Chapter V safeguards."""


def pick_text(text: LocalText, language: str) -> str:
    """The text in ``language``, else English, else Latvian (always present)."""
    for code in (language, *TEXT_FALLBACK_ORDER):
        if code in text:
            return text[code]
    # A profile that passed the loader always has "lv"; a hand-built one may not.
    return next(iter(text.values()), "")


class LegalBasis(StrEnum):
    """Lawful bases for processing, GDPR Art. 6(1)(a)-(f)."""

    CONSENT = "consent"
    """Art. 6(1)(a): the person consented; withdrawable at any time (Art. 7(3))."""
    CONTRACT = "contract"
    """Art. 6(1)(b): needed to perform a contract with the person or to take steps before it."""
    LEGAL_OBLIGATION = "legal_obligation"
    """Art. 6(1)(c): needed to comply with a legal obligation (e.g. the Accounting Law)."""
    VITAL_INTERESTS = "vital_interests"
    """Art. 6(1)(d): needed to protect someone's vital interests."""
    PUBLIC_TASK = "public_task"
    """Art. 6(1)(e): a task in the public interest or official authority."""
    LEGITIMATE_INTERESTS = "legitimate_interests"
    """Art. 6(1)(f): the controller's or a third party's legitimate interests; objectable (Art. 21)."""


class RecipientRole(StrEnum):
    """How a recipient stands towards the data (Art. 4(8)-(9), Art. 26, Art. 28)."""

    PROCESSOR = "processor"
    """Processes on the controller's behalf under an Art. 28 contract (couriers, SMS platforms)."""
    INDEPENDENT_CONTROLLER = "independent_controller"
    """Decides its own purposes (banks, parcel-terminal operators acting for themselves)."""
    JOINT_CONTROLLER = "joint_controller"
    """Decides purposes jointly with the controller (Art. 26)."""
    PUBLIC_AUTHORITY = "public_authority"
    """A public body receiving data under law (tax authority, police on request)."""


@dataclass(frozen=True)
class Period:
    """A length of time in calendar years, months and days (e.g. 5 years)."""

    years: int = 0
    months: int = 0
    days: int = 0

    def add_to(self, start: date) -> date:
        """The end date counted from ``start``; a missing day clamps to the month's last day."""
        month_index = start.month - 1 + self.months + 12 * self.years
        year, month = start.year + month_index // 12, month_index % 12 + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        return date(year, month, day) + timedelta(days=self.days)


@dataclass(frozen=True)
class PostalAddress:
    street: str
    city: str
    postcode: str
    country: str = "LV"


@dataclass(frozen=True)
class Contacts:
    """How people reach the controller about their data (Art. 13(1)(a))."""

    privacy_email: str
    phone: str | None = None
    website: str | None = None
    privacy_notice_url: str | None = None


@dataclass(frozen=True)
class DataProtectionOfficer:
    """Art. 37-39; contact details are given in every access reply (Art. 13(1)(b))."""

    email: str
    name: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Channels:
    """Where requests may be made; the clock starts on arrival at any of them (EDPB ¶159)."""

    enabled: tuple[Channel, ...]
    privacy_email: str
    telegram_bot: str | None = None
    """Bot username (without "@") when the Telegram channel is enabled."""
    in_person_locations: LocalText | None = None
    """Where a person may show an identity document, e.g. "any MonaOK shop"."""


@dataclass(frozen=True)
class DataCategory:
    """A category of personal data (Art. 15(1)(b))."""

    id: str
    name: LocalText
    description: LocalText | None = None


@dataclass(frozen=True)
class RetentionRule:
    """How long a kind of record is kept and why (Art. 5(1)(e), 15(1)(d), 17(3)(b),(e)).

    ``verify`` marks periods an engineer read from the law that a lawyer must confirm.
    """

    id: str
    what: LocalText
    period: Period
    starts_from: LocalText
    """The event the period runs from, phrased to follow the period ("from the date of purchase")."""
    legal_basis: LocalText
    verify: bool = False


@dataclass(frozen=True)
class LegalHold:
    """A kind of hold that suspends erasure, e.g. a pending dispute (Art. 17(3)(e))."""

    id: str
    what: LocalText
    reason: LocalText
    legal_basis: LocalText


@dataclass(frozen=True)
class Purpose:
    """A purpose of processing with its lawful basis (Art. 5(1)(b), 6(1), 15(1)(a))."""

    id: str
    name: LocalText
    legal_basis: LegalBasis
    categories: tuple[str, ...]
    retention: tuple[str, ...]
    recipients: tuple[str, ...] = ()
    legitimate_interest: LocalText | None = None
    """The interest pursued, required with Art. 6(1)(f) (Art. 13(1)(d))."""


@dataclass(frozen=True)
class Recipient:
    """A recipient named as such (Art. 15(1)(c); CJEU C-154/21 Österreichische Post)."""

    id: str
    name: str
    role: RecipientRole
    service: LocalText
    country: str = "LV"
    categories: tuple[str, ...] = ()
    transfer_safeguard: LocalText | None = None
    """Art. 15(2), 44-49: adequacy decision or appropriate safeguard for a non-EEA country."""
    art19_exemption: LocalText | None = None
    """Why notifying this recipient under Art. 19 is impossible or disproportionate, if it is."""
    contact_email: str | None = None
    """Where Art. 19 notices to this recipient go (their data-protection contact)."""

    @property
    def outside_eea(self) -> bool:
        return self.country.upper() not in EEA_COUNTRIES

    @property
    def notify_under_art19(self) -> bool:
        """Art. 19: notify unless impossible or involving disproportionate effort."""
        return self.art19_exemption is None


@dataclass(frozen=True)
class DataSource:
    """A source of data not collected from the person (Art. 14(2)(f), 15(1)(g))."""

    id: str
    name: LocalText
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class AutomatedDecisionMaking:
    """Art. 15(1)(h), 22: whether solely automated decisions with legal effects are made."""

    used: bool = False
    description: LocalText | None = None


DEFAULT_IDENTITY_TIERS: Mapping[Right, int] = MappingProxyType(
    {
        # docs/law.md §Identity: tier 1 is never blocked, control of the channel on file suffices.
        Right.MARKETING_OBJECTION: 1,
        Right.CONSENT_WITHDRAWAL: 1,
        # Tier 2: a code to the contact on file, or the e-shop login.
        Right.RECTIFICATION: 2,
        # Engineering defaults (VERIFY): neither discloses data; an impostor can only pause use.
        Right.RESTRICTION: 2,
        Right.OBJECTION: 2,
        # Tier 3: qualified e-signature, qualified eID or an ID check at a shop.
        Right.ACCESS: 3,
        Right.PORTABILITY: 3,
        Right.ERASURE: 3,
    }
)


@dataclass(frozen=True)
class IdentityPolicy:
    """Proportionate verification per right (Art. 12(6); EDPB 01/2022 ¶¶58-81)."""

    tiers: Mapping[Right, int] = field(default_factory=lambda: DEFAULT_IDENTITY_TIERS)

    def tier_for(self, right: Right) -> int:
        return self.tiers.get(right, DEFAULT_IDENTITY_TIERS[right])


@dataclass(frozen=True)
class SupervisoryAuthority:
    """Where a person may lodge a complaint (Art. 77; Art. 12(4), 15(1)(f))."""

    name: LocalText
    address: PostalAddress
    email: str
    website: str
    phone: str | None = None


DATU_VALSTS_INSPEKCIJA = SupervisoryAuthority(
    name=MappingProxyType(
        {"lv": "Datu valsts inspekcija", "en": "Data State Inspectorate", "ru": "Государственная инспекция данных"}
    ),
    address=PostalAddress(street="Elijas iela 17", city="Rīga", postcode="LV-1003"),
    email="pasts@dvi.gov.lv",
    website="www.dvi.gov.lv",
)


@dataclass(frozen=True)
class ControllerProfile:
    """Everything about the controller a reply needs; loaded from TOML by the profile loader."""

    name: str
    registration_number: str
    address: PostalAddress
    contacts: Contacts
    channels: Channels
    categories: tuple[DataCategory, ...]
    purposes: tuple[Purpose, ...]
    recipients: tuple[Recipient, ...]
    retention_rules: tuple[RetentionRule, ...]
    trade_name: str | None = None
    dpo: DataProtectionOfficer | None = None
    languages: tuple[Language, ...] = (Language.LV, Language.EN)
    sources: tuple[DataSource, ...] = ()
    automated_decision_making: AutomatedDecisionMaking = AutomatedDecisionMaking()
    legal_holds: tuple[LegalHold, ...] = ()
    identity: IdentityPolicy = IdentityPolicy()
    case_file_retention: Period = Period(years=3)
    """How long a closed case file is kept to show compliance (Art. 5(2)); VERIFY."""
    supervisory_authority: SupervisoryAuthority = DATU_VALSTS_INSPEKCIJA

    @property
    def display_name(self) -> str:
        return self.trade_name or self.name

    def category(self, category_id: str) -> DataCategory:
        return _by_id(self.categories, category_id, "category")

    def purpose(self, purpose_id: str) -> Purpose:
        return _by_id(self.purposes, purpose_id, "purpose")

    def recipient(self, recipient_id: str) -> Recipient:
        return _by_id(self.recipients, recipient_id, "recipient")

    def retention_rule(self, rule_id: str) -> RetentionRule:
        return _by_id(self.retention_rules, rule_id, "retention rule")

    def source(self, source_id: str) -> DataSource:
        return _by_id(self.sources, source_id, "source")

    def legal_hold(self, hold_id: str) -> LegalHold:
        return _by_id(self.legal_holds, hold_id, "legal hold")


class UnknownProfileEntry(WorkflowError):
    """A reply or the engine named an id the controller profile does not define."""

    def __init__(self, kind: str, entry_id: str) -> None:
        super().__init__(f"the controller profile has no {kind} {entry_id!r}", kind=kind, entry_id=entry_id)
        self.kind = kind
        self.entry_id = entry_id


_Entry = TypeVar("_Entry", DataCategory, Purpose, Recipient, RetentionRule, DataSource, LegalHold)


def _by_id(entries: tuple[_Entry, ...], entry_id: str, kind: str) -> _Entry:
    for entry in entries:
        if entry.id == entry_id:
            return entry
    raise UnknownProfileEntry(kind, entry_id)
