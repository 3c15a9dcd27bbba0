"""Fixtures: the seeded sample shop on SQLite, PostgreSQL and MariaDB, its data map and profile."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from rightsdesk.demo_kit import sample_shop
from tests.integration.datamap.shop_databases import BACKENDS, RETAIL_PROFILE, SHOP_DATAMAP, TODAY, shop_database_url
from workflows.adapters.datamap_loader import load_datamap
from workflows.adapters.profile_loader import load_profile
from workflows.domain.datamap import DataMap
from workflows.domain.profile import ControllerProfile


@pytest.fixture(params=BACKENDS)
def shop_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from shop_database_url(request.param, tmp_path)


@pytest.fixture
def shop_engine(shop_url: str) -> Iterator[Engine]:
    engine = create_engine(shop_url)
    sample_shop.create_schema(engine)
    sample_shop.seed(engine, today=TODAY)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def retail_profile() -> ControllerProfile:
    return load_profile(RETAIL_PROFILE)


@pytest.fixture(scope="session")
def shop_datamap(retail_profile: ControllerProfile) -> DataMap:
    return load_datamap(SHOP_DATAMAP, retail_profile)
