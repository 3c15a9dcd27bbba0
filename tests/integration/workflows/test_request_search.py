"""Finding a request by reference, e-mail or part of a name, through the name index.

The CLI (``RequestQueries.search``) and the console (``ConsoleQueries.list_requests``) share one
search (adapters.request_search); every test asks both and expects the same answer. On SQLite
the name goes through the FTS5 trigram table kept by migration 0012's triggers, on PostgreSQL
through the pg_trgm indexes.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from rightsdesk.bootstrap import App
from tests.conftest import POSTGRES_ENV, FixedClock
from tests.integration.workflows.conftest import AGENT, VERIFIED_CUSTOMER, Desk, qualified_signature
from workflows.adapters import migrate
from workflows.adapters.console_queries import ConsoleQueries, RequestFilter
from workflows.adapters.database import make_engine
from workflows.adapters.orm import requests
from workflows.adapters.queries import RequestQueries
from workflows.adapters.request_search import (
    POSTGRES_TRIGRAM_INDEXES,
    SQLITE_SEARCH_TABLE,
    SQLITE_TRIGGERS,
    RequestSearch,
)
from workflows.domain.deadlines import riga_date
from workflows.domain.identity import ClaimedIdentity
from workflows.service_layer import commands as c

ERIKS = ClaimedIdentity(name="Ēriks Šteins", email="Eriks.Steins@example.lv")
"""Asked at a shop counter; the assistant types his name however it comes."""
JANIS = ClaimedIdentity(name="Jānis Ozols", email="janis.ozols@example.lv")

_ERIKS_ROW = (
    "INSERT INTO requests (id, reference, rights, channel, language, state, received_at, received_on, due_on, "
    "effective_due_on, required_tier, claimed_name, claimed_email, details, version) VALUES ('r1', "
    "'DSR-2026-000001', 'access', 'email', 'lv', 'awaiting_identity', '2026-03-03 07:00:00', '2026-03-03', "
    "'2026-04-03', '2026-04-03', 1, 'Ēriks Šteins', 'eriks@example.lv', '{}', 1)"
)
"""Ēriks's request as a row, for databases the engine has not been built on."""


def _both(app: App, typed: str) -> list[str]:
    """The references the CLI and the console find for ``typed``, checked to be the same."""
    cli = [row.reference for row in RequestQueries(app.reader).search(text=typed)]
    rows, _ = ConsoleQueries(app.reader).list_requests(RequestFilter(text=typed), riga_date(app.engine.clock.now()))
    console = [row.reference for row, _ in rows]
    assert cli == console, typed
    return cli


def test_the_name_index_exists_after_the_migrations(app: App) -> None:
    assert RequestSearch(app.reader).indexed()


@pytest.mark.parametrize("typed", ["šteins", "ŠTEINS", "Šteins", "ēriks š", "ĒRIKS", "teins"])
def test_a_name_is_found_whatever_the_case_of_its_latvian_letters(desk: Desk, typed: str) -> None:
    eriks = desk.open(claimed=ERIKS)
    desk.open(claimed=JANIS)
    assert _both(desk.app, typed) == [eriks]


def test_the_verified_name_is_searched_too(desk: Desk, clock: FixedClock) -> None:
    # Līga wrote without her surname; her qualified signature carries it in capitals.
    liga = desk.open(
        claimed=ClaimedIdentity(name="Līga", email="liga@example.lv"), evidence=qualified_signature(clock.now())
    )
    assert _both(desk.app, "kalniņa") == [liga]


def test_letters_without_their_diacritics_do_not_find_the_name(desk: Desk) -> None:
    # Decided: diacritics are significant (Kalniņa is not Kalnina), on every database alike.
    desk.open(claimed=VERIFIED_CUSTOMER)
    assert _both(desk.app, "kalnina") == []
    assert _both(desk.app, "kalniņa") != []


@pytest.mark.parametrize("typed", ["Št", "št", "Ē", "ŠT", "ēr", "š"])
def test_a_term_too_short_for_trigrams_finds_the_start_of_a_word(desk: Desk, typed: str) -> None:
    eriks = desk.open(claimed=ERIKS)
    desk.open(claimed=JANIS)
    assert _both(desk.app, typed) == [eriks]


@pytest.mark.parametrize("typed", ["te", "in", "s"])
def test_a_term_too_short_for_trigrams_does_not_match_inside_a_word(desk: Desk, typed: str) -> None:
    # Two letters anywhere would list half the customers; "te" is not how anyone starts "Šteins".
    desk.open(claimed=ERIKS)
    assert _both(desk.app, typed) == []


