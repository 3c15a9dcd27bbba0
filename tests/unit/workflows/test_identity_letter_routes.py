"""Identity letters list only the routes this installation offers for the request's channel,
with the real intake address and the request page's real link (workflows.domain.replies
offered_routes, workflows.adapters.replies InstallationRouteOffer, rightsdesk.identity_page).

Personas: Līga, who wrote by e-mail; Pēteris, who asked in the Telegram chat."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from bot.identity.web_page import LinkStatus, PageLinks
from rightsdesk.bootstrap import builtin_profile_path
from rightsdesk.identity_page import installation_routes, route_offer
from rightsdesk.settings import Settings
from tests.conftest import FixedClock
from tests.unit.workflows.reply_fact_examples import request_summary
from workflows.adapters.profile_loader import load_profile
from workflows.adapters.replies import InstallationRouteOffer, JinjaReplyRenderer
from workflows.domain.profile import ControllerProfile
from workflows.domain.replies import (
    AcknowledgementFacts,
    IdentityRoute,
    IdentityVerificationFacts,
    InstallationRoutes,
    ReplyFacts,
    ReplyKind,
    VerificationFailedFacts,
    VerificationFailure,
    offered_routes,
)
from workflows.domain.rights import Channel, Language, Right

INTAKE = "privacy@veikals.example.lv"
PAGE = "https://privatums.example.lv"
SECRET = "identity-secret-for-tests-0123456789abcdef"
EVERYTHING = InstallationRoutes(
    signed_email_address=INTAKE, eid_login=True, one_time_codes=True, telegram=True, web_page=True
)


@pytest.fixture(scope="module")
def retail() -> ControllerProfile:
    return load_profile(builtin_profile_path("retail"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 3, 7, 0, tzinfo=UTC))


def _settings(**sections: dict[str, object]) -> Settings:
    base: dict[str, object] = {"smtp_in": {"recipients": [INTAKE]}}
    base.update(sections)
    return Settings.model_validate(base)


def _letters(renderer: JinjaReplyRenderer, profile: ControllerProfile, facts: ReplyFacts) -> list[str]:
    texts = []
    for language in Language:
        reply = renderer.render(facts.kind, language, facts, profile)
        texts += [reply.text, reply.html]
    return texts


def _identity_facts(channel: Channel = Channel.EMAIL, right: Right = Right.ACCESS, tier: int = 3) -> list[ReplyFacts]:
    request = replace(request_summary(right), channel=channel)
    return [
        IdentityVerificationFacts(request, required_tier=tier),
        VerificationFailedFacts(request, VerificationFailure.CODE_WRONG, required_tier=tier),
        AcknowledgementFacts(request, identity_verification_needed=True, required_tier=tier),
    ]


def test_letters_of_an_installation_without_oidc_and_telegram_mention_neither(
    retail: ControllerProfile, clock: FixedClock
) -> None:
    settings = _settings(
        serve={"public_url": PAGE}, identity={"secret": SECRET}, controller={"datamap": "datamap.toml"}
    )
    renderer = JinjaReplyRenderer(routes=route_offer(settings, retail, clock))

    for channel in (Channel.EMAIL, Channel.TELEGRAM):
        for facts in _identity_facts(channel, Right.RECTIFICATION, tier=2) + _identity_facts(channel):
            for text in _letters(renderer, retail, facts):
                assert "Telegram" not in text and "@MonaOK" not in text
                # The eID login always names Smart-ID; signing with an eID card is not a login.
                assert "Smart-ID" not in text and "eID login" not in text


def test_letters_with_oidc_and_telegram_list_them_with_the_real_page_link(
    retail: ControllerProfile, clock: FixedClock
) -> None:
    settings = _settings(
        serve={"public_url": PAGE},
        identity={"secret": SECRET},
        oidc={"issuer": "https://eid.example", "client_id": "desk", "client_secret": "s3cret"},
        telegram={"token": "123:abc"},
    )
    renderer = JinjaReplyRenderer(routes=route_offer(settings, retail, clock))
    email_letter = renderer.render(
        ReplyKind.IDENTITY_VERIFICATION_NEEDED, Language.EN, _identity_facts()[0], retail
    ).text
    chat_letter = renderer.render(
        ReplyKind.IDENTITY_VERIFICATION_NEEDED, Language.EN, _identity_facts(Channel.TELEGRAM)[0], retail
    ).text

    link = next(word for word in email_letter.split() if word.startswith(PAGE + "/identity/request/DSR-2026-000123."))
    links = PageLinks(SECRET.encode(), PAGE, clock)
    assert links.read(link.rsplit("/", 1)[1]).status is LinkStatus.VALID
    assert "log in with eID" in email_letter and "Telegram" not in email_letter
    assert "Telegram chat @MonaOKPrivatumsBot, choose the eID login" in chat_letter
    assert PAGE not in chat_letter


def test_signed_files_go_to_the_address_the_mail_intake_receives(retail: ControllerProfile) -> None:
    # The profile says privatums@monaok.example; the intake receives only privacy@veikals.example.lv.
    routes = installation_routes(_settings(), retail)
    renderer = JinjaReplyRenderer(routes=InstallationRouteOffer(routes))

    for facts in _identity_facts():
        for language in Language:
            text = renderer.render(facts.kind, language, facts, retail).text
            options = [line for line in text.splitlines() if line.startswith("- ") and ".edoc" in line]
            assert len(options) == 1 and INTAKE in options[0]
            assert retail.channels.privacy_email not in options[0]


def test_email_requesters_are_never_told_to_enter_a_code_without_a_page_to_enter_it_on(
    retail: ControllerProfile,
) -> None:
    no_page = replace(EVERYTHING, web_page=False)
    renderer = JinjaReplyRenderer(routes=InstallationRouteOffer(no_page))

    letter = renderer.render(
        ReplyKind.IDENTITY_VERIFICATION_NEEDED, Language.EN, _identity_facts(right=Right.RECTIFICATION, tier=2)[0],
        retail,
    ).text

    assert "one-time code" not in letter and "Smart-ID" not in letter
    assert INTAKE in letter


def test_without_any_route_the_letter_says_visit_a_shop_with_an_id_document_and_nothing_else(
    retail: ControllerProfile,
) -> None:
    renderer = JinjaReplyRenderer()  # no intake, no page, no chat

    for language in Language:
        facts = _identity_facts(right=Right.RECTIFICATION, tier=2)[0]
        text = renderer.render(ReplyKind.IDENTITY_VERIFICATION_NEEDED, language, facts, retail).text
        options = [line for line in text.splitlines() if line.startswith("- ")]
        assert len(options) == 1
        assert "MonaOK" in options[0] and "DSR-2026-000123" in options[0]
        assert "eparaksts" not in text.lower() and "@" not in text.split("\n\n")[2]


def test_a_one_time_code_is_not_offered_for_a_copy_of_the_data(retail: ControllerProfile) -> None:
    assert IdentityRoute.WEB_PAGE_CODE not in offered_routes(EVERYTHING, Channel.EMAIL, 3)
    assert IdentityRoute.CHAT_CODE not in offered_routes(EVERYTHING, Channel.TELEGRAM, 3)
    assert IdentityRoute.WEB_PAGE_CODE in offered_routes(EVERYTHING, Channel.EMAIL, 2)


def test_chat_routes_are_offered_only_to_chat_requests_and_page_routes_only_to_the_others() -> None:
    email = offered_routes(EVERYTHING, Channel.EMAIL, 2)
    chat = offered_routes(EVERYTHING, Channel.TELEGRAM, 2)

    assert not {IdentityRoute.CHAT_CODE, IdentityRoute.CHAT_EID, IdentityRoute.CHAT_DOCUMENT} & set(email)
    assert not {IdentityRoute.WEB_PAGE_CODE, IdentityRoute.WEB_PAGE_EID, IdentityRoute.SIGNED_EMAIL} & set(chat)
    assert offered_routes(replace(EVERYTHING, telegram=False), Channel.TELEGRAM, 2) == (IdentityRoute.SHOP_VISIT,)


def test_no_mail_intake_means_no_signed_email_route(retail: ControllerProfile) -> None:
    settings = _settings(serve={"services": ["web", "worker"]})

    assert installation_routes(settings, retail).signed_email_address is None


def test_the_intake_address_is_the_profile_privacy_address_when_the_intake_receives_it(
    retail: ControllerProfile,
) -> None:
    settings = _settings(smtp_in={"recipients": ["other@monaok.example", "Privatums@monaok.example"]})

    assert installation_routes(settings, retail).signed_email_address == "Privatums@monaok.example"


def test_the_page_link_stops_working_when_tampered_with_or_expired(clock: FixedClock) -> None:
    links = PageLinks(SECRET.encode(), PAGE, clock)
    url, last_day = links.link("DSR-2026-000123")
    token = url.rsplit("/", 1)[1]
    reference, expiry, mac = token.split(".")

    assert links.read(token).reference == "DSR-2026-000123"
    assert last_day == date(2026, 4, 2)
    assert links.read(f"DSR-2026-000124.{expiry}.{mac}").status is LinkStatus.INVALID
    assert links.read(f"{reference}.{int(expiry) + 86400}.{mac}").status is LinkStatus.INVALID
    other_last = "B" if mac.endswith("A") else "A"
    assert links.read(f"{reference}.{expiry}.{mac[:-1]}{other_last}").status is LinkStatus.INVALID
    assert PageLinks(b"another-installation-secret-0123456789", PAGE, clock).read(token).status is LinkStatus.INVALID
    assert links.read(f"{reference}.{'9' * 5000}.{mac}").status is LinkStatus.INVALID
    assert links.read("not-a-token").status is LinkStatus.INVALID
    clock.advance(days=31)
    assert links.read(token).status is LinkStatus.EXPIRED


def test_the_renderer_keeps_routes_the_engine_gave(retail: ControllerProfile) -> None:
    renderer = JinjaReplyRenderer(routes=InstallationRouteOffer(EVERYTHING))
    facts = IdentityVerificationFacts(request_summary(), required_tier=3)
    given = replace(facts, routes=InstallationRouteOffer().routes_for(facts.request, 3))

    text = renderer.render(ReplyKind.IDENTITY_VERIFICATION_NEEDED, Language.EN, given, retail).text

    assert INTAKE not in text
