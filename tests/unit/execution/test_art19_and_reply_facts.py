"""Who is told under Art. 19, and what an erasure reply says is kept (Art. 17(3))."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from workflows.adapters.connectors.recipients import recipients_to_notify
from workflows.adapters.profile_loader import load_profile
from workflows.domain.plans import KeptRows
from workflows.domain.profile import ControllerProfile
from workflows.domain.replies import KeptRecord
from workflows.domain.rights import Language
from workflows.service_layer.execution import kept_records
from workflows.service_layer.notices import notice_language

PROFILES = Path(__file__).resolve().parents[3] / "rightsdesk" / "examples" / "profiles"


@pytest.fixture(scope="module")
def profile() -> ControllerProfile:
    return load_profile(PROFILES / "retail.toml")


def test_couriers_are_told_about_erased_delivery_data(profile: ControllerProfile) -> None:
    chosen = recipients_to_notify(profile, ["delivery"], ["address", "contact"])
    assert set(chosen.notify) == {"omniva", "dpd", "latvijas_pasts"}


def test_recipient_marked_disproportionate_is_listed_apart_not_told(profile: ControllerProfile) -> None:
    chosen = recipients_to_notify(profile, ["sales"], ["payment"])
    assert "swedbank" in chosen.exempt and "swedbank" not in chosen.notify


def test_recipient_of_other_categories_is_not_told(profile: ControllerProfile) -> None:
    chosen = recipients_to_notify(profile, ["marketing_consent"], ["identity"])
    assert "sms_platform" not in chosen.notify  # receives contact data only
    assert "email_platform" in chosen.notify


def test_foreign_recipient_gets_the_notice_in_english(profile: ControllerProfile) -> None:
    assert notice_language(profile, "sms_platform") is Language.EN
    assert notice_language(profile, "omniva") is Language.LV


def test_kept_rows_become_one_record_per_rule_until_its_latest_date() -> None:
    kept = [
        KeptRows("orders", 1, "consumer_claims", date(2028, 2, 1)),
        KeptRows("order_lines", 2, "consumer_claims", date(2028, 2, 1)),
        KeptRows("payments", 1, "accounting_registers", date(2030, 12, 31)),
        KeptRows("payments_old", 1, "accounting_registers", date(2035, 12, 31)),
    ]
    assert kept_records(kept) == (
        KeptRecord(until=date(2035, 12, 31), retention_rule="accounting_registers"),
        KeptRecord(until=date(2028, 2, 1), retention_rule="consumer_claims"),
    )
