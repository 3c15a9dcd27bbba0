"""Alembic migrations build exactly the schema the code expects (workflows.adapters.orm)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select

from workflows.adapters import migrate, request_search
from workflows.adapters.audit import CHAINS
from workflows.adapters.database import make_engine
from workflows.adapters.orm import audit_head, metadata


@pytest.fixture
def empty_database(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        # The name index's FTS5 table and pg_trgm indexes are not SQLAlchemy metadata; they
        # have their own tests (tests/integration/workflows/test_request_search.py).
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": request_search.include_name}
        )
        return list(compare_metadata(context, metadata))


def test_upgrade_of_an_empty_database_matches_the_code(empty_database: Engine) -> None:
    migrate.upgrade(empty_database)
    assert _differences(empty_database) == []


def test_upgrade_brings_the_database_to_head(empty_database: Engine) -> None:
    migrate.upgrade(empty_database)
    assert migrate.is_up_to_date(empty_database)
    assert migrate.current_revision(empty_database) == migrate.head_revision()


def test_upgrade_creates_the_audit_chain_genesis(empty_database: Engine) -> None:
    migrate.upgrade(empty_database)
    with empty_database.connect() as connection:
        heads = connection.execute(select(audit_head.c.last_seq, audit_head.c.last_hash)).all()
    assert heads == [(0, "0" * 64)] * CHAINS


def test_second_upgrade_is_harmless(empty_database: Engine) -> None:
    migrate.upgrade(empty_database)
    tables_before = sorted(inspect(empty_database).get_table_names())
    migrate.upgrade(empty_database)
    assert sorted(inspect(empty_database).get_table_names()) == tables_before
    assert _differences(empty_database) == []
    with empty_database.connect() as connection:
        assert len(connection.execute(select(audit_head)).all()) == CHAINS


def test_empty_database_is_not_up_to_date(empty_database: Engine) -> None:
    assert not migrate.is_up_to_date(empty_database)
