"""Replies render in every language for every right, safely, and say what the law asks."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from tests.unit.workflows.reply_fact_examples import VERIFIED_CUSTOMER, example_facts, request_summary
from workflows.adapters import reply_vocabulary as vocab
from workflows.adapters.profile_loader import load_profile
from workflows.adapters.replies import JinjaReplyRenderer, ReplyTemplateError
from workflows.domain.profile import ControllerProfile, Period, UnknownProfileEntry
from workflows.domain.replies import (
    AccessFacts,
    AcknowledgementFacts,
    DeadlineExtendedFacts,
    DeliveryMethod,
    ExtensionReason,
    RefusalFacts,
    RefusalReason,
    ReplyFactsError,
    ReplyKind,
    RestrictionGround,
    VerificationFailure,
)
from workflows.domain.rights import Channel, Language, Right

PROFILES = Path(__file__).resolve().parents[3] / "rightsdesk" / "examples" / "profiles"
IMPOSTOR_NAME = '<script>alert("x")</script>'


@pytest.fixture(scope="module")
def renderer() -> JinjaReplyRenderer:
    return JinjaReplyRenderer()


@pytest.fixture(scope="module", params=["retail", "bookshop"])
def profile(request: pytest.FixtureRequest) -> ControllerProfile:
    return load_profile(PROFILES / f"{request.param}.toml")


@pytest.fixture(scope="module")
def retail() -> ControllerProfile:
    return load_profile(PROFILES / "retail.toml")


@pytest.mark.parametrize("right", list(Right))
@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", list(ReplyKind))
def test_every_template_renders_for_every_right(
    renderer: JinjaReplyRenderer, profile: ControllerProfile, kind: ReplyKind, language: Language, right: Right
) -> None:
    request = request_summary(right=right, language=language)
    reply = renderer.render(kind, language, example_facts(kind, request, profile), profile)
    assert reply.subject.startswith(f"[{request.reference}] ")
    assert request.reference in reply.text and request.reference in reply.html
    assert reply.html.lstrip().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("language", list(Language))
def test_html_escapes_a_hostile_name(renderer: JinjaReplyRenderer, retail: ControllerProfile,
                                     language: Language) -> None:
    request = request_summary(language=language, person_name=IMPOSTOR_NAME)
    reply = renderer.render(ReplyKind.ACKNOWLEDGEMENT, language, AcknowledgementFacts(request), retail)
    assert "<script>" not in reply.html
    assert "&lt;script&gt;" in reply.html
    assert IMPOSTOR_NAME in reply.text


@pytest.mark.parametrize("language", list(Language))
def test_a_name_cannot_add_lines_to_the_plain_text(renderer: JinjaReplyRenderer, retail: ControllerProfile,
                                                   language: Language) -> None:
    request = request_summary(language=language, person_name="Anna\r\nPlease wire EUR 500 to LV00HABA")
    reply = renderer.render(ReplyKind.ACKNOWLEDGEMENT, language, AcknowledgementFacts(request), retail)
    assert not any(line.startswith("Please wire") for line in reply.text.splitlines())


@pytest.mark.parametrize("kind", list(ReplyKind))
def test_subject_never_contains_a_line_break(renderer: JinjaReplyRenderer, retail: ControllerProfile,
                                             kind: ReplyKind) -> None:
    from dataclasses import replace

    request = replace(request_summary(), reference="DSR-2026-000123\r\nBcc: impostor@evil.example")
    reply = renderer.render(kind, Language.LV, example_facts(kind, request, retail), retail)
    assert "\n" not in reply.subject and "\r" not in reply.subject


def test_latvian_acknowledgement_gives_reference_and_latvian_due_date(
    renderer: JinjaReplyRenderer, retail: ControllerProfile
) -> None:
    request = request_summary(language=Language.LV)
    reply = renderer.render(ReplyKind.ACKNOWLEDGEMENT, Language.LV, AcknowledgementFacts(request), retail)
    assert "[DSR-2026-000123]" in reply.subject
    assert "DSR-2026-000123" in reply.text
    assert "2026. gada 7. aprīlī" in reply.text and "2026. gada 7. aprīlī" in reply.html


@pytest.mark.parametrize("language", list(Language))
def test_access_reply_names_the_recipients_found_for_this_person(
    renderer: JinjaReplyRenderer, retail: ControllerProfile, language: Language
) -> None:
    facts = AccessFacts(request_summary(language=language), data_found=True, purposes=("delivery",),
                        categories=("address",), recipients=("dpd", "omniva"), retention_rules=("customer_account",))
    reply = renderer.render(ReplyKind.ACCESS_REPLY, language, facts, retail)
    assert "DPD Latvija SIA" in reply.text and "SIA Omniva" in reply.text
    assert "DPD Latvija SIA" in reply.html
    assert "Maksekeskus AS" not in reply.text  # tailored, not the privacy policy pasted


def test_access_reply_tells_how_to_complain_to_the_data_state_inspectorate(
    renderer: JinjaReplyRenderer, retail: ControllerProfile
) -> None:
    facts = AccessFacts(request_summary(), data_found=False)
    reply = renderer.render(ReplyKind.ACCESS_REPLY, Language.LV, facts, retail)
    assert "Datu valsts inspekcija" in reply.text and "pasts@dvi.gov.lv" in reply.text


def test_erasure_reply_says_what_is_kept_and_until_when(renderer: JinjaReplyRenderer,
                                                        retail: ControllerProfile) -> None:
    facts = example_facts(ReplyKind.ERASURE_DONE, request_summary(language=Language.EN), retail)
    reply = renderer.render(ReplyKind.ERASURE_DONE, Language.EN, facts, retail)
    assert "Receipts, invoices and waybills (INV-2025-0042): Accounting Law, Section 28" in reply.text
    assert "until 31 December 2031" in reply.text
    assert "restricted to that purpose" in reply.text


def test_refusal_names_complaint_and_judicial_remedy(renderer: JinjaReplyRenderer,
                                                     retail: ControllerProfile) -> None:
    facts = RefusalFacts(request_summary(language=Language.RU), reasons=(RefusalReason.RIGHTS_OF_OTHERS,))
    reply = renderer.render(ReplyKind.REFUSAL, Language.RU, facts, retail)
    assert "ст. 77 ОРЗД" in reply.text and "обратиться в суд" in reply.text


def test_facts_for_another_kind_are_refused(renderer: JinjaReplyRenderer, retail: ControllerProfile) -> None:
    with pytest.raises(ReplyTemplateError):
        renderer.render(ReplyKind.REFUSAL, Language.LV, AcknowledgementFacts(request_summary()), retail)


def test_unknown_recipient_id_is_a_workflow_error(renderer: JinjaReplyRenderer, retail: ControllerProfile) -> None:
    facts = AccessFacts(request_summary(), data_found=True, recipients=("no_such_courier",))
    with pytest.raises(UnknownProfileEntry):
        renderer.render(ReplyKind.ACCESS_REPLY, Language.LV, facts, retail)


def test_extension_without_new_due_date_is_rejected() -> None:
    with pytest.raises(ReplyFactsError):
        DeadlineExtendedFacts(request_summary(), reasons=(ExtensionReason.COMPLEXITY,))


def test_excessive_refusal_needs_staff_written_reason() -> None:
    with pytest.raises(ReplyFactsError):
        RefusalFacts(request_summary(), reasons=(RefusalReason.EXCESSIVE,))


@pytest.mark.parametrize(
    ("language", "expected"),
    [("lv", "2026. gada 5. martā"), ("en", "5 March 2026"), ("ru", "5 марта 2026 г.")],
)
def test_dates_are_written_the_way_each_language_writes_them(language: str, expected: str) -> None:
    assert vocab.format_date(date(2026, 3, 5), language) == expected


@pytest.mark.parametrize(
    ("period", "language", "expected"),
    [
        (Period(years=1), "lv", "1 gads"), (Period(years=21), "lv", "21 gads"), (Period(years=10), "lv", "10 gadi"),
        (Period(days=30), "lv", "30 dienas"), (Period(years=2), "ru", "2 года"), (Period(years=5), "ru", "5 лет"),
        (Period(years=21), "ru", "21 год"), (Period(years=2, months=6), "en", "2 years and 6 months"),
    ],
)
def test_periods_use_the_right_plural(period: Period, language: str, expected: str) -> None:
    assert vocab.format_period(period, language) == expected


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize(
    ("table", "members"),
    [
        (vocab.RIGHT_NAMES, list(Right)), (vocab.VERIFICATION_FAILURES, list(VerificationFailure)),
        (vocab.EXTENSION_REASONS, list(ExtensionReason)), (vocab.REFUSAL_REASONS, list(RefusalReason)),
        (vocab.DELIVERY_METHODS, list(DeliveryMethod)), (vocab.RESTRICTION_GROUNDS, list(RestrictionGround)),
        (vocab.CHANNEL_NAMES, list(Channel)),
    ],
)
def test_every_enum_member_has_wording_in_every_language(
    table: vocab.Words, members: list[str], language: Language
) -> None:
    assert set(members) <= set(table[language.value])


def test_greeting_uses_the_persons_name_in_english(renderer: JinjaReplyRenderer, retail: ControllerProfile) -> None:
    request = request_summary(language=Language.EN)
    reply = renderer.render(ReplyKind.ACKNOWLEDGEMENT, Language.EN, AcknowledgementFacts(request), retail)
    assert reply.text.startswith(f"Dear {VERIFIED_CUSTOMER},")


def test_a_template_using_a_missing_variable_fails_loudly(tmp_path: Path, retail: ControllerProfile) -> None:
    (tmp_path / "lv").mkdir()
    for suffix in ("subject", "txt", "html"):
        (tmp_path / "lv" / f"acknowledgement.{suffix}.j2").write_text("{{ request.reference }} {{ no_such_fact }}")
    with pytest.raises(ReplyTemplateError):
        JinjaReplyRenderer(tmp_path).render(
            ReplyKind.ACKNOWLEDGEMENT, Language.LV, AcknowledgementFacts(request_summary()), retail
        )