def test_a_two_letter_term_finds_every_word_it_starts_newest_first(desk: Desk, clock: FixedClock) -> None:
    first = desk.open(claimed=ERIKS)
    clock.advance(minutes=5)
    second = desk.open(claimed=ClaimedIdentity(name="Anna Štāle", email="anna@example.lv"))
    clock.advance(minutes=5)
    third = desk.open(claimed=ClaimedIdentity(name="Ilze Kalniņa-Štolcere", email="ilze@example.lv"))
    clock.advance(minutes=5)
    fourth = desk.open(claimed=ClaimedIdentity(name="Štefans Ozols", email="stefans@example.lv"))
    desk.open(claimed=ClaimedIdentity(name="Jānis Ošta", email="janis@example.lv"))
    assert _both(desk.app, "ŠT") == [fourth, third, second, first]


def test_a_reference_is_found_in_any_case_and_only_that_one(desk: Desk) -> None:
    eriks = desk.open(claimed=ERIKS)
    desk.open(claimed=JANIS)
    assert _both(desk.app, eriks.lower()) == [eriks]


@pytest.mark.parametrize("typed", ["Eriks.Steins@example.lv", "eriks.steins@example.lv"])
def test_an_email_address_is_found_as_typed_or_in_lower_case(desk: Desk, typed: str) -> None:
    eriks = desk.open(claimed=ERIKS)
    desk.open(claimed=JANIS)
    assert _both(desk.app, typed) == [eriks]


def test_part_of_an_email_address_finds_nothing(desk: Desk) -> None:
    # An address is matched whole: "@example.lv" must not list every customer.
    desk.open(claimed=ERIKS)
    assert _both(desk.app, "@example.lv") == []


@pytest.mark.parametrize("typed", ["%", "_", 'Šteins"', "ēriks OR jānis", "\\"])
def test_wildcards_and_query_syntax_are_taken_literally(desk: Desk, typed: str) -> None:
    desk.open(claimed=ERIKS)
    desk.open(claimed=JANIS)
    assert _both(desk.app, typed) == []


def test_a_purged_case_leaves_the_name_index(desk: Desk, clock: FixedClock) -> None:
    reference = desk.open_in_progress()
    desk.app.engine.handle(c.CompleteRequest(reference, AGENT, note="data sent"))
    assert _both(desk.app, "kalniņa") == [reference]
    clock.advance(days=3 * 366 + 1)
    desk.app.engine.handle(c.PurgeClosedCases(now=clock.now()))
    assert _both(desk.app, "kalniņa") == []
    if desk.app.database.dialect.name == "sqlite":
        with desk.app.database.connect() as connection:
            left = connection.execute(text(f"SELECT count(*) FROM {SQLITE_SEARCH_TABLE}")).scalar_one()
        assert left == 0


def test_a_changed_name_is_found_by_its_new_spelling_only(desk: Desk) -> None:
    # Staff corrected a misread name; the index follows the row.
    reference = desk.open(claimed=ClaimedIdentity(name="Eriks Steins", email="eriks@example.lv"))
    with desk.app.database.begin() as connection:
        connection.execute(
            text("UPDATE requests SET claimed_name = :name WHERE reference = :reference"),
            {"name": "Ēriks Šteins", "reference": reference},
        )
    assert _both(desk.app, "šteins") == [reference]
    assert _both(desk.app, "steins") == []


def test_requests_opened_before_the_index_existed_are_found(database_url: str, tmp_path: object) -> None:
    # Upgrading an installation with cases: migration 0012 indexes the rows already there.
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine, "0011")
        with engine.begin() as connection:
            connection.execute(
                text(_ERIKS_ROW)
            )
        migrate.upgrade(engine)
        assert [r.reference for r in RequestQueries(engine).search(text="šteins")] == ["DSR-2026-000001"]
    finally:
        engine.dispose()


def _plan(app: App, typed: str) -> str:
    condition = RequestSearch(app.reader).condition(typed)
    assert condition is not None
    query = select(requests.c.reference).where(condition)
    with app.reader.connect() as connection:
        if app.reader.dialect.name == "sqlite":
            compiled = query.compile(app.reader, compile_kwargs={"literal_binds": True})
            return "\n".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}"))
        # A table this small is read whole anyway; forbid that to see the index can serve it.
        connection.exec_driver_sql("SET enable_seqscan = off")
        compiled = query.compile(app.reader, compile_kwargs={"literal_binds": True})
        return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {compiled}"))


@pytest.mark.parametrize("typed", ["šteins", "št"])
def test_the_name_search_reads_the_index(app: App, typed: str) -> None:
    plan = _plan(app, typed)
    if app.reader.dialect.name == "sqlite":
        assert f"{SQLITE_SEARCH_TABLE} VIRTUAL TABLE INDEX" in plan, plan
    else:
        assert all(name in plan for name in POSTGRES_TRIGRAM_INDEXES), plan


def test_the_email_search_reads_an_index_in_any_case(app: App) -> None:
    plan = _plan(app, "Eriks.Steins@Example.lv")
    kind = "nocase" if app.reader.dialect.name == "sqlite" else "lower"
    assert f"ix_requests_claimed_email_{kind}" in plan, plan
    assert f"ix_requests_verified_email_{kind}" in plan, plan


