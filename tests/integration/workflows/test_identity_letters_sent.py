"""The identity letters the engine queues list the routes of the installation it runs on
(SQLite and PostgreSQL): the outbox row is what leaves, so the test reads it.

Personas: Līga, who wrote by e-mail; Pēteris, who asked in the Telegram chat."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from rightsdesk.bootstrap import App, build_app
from tests.conftest import FixedClock, make_settings
from workflows.adapters.orm import outbox
from workflows.domain.identity import ClaimedIdentity
from workflows.domain.replies import VerificationFailure
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer import commands as c

INTAKE = "privacy@veikals.example.lv"
SECRET = "identity-letter-test-secret-0123456789abcdef"
PUBLIC = "https://privatums.example.lv"


def _app(database_url: str, tmp_path: Path, clock: FixedClock, **sections: dict[str, object]) -> Iterator[App]:
    built = build_app(
        make_settings(database_url, tmp_path, smtp_in={"recipients": [INTAKE]}, **sections), clock=clock
    )
    yield built
    built.close()


@pytest.fixture
def bare(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[App]:
    """Mail intake only: no [oidc], no [telegram], no page."""
    yield from _app(database_url, tmp_path, clock)


@pytest.fixture
def full(database_url: str, tmp_path: Path, clock: FixedClock) -> Iterator[App]:
    """[oidc], [telegram], [identity] secret and a public address: every route there is."""
    yield from _app(
        database_url,
        tmp_path,
        clock,
        serve={"public_url": PUBLIC},
        identity={"secret": SECRET},
        oidc={"issuer": "https://eid.example", "client_id": "desk", "client_secret": "s3cret"},
        telegram={"token": "123:abc"},
    )


def _open(app: App, channel: Channel, **claimed: str) -> str:
    reference: str = app.engine.handle(
        c.OpenRequest(
            channel=channel,
            rights=frozenset({Right.ACCESS}),
            language=Language.EN,
            claimed=ClaimedIdentity(**claimed),
            received_at=app.engine.clock.now(),
        )
    )
    return reference


def _letters(app: App, kind: str) -> list[Any]:
    with app.database.connect() as connection:
        return list(connection.execute(select(outbox).where(outbox.c.kind == kind).order_by(outbox.c.created_at)))


def test_liga_is_told_of_neither_eid_nor_the_chat_where_neither_is_configured(bare: App) -> None:
    _open(bare, Channel.EMAIL, name="Līga Bērziņa", email="liga.berzina@example.lv")

    (letter,) = _letters(bare, "identity_verification_needed")
    assert INTAKE in letter.text
    assert "Telegram" not in letter.text and "Smart-ID" not in letter.text and "one-time code" not in letter.text
    assert "/identity/request/" not in letter.text


def test_liga_gets_the_page_link_and_the_real_intake_address_where_eid_is_configured(full: App) -> None:
    reference = _open(full, Channel.EMAIL, name="Līga Bērziņa", email="liga.berzina@example.lv")

    (letter,) = _letters(full, "identity_verification_needed")
    assert f"{PUBLIC}/identity/request/{reference}." in letter.text
    assert "log in with eID (eParaksts mobile, Smart-ID or an eID card)" in letter.text
    assert f"send the signed .edoc file to {INTAKE}" in letter.text
    assert "Telegram" not in letter.text  # the chat cannot verify an e-mail request


def test_peteris_is_offered_the_chat_routes_in_his_chat_where_telegram_and_eid_are_configured(full: App) -> None:
    reference = _open(full, Channel.TELEGRAM, chat_id="7001")
    full.engine.handle(c.RecordVerificationFailure(reference, VerificationFailure.SIGNER_NOT_DATA_SUBJECT))

    (letter,) = _letters(full, "verification_failed")
    assert (letter.channel, letter.recipient) == ("telegram", "7001")
    assert "In our Telegram chat @MonaOKPrivatumsBot, choose the eID login" in letter.text
    assert "/identity/request/" not in letter.text


def test_peteris_is_offered_only_a_shop_visit_where_the_chat_is_no_longer_configured(bare: App) -> None:
    reference = _open(bare, Channel.TELEGRAM, chat_id="7002")
    bare.engine.handle(c.RecordVerificationFailure(reference, VerificationFailure.SIGNER_NOT_DATA_SUBJECT))

    (letter,) = _letters(bare, "verification_failed")
    options = [line for line in letter.text.splitlines() if line.startswith("- ")]
    assert len(options) == 1 and "with an identity document" in options[0]
