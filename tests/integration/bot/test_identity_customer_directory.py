"""The customer on file, found in the sample shop through the issue-5 subject finder."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from bot.identity import DataMapCustomerDirectory
from rightsdesk.bootstrap import builtin_profile_path
from rightsdesk.demo_kit import sample_shop
from rightsdesk.demo_kit.sample_shop import LIGA
from workflows.adapters.datamap_loader import load_datamap
from workflows.adapters.profile_loader import load_profile
from workflows.domain.identity import ClaimedIdentity

DATAMAP = Path(__file__).resolve().parents[3] / "rightsdesk" / "examples" / "shop" / "datamap.toml"


@pytest.fixture
def shop(tmp_path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{tmp_path / 'shop.db'}")
    sample_shop.create_schema(engine)
    sample_shop.seed(engine, today=date(2026, 3, 3))
    return engine


def _directory(shop: Engine) -> DataMapCustomerDirectory:
    datamap = load_datamap(DATAMAP, load_profile(builtin_profile_path("retail")))
    return DataMapCustomerDirectory(datamap, lambda _name: shop.connect())


def test_customer_found_by_claimed_email_has_contacts_on_file(shop: Engine) -> None:
    found = _directory(shop).find(ClaimedIdentity(chat_id="1", email=LIGA.email.upper()))

    assert found is not None and (found.email, found.phone) == (LIGA.email, LIGA.phone)


def test_nobody_is_found_for_an_unknown_email(shop: Engine) -> None:
    assert _directory(shop).find(ClaimedIdentity(chat_id="1", email="nobody@example.lv")) is None