def test_without_the_index_the_search_scans_and_says_so(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # As on a SQLite older than 3.34 or a PostgreSQL without pg_trgm: same answers, a warning.
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                for trigger in SQLITE_TRIGGERS:
                    connection.exec_driver_sql(f"DROP TRIGGER {trigger}")
                connection.exec_driver_sql(f"DROP TABLE {SQLITE_SEARCH_TABLE}")
            else:
                for name in POSTGRES_TRIGRAM_INDEXES:
                    connection.exec_driver_sql(f"DROP INDEX {name}")
            connection.execute(
                text(_ERIKS_ROW)
            )
        with caplog.at_level(logging.WARNING, logger="workflows.adapters.request_search"):
            found = [r.reference for r in RequestQueries(engine).search(text="šteins")]
        assert found == ["DSR-2026-000001"]
        assert "name search scans every request" in caplog.text
    finally:
        engine.dispose()


def test_a_name_shared_by_hundreds_of_cases_lists_the_newest_first(desk: Desk, clock: FixedClock) -> None:
    # Bērziņš is among the commonest Latvian surnames: past a few hundred matches the search
    # walks the newest requests instead of sorting every match (SQLite); the answer is the same.
    eriks = desk.open(claimed=ERIKS)
    rows = [
        {
            "id": f"b{number:05d}",
            "reference": f"DSR-2025-{number:06d}",
            "received_at": f"2025-01-01 {number // 60 % 24:02d}:{number % 60:02d}:00",
            "name": f"Jānis Bērziņš {number}",
        }
        for number in range(1, 301)
    ]
    with desk.app.database.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO requests (id, reference, rights, channel, language, state, received_at, "
                "received_on, due_on, effective_due_on, required_tier, claimed_name, details, version) "
                "VALUES (:id, :reference, 'access', 'email', 'lv', 'completed', :received_at, "
                "'2025-01-01', '2025-02-01', '2025-02-01', 1, :name, '{}', 1)"
            ),
            rows,
        )
    newest = [row["reference"] for row in sorted(rows, key=lambda r: r["received_at"], reverse=True)][:50]
    assert _both(desk.app, "BĒRZIŅŠ") == newest
    assert _both(desk.app, "bērziņš 123") == ["DSR-2025-000123"]
    assert _both(desk.app, "bē") == newest
    assert _both(desk.app, "šteins") == [eriks]


@pytest.fixture
def database_without_pg_trgm() -> Iterator[str]:
    """A fresh PostgreSQL database without pg_trgm, and a role that may not install it."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}")
    suffix = uuid.uuid4().hex[:10]
    database, role = f"rd_notrgm_{suffix}", f"rd_notrgm_{suffix}"
    admin_url = make_url(base).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        connection.exec_driver_sql(f'CREATE DATABASE "{database}"')
    inside = create_engine(admin_url.set(database=database), isolation_level="AUTOCOMMIT")
    with inside.connect() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA rightsdesk AUTHORIZATION "{role}"')
    inside.dispose()
    try:
        url = make_url(base).set(database=database, username=role).render_as_string(hide_password=False)
        yield f"{url}?options=-csearch_path%3Drightsdesk"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{database}" WITH (FORCE)')
            connection.exec_driver_sql(f'DROP ROLE "{role}"')
        admin.dispose()


@pytest.mark.postgres
def test_without_pg_trgm_the_migration_warns_and_the_search_still_finds_names(
    database_without_pg_trgm: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A hosted PostgreSQL where the application's role may not install extensions.
    engine = make_engine(database_without_pg_trgm)
    try:
        with caplog.at_level(logging.WARNING):
            migrate.upgrade(engine)
        assert "pg_trgm could not be installed" in caplog.text
        assert migrate.is_up_to_date(engine)
        with engine.begin() as connection:
            connection.execute(text(_ERIKS_ROW))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="workflows.adapters.request_search"):
            found = [r.reference for r in RequestQueries(engine).search(text="šteins")]
        assert found == ["DSR-2026-000001"]
        assert "no pg_trgm index" in caplog.text
        assert [r.reference for r in RequestQueries(engine).search(text="ERIKS@example.lv")] == ["DSR-2026-000001"]
    finally:
        engine.dispose()


def test_downgrading_0012_removes_the_index_and_upgrading_again_rebuilds_it(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text(_ERIKS_ROW))
        config = migrate.alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0011")
        assert not RequestSearch(engine).indexed()
        migrate.upgrade(engine)
        assert RequestSearch(engine).indexed()
        assert [r.reference for r in RequestQueries(engine).search(text="ŠTEINS")] == ["DSR-2026-000001"]
    finally:
        engine.dispose()
