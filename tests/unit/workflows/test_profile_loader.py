"""The controller profile loads from TOML, and every mistake in it is reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.adapters.profile_loader import load_profile
from workflows.domain.errors import ConfigurationError
from workflows.domain.profile import DATU_VALSTS_INSPEKCIJA, LegalBasis, RecipientRole
from workflows.domain.rights import Channel, Right

PROFILES = Path(__file__).resolve().parents[3] / "rightsdesk" / "examples" / "profiles"
RETAIL = PROFILES / "retail.toml"
BOOKSHOP = PROFILES / "bookshop.toml"


def _problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigurationError) as caught:
        load_profile(path)
    return caught.value.problems


def _broken_copy(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    text = RETAIL.read_text(encoding="utf-8")
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    broken = tmp_path / "retail.toml"
    broken.write_text(text, encoding="utf-8")
    return broken


@pytest.mark.parametrize("path", [RETAIL, BOOKSHOP], ids=["retail", "bookshop"])
def test_example_profile_loads(path: Path) -> None:
    profile = load_profile(path)
    assert profile.categories and profile.purposes and profile.retention_rules
    assert all("lv" in purpose.name for purpose in profile.purposes)


def test_retail_profile_names_couriers_and_keeps_sales_documents_five_years() -> None:
    profile = load_profile(RETAIL)
    assert profile.recipient("dpd").role is RecipientRole.PROCESSOR
    assert profile.retention_rule("sales_documents").period.years == 5
    assert profile.retention_rule("accounting_registers").period.years == 10
    assert profile.purpose("marketing_consent").legal_basis is LegalBasis.CONSENT
    assert Channel.TELEGRAM in profile.channels.enabled


def test_recipient_outside_eea_carries_its_transfer_safeguard() -> None:
    profile = load_profile(RETAIL)
    abroad = [recipient for recipient in profile.recipients if recipient.outside_eea]
    assert abroad and all(recipient.transfer_safeguard for recipient in abroad)


def test_missing_sections_take_the_law_defaults() -> None:
    profile = load_profile(BOOKSHOP)
    assert profile.supervisory_authority == DATU_VALSTS_INSPEKCIJA
    assert profile.identity.tier_for(Right.MARKETING_OBJECTION) == 1
    assert profile.identity.tier_for(Right.ACCESS) == 3


def test_every_problem_is_reported_at_once_with_file_and_key(tmp_path: Path) -> None:
    broken = _broken_copy(
        tmp_path,
        ('legal_basis = "contract"', 'legal_basis = "contrakt"'),
        ('retention = ["web_analytics"]', 'retention = ["web_analytix"]'),
        ("access = 3", "access = 4"),
        ('name = { lv = "Vārds un uzvārds", ', "name = { "),
    )
    problems = _problems_of(broken)
    assert len(problems) == 4
    assert all(problem.startswith(f"{broken}: ") for problem in problems)
    assert any("purposes[0].legal_basis: must be one of consent, contract," in p and "'contrakt'" in p
               for p in problems)
    assert any("purposes[8].retention[0]: unknown retention rule 'web_analytix'" in p for p in problems)
    assert any("identity.access: must be at most 3" in p for p in problems)
    assert any("categories[0].name: a Latvian text" in p for p in problems)


def test_unknown_key_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    broken = _broken_copy(tmp_path, ("privacy_notice_url =", "privacy_notise_url ="))
    problems = _problems_of(broken)
    assert problems == [f"{broken}: contacts.privacy_notise_url: unknown key; did you mean 'privacy_notice_url'?"]


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "retail.toml"
    broken.write_text('[controller]\nname = "SIA MonaOK"\nregistration_number = = "1"\n', encoding="utf-8")
    (problem,) = _problems_of(broken)
    assert str(broken) in problem and "line 3" in problem


def test_tier_one_rights_cannot_be_made_harder(tmp_path: Path) -> None:
    broken = _broken_copy(tmp_path, ("marketing_objection = 1", "marketing_objection = 3"))
    (problem,) = _problems_of(broken)
    assert "identity.marketing_objection: must be 1" in problem


def test_legitimate_interests_purpose_must_state_the_interest(tmp_path: Path) -> None:
    broken = _broken_copy(
        tmp_path,
        ('legitimate_interest = { lv = "preču efektīvāka pārdošana un klientu noturēšana", en = "selling goods '
         'more effectively and keeping customers", ru = "более эффективная продажа товаров и удержание клиентов" }\n',
         ""),
    )
    (problem,) = _problems_of(broken)
    assert "purposes[5].legitimate_interest: required" in problem


def test_non_eea_recipient_without_safeguard_is_rejected(tmp_path: Path) -> None:
    broken = _broken_copy(tmp_path, ('country = "EE"', 'country = "CN"'))
    (problem,) = _problems_of(broken)
    assert "recipients[4].transfer_safeguard: required for a recipient outside the EEA (CN)" in problem


def test_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    (problem,) = _problems_of(tmp_path / "absent.toml")
    assert "absent.toml: cannot read the file" in problem
