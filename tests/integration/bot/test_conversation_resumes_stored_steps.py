"""Conversations stored in ``bot_conversations`` by an earlier release resume through the
real PTB Application after an upgrade, and one this release cannot read falls back to no
conversation (over the Bot API stand-in, on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot import texts
from bot.store import BotStore
from rightsdesk.bootstrap import App
from tests.support.telegram.bot_api import FakeBotApi
from tests.support.telegram.harness import last_buttons, run, running_bot, texts_of
from workflows.adapters.orm import requests

LIGA = 5550101  # Līga Kalniņa's chat, mid-way through a rectification request before the upgrade
STORED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as stand_in:
        yield stand_in


def test_a_draft_stored_at_the_contact_step_resumes_and_registers(app: App, api: FakeBotApi) -> None:
    stored_by_the_earlier_release = {
        "lang": "lv",
        "flow": {
            "step": "contact",
            "rights": ["rectification"],
            "details": {"correction_text": "Mans uzvārds ir Kalniņa, nevis Kalnina"},
            "pending": [],
        },
    }
    BotStore(app.database).save_conversation(LIGA, stored_by_the_earlier_release, now=STORED_AT)

    async def scenario() -> None:
        async with running_bot(app, api):
            api.send_text(LIGA, "liga.kalnina@example.lv")
            await api.wait_for_messages(LIGA, 1)
            assert [data for _, data in last_buttons(api, LIGA)] == ["s:ok", "s:restart", "s:cancel"]
            api.press(LIGA, "s:ok")
            await api.wait_for_messages(LIGA, 3)

    run(scenario())
    said = texts_of(api, LIGA)
    assert said[0].startswith("Lūdzu, pārbaudiet:")
    assert said[1].startswith("Pieprasījums reģistrēts. Numurs: DSR-2026-000001.")
    with app.database.connect() as connection:
        row = connection.execute(select(requests)).one()
    assert (row.rights, row.claimed_email) == ("rectification", "liga.kalnina@example.lv")


def test_a_stored_step_this_release_does_not_know_is_treated_as_no_conversation(app: App, api: FakeBotApi) -> None:
    unknown = {"lang": "en", "flow": {"step": "eid_wait", "reference": "DSR-2026-000001", "tier": 3}}
    BotStore(app.database).save_conversation(LIGA, unknown, now=STORED_AT)

    async def scenario() -> None:
        async with running_bot(app, api):
            api.send_text(LIGA, "hello?")
            await api.wait_for_messages(LIGA, 1)

    run(scenario())
    # No conversation (not "use the buttons"), in the language the chat chose before.
    assert texts_of(api, LIGA) == [texts.text("en", "stray")]
