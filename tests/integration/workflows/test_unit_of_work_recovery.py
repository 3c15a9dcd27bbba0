"""A unit of work that fails to open leaves nothing behind in its context.

If connecting or ``BEGIN`` fails, ``__exit__`` never runs; a unit of work that had already
registered itself as the active one would then be "joined" by every later unit of work in
the same thread or task, and each would fail. These tests make opening fail for real — a
SQLite file locked by another writer past a short busy timeout, a PostgreSQL role out of
connections — and show Līga's next request being registered as soon as the obstacle is gone.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from rightsdesk.bootstrap import App, build_app
from tests.conftest import FixedClock, make_settings
from tests.integration.workflows.conftest import Desk


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'rightsdesk.db'}"


def _shorten_busy_timeout(app: App) -> None:
    """New connections of the writer engine wait 100 ms for the lock instead of 30 s."""

    @event.listens_for(app.database, "connect")
    def _short_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=100")

    app.database.dispose()  # connections opened by the migration keep the long timeout


def test_a_begin_that_times_out_on_a_locked_sqlite_file_does_not_break_the_next_request(
    sqlite_url: str, tmp_path: Path, clock: FixedClock
) -> None:
    app = build_app(make_settings(sqlite_url, tmp_path), clock=clock)
    try:
        _shorten_busy_timeout(app)
        desk = Desk(app)
        # Another writer (a second worker process, a backup) holds SQLite's single write lock.
        holder = sqlite3.connect(str(make_url(sqlite_url).database), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(OperationalError, match="locked"):
                desk.open()
        finally:
            holder.execute("ROLLBACK")
            holder.close()

        # Same thread, same context: the retry opens its own transaction and commits.
        reference = desk.open()
        assert desk.state(reference) == "awaiting_identity"
        second = desk.open()
        assert desk.state(second) == "awaiting_identity"
    finally:
        app.close()


@pytest.fixture
def limited_role(postgres_url: str) -> Iterator[str]:
    """A URL for a PostgreSQL role that may hold one connection at a time, on the test schema."""
    role = f"uow_{uuid.uuid4().hex[:10]}"
    admin_url = make_url(postgres_url).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url)
    with admin.begin() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN CONNECTION LIMIT 1'))
        connection.execute(text(f'GRANT USAGE, CREATE ON SCHEMA "{schema}" TO "{role}"'))
    try:
        yield make_url(postgres_url).set(username=role).render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}" CASCADE'))
            connection.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


@pytest.mark.postgres
def test_a_refused_postgresql_connection_does_not_break_the_next_request(
    postgres_url: str, limited_role: str, tmp_path: Path, clock: FixedClock
) -> None:
    migrated = build_app(make_settings(postgres_url, tmp_path), clock=clock)
    with migrated.database.begin() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
        role = make_url(limited_role).username
        connection.execute(text(f'GRANT ALL ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"'))
        connection.execute(text(f'GRANT ALL ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"'))
    migrated.close()

    app = build_app(make_settings(limited_role, tmp_path), clock=clock, migrate_schema=False)
    try:
        desk = Desk(app)
        holder = psycopg.connect(make_url(limited_role).set(drivername="postgresql").render_as_string(False))
        try:
            with pytest.raises(OperationalError, match="too many connections"):
                desk.open()
        finally:
            holder.close()

        reference = desk.open()
        assert desk.state(reference) == "awaiting_identity"
    finally:
        app.close()
