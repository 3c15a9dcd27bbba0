"""The TOML shape of a controller profile, as pydantic models that forbid unknown keys.

A mirror of :mod:`workflows.domain.profile` rather than validation over the domain
dataclasses: the domain stays free of pydantic, and the file format may differ from the
domain shape (``[identity]`` names rights as keys, the supervisory authority has a default).
Cross-references between sections are checked in :mod:`workflows.adapters.profile_loader`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from workflows.domain.profile import LegalBasis, RecipientRole
from workflows.domain.rights import Channel, Language


def _latvian_required(text: dict[str, str]) -> dict[str, str]:
    """Official Language Law: every text a reply may quote must exist in Latvian."""
    if not text.get("lv", "").strip():
        raise ValueError("a Latvian text (key 'lv') is required")
    unknown = sorted(set(text) - {language.value for language in Language})
    if unknown:
        raise ValueError(f"unknown language code(s) {', '.join(unknown)}; use lv, en or ru")
    return text


Text = Annotated[dict[str, str], AfterValidator(_latvian_required)]
Identifier = Annotated[str, Field(min_length=1, pattern=r"^[a-z0-9_]+$")]
NonEmpty = Annotated[str, Field(min_length=1)]
Tier = Annotated[int, Field(ge=1, le=3)]
Count = Annotated[int, Field(ge=0)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AddressSchema(_Section):
    street: NonEmpty
    city: NonEmpty
    postcode: NonEmpty
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "LV"


class ContactsSchema(_Section):
    privacy_email: NonEmpty
    phone: str | None = None
    website: str | None = None
    privacy_notice_url: str | None = None


class DpoSchema(_Section):
    email: NonEmpty
    name: str | None = None
    phone: str | None = None


class ChannelsSchema(_Section):
    enabled: list[Channel] = Field(min_length=1)
    privacy_email: NonEmpty
    telegram_bot: str | None = None
    in_person_locations: Text | None = None


class CategorySchema(_Section):
    id: Identifier
    name: Text
    description: Text | None = None


class PeriodSchema(_Section):
    years: Count = 0
    months: Count = 0
    days: Count = 0


class RetentionRuleSchema(_Section):
    id: Identifier
    what: Text
    period: PeriodSchema
    starts_from: Text
    legal_basis: Text
    verify: bool = False


class LegalHoldSchema(_Section):
    id: Identifier
    what: Text
    reason: Text
    legal_basis: Text


class PurposeSchema(_Section):
    id: Identifier
    name: Text
    legal_basis: LegalBasis
    categories: list[str] = Field(min_length=1)
    retention: list[str] = Field(min_length=1)
    recipients: list[str] = []
    legitimate_interest: Text | None = None


class RecipientSchema(_Section):
    id: Identifier
    name: NonEmpty
    role: RecipientRole
    service: Text
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "LV"
    categories: list[str] = []
    transfer_safeguard: Text | None = None
    art19_exemption: Text | None = None
    contact_email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+$")] | None = None


class SourceSchema(_Section):
    id: Identifier
    name: Text
    categories: list[str] = []


class AutomatedDecisionsSchema(_Section):
    used: bool = False
    description: Text | None = None


class IdentitySchema(_Section):
    """Tier per right (1-3); a right left out keeps the default of docs/law.md §Identity."""

    access: Tier | None = None
    rectification: Tier | None = None
    erasure: Tier | None = None
    restriction: Tier | None = None
    portability: Tier | None = None
    objection: Tier | None = None
    marketing_objection: Tier | None = None
    consent_withdrawal: Tier | None = None


class CaseFilesSchema(_Section):
    retention: PeriodSchema


class AuthoritySchema(_Section):
    name: Text
    address: AddressSchema
    email: NonEmpty
    website: NonEmpty
    phone: str | None = None


class ControllerSchema(_Section):
    name: NonEmpty
    registration_number: NonEmpty
    trade_name: str | None = None
    address: AddressSchema
    languages: list[Language] = [Language.LV, Language.EN]


class ProfileSchema(_Section):
    """The whole file."""

    controller: ControllerSchema
    contacts: ContactsSchema
    dpo: DpoSchema | None = None
    channels: ChannelsSchema
    categories: list[CategorySchema] = Field(min_length=1)
    purposes: list[PurposeSchema] = Field(min_length=1)
    recipients: list[RecipientSchema] = []
    sources: list[SourceSchema] = []
    automated_decision_making: AutomatedDecisionsSchema = AutomatedDecisionsSchema()
    retention_rules: list[RetentionRuleSchema] = Field(min_length=1)
    legal_holds: list[LegalHoldSchema] = []
    identity: IdentitySchema = IdentitySchema()
    case_files: CaseFilesSchema | None = None
    supervisory_authority: AuthoritySchema | None = None
