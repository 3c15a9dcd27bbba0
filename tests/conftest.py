"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), a clock, the app."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from rightsdesk.bootstrap import App, build_app
from rightsdesk.settings import Settings

POSTGRES_ENV = "RIGHTSDESK_TEST_POSTGRES_URL"
MARIADB_ENV = "RIGHTSDESK_TEST_MARIADB_URL"
SHARED = Path(__file__).resolve().parents[2] / "shared"


class FixedClock:
    """A clock the test moves by hand (time is injected, never read in the domain)."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


@pytest.fixture
def clock() -> FixedClock:
    # A Tuesday morning in Riga (09:00 EET).
    return FixedClock(datetime(2026, 3, 3, 7, 0, tzinfo=UTC))


def _postgres_schema_url() -> Iterator[str]:
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each engine test runs on SQLite and on PostgreSQL (a fresh schema per test)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rightsdesk.db'}"
    else:
        yield from _postgres_schema_url()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    yield from _postgres_schema_url()


def make_settings(database_url: str, tmp_path: Path, **sections: dict[str, object]) -> Settings:
    data: dict[str, object] = {"database": {"url": database_url}, "base_dir": str(tmp_path)}
    data.update(sections)
    return Settings.model_validate(data)


@pytest.fixture
def app(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[App]:
    built = build_app(make_settings(database_url, tmp_path), clock=clock)
    yield built
    built.close()
