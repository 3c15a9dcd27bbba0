"""The sample shop on every backend, for integration tests (datamap and execution alike).

``shop_database_url`` yields a URL of an empty database on SQLite, PostgreSQL (a fresh schema,
when RIGHTSDESK_TEST_POSTGRES_URL is set) or MariaDB (a fresh database, when
RIGHTSDESK_TEST_MARIADB_URL is set); anything else is skipped with the reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

POSTGRES_ENV = "RIGHTSDESK_TEST_POSTGRES_URL"
MARIADB_ENV = "RIGHTSDESK_TEST_MARIADB_URL"
ROOT = Path(__file__).resolve().parents[3]
SHOP_DATAMAP = ROOT / "rightsdesk" / "examples" / "shop" / "datamap.toml"
RETAIL_PROFILE = ROOT / "rightsdesk" / "examples" / "profiles" / "retail.toml"
TODAY = date(2026, 3, 3)
"""The day the seed data is written relative to (a Tuesday, like tests/conftest.py's clock)."""

BACKENDS = [
    "sqlite",
    pytest.param("postgresql", marks=pytest.mark.postgres),
    pytest.param("mariadb", marks=pytest.mark.mariadb),
]


def shop_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'shop.db'}"
    elif backend == "postgresql":
        yield from _postgres(os.environ.get(POSTGRES_ENV))
    else:
        yield from _mariadb(os.environ.get(MARIADB_ENV))


def _postgres(base: str | None) -> Iterator[str]:
    if not base:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV} (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    base = base.replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _mariadb(base: str | None) -> Iterator[str]:
    if not base:
        pytest.skip(f"MariaDB tests need {MARIADB_ENV} (e.g. mysql+pymysql://root@127.0.0.1:3306/test)")
    database = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE DATABASE {database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"))
    prefix, _, query = base.partition("?")
    url = f"{prefix.rsplit('/', 1)[0]}/{database}?{query or 'charset=utf8mb4'}"
    try:
        yield url
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP DATABASE {database}"))
        admin.dispose()
