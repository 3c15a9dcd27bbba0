"""The access reply tells the person how to check the seal on a sealed copy, and only then."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.workflows.reply_fact_examples import request_summary
from workflows.adapters.profile_loader import load_profile
from workflows.adapters.replies import JinjaReplyRenderer
from workflows.domain.profile import ControllerProfile
from workflows.domain.replies import AccessFacts, CopyDelivery, DeliveryMethod, ReplyKind
from workflows.domain.rights import Language

PROFILES = Path(__file__).resolve().parents[3] / "rightsdesk" / "examples" / "profiles"
LATVIAN_VALIDATOR = "https://www.eparaksts.lv/lv/Pakalpojumi/parbaudit_dokumentu"
EU_VALIDATOR = "https://ec.europa.eu/digital-building-blocks/DSS/webapp-demo/validation"


@pytest.fixture(scope="module")
def renderer() -> JinjaReplyRenderer:
    return JinjaReplyRenderer()


@pytest.fixture(scope="module")
def retail() -> ControllerProfile:
    return load_profile(PROFILES / "retail.toml")


def _access_reply(renderer: JinjaReplyRenderer, profile: ControllerProfile, language: Language,
                  *, sealed: bool) -> tuple[str, str]:
    facts = AccessFacts(request_summary(language=language), data_found=True, purposes=("delivery",),
                        delivery=CopyDelivery(DeliveryMethod.EMAIL_ATTACHMENT, ("JSON", "CSV"), sealed=sealed))
    reply = renderer.render(ReplyKind.ACCESS_REPLY, language, facts, profile)
    return reply.text, reply.html


@pytest.mark.parametrize("language", list(Language))
def test_sealed_copy_reply_says_where_to_check_the_seal(renderer: JinjaReplyRenderer, retail: ControllerProfile,
                                                        language: Language) -> None:
    text, html = _access_reply(renderer, retail, language, sealed=True)
    for where in (LATVIAN_VALIDATOR, EU_VALIDATOR, "DigiDoc4", "eParakstītājs 3.0", ".asice"):
        assert where in text and where in html


@pytest.mark.parametrize("language", list(Language))
def test_unsealed_copy_reply_says_nothing_about_a_seal(renderer: JinjaReplyRenderer, retail: ControllerProfile,
                                                       language: Language) -> None:
    text, _ = _access_reply(renderer, retail, language, sealed=False)
    assert LATVIAN_VALIDATOR not in text and ".asice" not in text
