"""Load a controller profile from TOML, reporting every problem at once.

Each problem names the file, the key path and what is wrong in plain words, e.g.
``retail.toml: purposes[2].legal_basis: must be one of consent, contract, ... (got 'contrakt')``.
Unknown keys are errors: a misspelt key must not silently fall back to a default.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from workflows.adapters import profile_schema as schema
from workflows.adapters.toml_files import key_path, read_toml
from workflows.domain.errors import ConfigurationError
from workflows.domain.profile import (
    DATU_VALSTS_INSPEKCIJA,
    EEA_COUNTRIES,
    AutomatedDecisionMaking,
    Channels,
    Contacts,
    ControllerProfile,
    DataCategory,
    DataProtectionOfficer,
    DataSource,
    IdentityPolicy,
    LegalHold,
    LocalText,
    Period,
    PostalAddress,
    Purpose,
    Recipient,
    RetentionRule,
    SupervisoryAuthority,
)
from workflows.domain.rights import Channel, Language, Right


def load_profile(path: Path) -> ControllerProfile:
    """Read, validate and cross-check the profile at ``path``.

    Raises ConfigurationError whose ``problems`` lists every problem found.
    """
    where = str(path)
    raw = read_toml(path)
    return profile_from_mapping(raw, where)


def profile_from_mapping(raw: Mapping[str, object], where: str = "<profile>") -> ControllerProfile:
    """Validate an already parsed profile; ``where`` prefixes every problem."""
    problems: list[str] = []
    validated: schema.ProfileSchema | None = None
    try:
        validated = schema.ProfileSchema.model_validate(raw)
    except ValidationError as exc:
        problems.extend(f"{where}: {_describe(error)}" for error in exc.errors(include_url=False))
    problems.extend(f"{where}: {problem}" for problem in _cross_check(raw))
    if problems or validated is None:
        raise ConfigurationError(
            f"{where}: the controller profile has {len(problems)} problem(s)", problems=problems, path=where
        )
    return _to_domain(validated)


# --- describing pydantic errors in plain words -------------------------------------------------


def _describe(error: ErrorDetails) -> str:
    # Pydantic appends function-after[...] style parts for validators on unions; drop them.
    loc = [part for part in error["loc"] if not (isinstance(part, str) and "[" in part)]
    key, kind, ctx = key_path(loc), error["type"], error.get("ctx", {})
    got = error.get("input")
    if kind == "extra_forbidden":
        hint = _did_you_mean(loc)
        return f"{key}: unknown key{hint}"
    if kind == "missing":
        return f"{key}: required key is missing"
    if kind == "enum":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"{key}: must be one of {expected} (got {got!r})"
    if kind == "value_error":
        return f"{key}: {ctx.get('error', error['msg'])}"
    plain = {
        "string_type": "must be text",
        "int_type": "must be a whole number",
        "int_parsing": "must be a whole number",
        "bool_type": "must be true or false",
        "bool_parsing": "must be true or false",
        "list_type": "must be a list",
        "dict_type": "must be a table",
        "model_type": "must be a table",
        "model_attributes_type": "must be a table",
        "string_too_short": "must not be empty",
        "too_short": f"must have at least {ctx.get('min_length', 1)} entry",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "string_pattern_mismatch": _pattern_hint(str(ctx.get("pattern", ""))),
    }.get(kind, error["msg"])
    return f"{key}: {plain} (got {got!r})"


def _pattern_hint(pattern: str) -> str:
    if pattern == r"^[A-Z]{2}$":
        return "must be a two-letter ISO 3166 country code in capitals, e.g. LV"
    return "must use only lower-case letters, digits and underscores"


def _did_you_mean(loc: Sequence[int | str]) -> str:
    model = _model_at(schema.ProfileSchema, loc[:-1])
    if model is None or not isinstance(loc[-1], str):
        return ""
    close = difflib.get_close_matches(loc[-1], list(model.model_fields), n=1)
    return f"; did you mean {close[0]!r}?" if close else f"; allowed keys: {', '.join(model.model_fields)}"


def _model_at(model: type[BaseModel], loc: Sequence[int | str]) -> type[BaseModel] | None:
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        found = _find_model(field.annotation) if field else None
        if found is None:
            return None
        model = found
    return model


def _find_model(annotation: object) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType, typing.Annotated):
        for argument in typing.get_args(annotation):
            found = _find_model(argument)
            if found is not None:
                return found
    return None


# --- cross-checks over the raw mapping, so they run even when other keys are wrong -----------


def _entries(raw: Mapping[str, object], section: str) -> Iterator[tuple[int, Mapping[str, object]]]:
    value = raw.get(section)
    if isinstance(value, list):
        for index, entry in enumerate(value):
            if isinstance(entry, Mapping):
                yield index, entry


def _ids(raw: Mapping[str, object], section: str) -> set[str]:
    return {str(entry["id"]) for _, entry in _entries(raw, section) if "id" in entry}


def _references(entry: Mapping[str, object], key: str) -> Iterator[tuple[int, str]]:
    value = entry.get(key)
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield index, item


def _cross_check(raw: Mapping[str, object]) -> Iterator[str]:
    yield from _duplicate_ids(raw)
    known = {
        "categories": (_ids(raw, "categories"), "category"),
        "retention": (_ids(raw, "retention_rules"), "retention rule"),
        "recipients": (_ids(raw, "recipients"), "recipient"),
    }
    for section, keys in (
        ("purposes", known),
        ("recipients", {"categories": known["categories"]}),
        ("sources", {"categories": known["categories"]}),
    ):
        for index, entry in _entries(raw, section):
            for key, (ids, noun) in keys.items():
                for ref_index, ref in _references(entry, key):
                    if ref not in ids:
                        yield f"{section}[{index}].{key}[{ref_index}]: unknown {noun} {ref!r}"
    for index, purpose in _entries(raw, "purposes"):
        if purpose.get("legal_basis") == "legitimate_interests" and "legitimate_interest" not in purpose:
            yield (
                f"purposes[{index}].legitimate_interest: required when the legal basis is "
                "legitimate_interests (Art. 13(1)(d))"
            )
    for index, recipient in _entries(raw, "recipients"):
        country = recipient.get("country", "LV")
        if isinstance(country, str) and country not in EEA_COUNTRIES and "transfer_safeguard" not in recipient:
            yield (
                f"recipients[{index}].transfer_safeguard: required for a recipient outside the EEA "
                f"({country}); name the adequacy decision or safeguard (Art. 15(2), 46)"
            )
    yield from _check_channels(raw)
    yield from _check_small_sections(raw)


def _duplicate_ids(raw: Mapping[str, object]) -> Iterator[str]:
    for section in ("categories", "purposes", "recipients", "retention_rules", "sources", "legal_holds"):
        seen: set[object] = set()
        for index, entry in _entries(raw, section):
            if entry.get("id") in seen:
                yield f"{section}[{index}].id: duplicate id {entry.get('id')!r}"
            seen.add(entry.get("id"))


def _check_channels(raw: Mapping[str, object]) -> Iterator[str]:
    channels = raw.get("channels")
    if not isinstance(channels, Mapping) or not isinstance(channels.get("enabled"), list):
        return
    enabled = channels["enabled"]
    if Channel.TELEGRAM.value in enabled and not channels.get("telegram_bot"):
        yield "channels.telegram_bot: required when the telegram channel is enabled"
    if Channel.IN_PERSON.value in enabled and not channels.get("in_person_locations"):
        yield "channels.in_person_locations: required when the in_person channel is enabled"


def _check_small_sections(raw: Mapping[str, object]) -> Iterator[str]:
    automated = raw.get("automated_decision_making")
    if isinstance(automated, Mapping) and automated.get("used") is True and "description" not in automated:
        yield "automated_decision_making.description: required when used = true (Art. 15(1)(h))"
    controller = raw.get("controller")
    languages = controller.get("languages") if isinstance(controller, Mapping) else None
    if isinstance(languages, list) and Language.LV.value not in languages:
        yield "controller.languages: must include 'lv' (Official Language Law)"
    identity = raw.get("identity")
    if isinstance(identity, Mapping):
        for right in (Right.MARKETING_OBJECTION, Right.CONSENT_WITHDRAWAL):
            tier = identity.get(right.value)
            if isinstance(tier, int) and tier != 1:
                yield (
                    f"identity.{right.value}: must be 1; an objection to marketing or a consent "
                    "withdrawal is never blocked (Art. 21(3), 7(3))"
                )


# --- conversion to the domain ------------------------------------------------------------------


def _text(text: dict[str, str] | None) -> LocalText | None:
    return None if text is None else MappingProxyType(dict(text))


def _required_text(text: dict[str, str]) -> LocalText:
    return MappingProxyType(dict(text))


def _period(period: schema.PeriodSchema) -> Period:
    return Period(years=period.years, months=period.months, days=period.days)


def _address(address: schema.AddressSchema) -> PostalAddress:
    return PostalAddress(address.street, address.city, address.postcode, address.country)


def _to_domain(doc: schema.ProfileSchema) -> ControllerProfile:
    tiers = {Right(key): value for key, value in doc.identity.model_dump().items() if value is not None}
    authority = DATU_VALSTS_INSPEKCIJA
    if doc.supervisory_authority is not None:
        sa = doc.supervisory_authority
        authority = SupervisoryAuthority(_required_text(sa.name), _address(sa.address), sa.email, sa.website, sa.phone)
    return ControllerProfile(
        name=doc.controller.name,
        registration_number=doc.controller.registration_number,
        trade_name=doc.controller.trade_name,
        address=_address(doc.controller.address),
        languages=tuple(doc.controller.languages),
        contacts=Contacts(**doc.contacts.model_dump()),
        dpo=DataProtectionOfficer(**doc.dpo.model_dump()) if doc.dpo else None,
        channels=Channels(
            enabled=tuple(doc.channels.enabled),
            privacy_email=doc.channels.privacy_email,
            telegram_bot=doc.channels.telegram_bot,
            in_person_locations=_text(doc.channels.in_person_locations),
        ),
        categories=tuple(DataCategory(c.id, _required_text(c.name), _text(c.description)) for c in doc.categories),
        purposes=tuple(
            Purpose(
                id=p.id,
                name=_required_text(p.name),
                legal_basis=p.legal_basis,
                categories=tuple(p.categories),
                retention=tuple(p.retention),
                recipients=tuple(p.recipients),
                legitimate_interest=_text(p.legitimate_interest),
            )
            for p in doc.purposes
        ),
        recipients=tuple(
            Recipient(
                id=r.id,
                name=r.name,
                role=r.role,
                service=_required_text(r.service),
                country=r.country,
                categories=tuple(r.categories),
                transfer_safeguard=_text(r.transfer_safeguard),
                art19_exemption=_text(r.art19_exemption),
                contact_email=r.contact_email,
            )
            for r in doc.recipients
        ),
        sources=tuple(DataSource(s.id, _required_text(s.name), tuple(s.categories)) for s in doc.sources),
        automated_decision_making=AutomatedDecisionMaking(
            doc.automated_decision_making.used, _text(doc.automated_decision_making.description)
        ),
        retention_rules=tuple(
            RetentionRule(
                r.id,
                _required_text(r.what),
                _period(r.period),
                _required_text(r.starts_from),
                _required_text(r.legal_basis),
                r.verify,
            )
            for r in doc.retention_rules
        ),
        legal_holds=tuple(
            LegalHold(h.id, _required_text(h.what), _required_text(h.reason), _required_text(h.legal_basis))
            for h in doc.legal_holds
        ),
        identity=IdentityPolicy(MappingProxyType(tiers)) if tiers else IdentityPolicy(),
        case_file_retention=_period(doc.case_files.retention) if doc.case_files else Period(years=3),
        supervisory_authority=authority,
    )
