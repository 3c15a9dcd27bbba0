"""Odd input and abuse: unknown commands, stray messages, floods, big files,
a user who blocked the bot, and a restart in the middle of a conversation."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import select

from rightsdesk.bootstrap import App
from tests.support.telegram.bot_api import FakeBotApi
from tests.support.telegram.harness import run, running_bot, texts_of
from tests.unit.workflows.reply_fact_examples import request_summary
from workflows.adapters.bot_tables import bot_blocked_chats
from workflows.adapters.orm import outbox, requests
from workflows.domain.replies import IdentityVerificationFacts
from workflows.domain.rights import Right
from workflows.service_layer import commands as c

CUSTOMER = 5551001
IMPOSTOR = 5551002  # someone who floods the bot


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as stand_in:
        yield stand_in


def test_unknown_command_is_answered_with_help(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            api.send_text(CUSTOMER, "/delete_everything")
            await api.wait_for_messages(CUSTOMER, 1)

    run(scenario())
    said = texts_of(api, CUSTOMER)[0]
    assert said.startswith("Šādu komandu nezinu.")
    assert "/start" in said


def test_stray_message_gets_a_hint_how_to_start(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            api.send_text(CUSTOMER, "labdien")
            await api.wait_for_messages(CUSTOMER, 1)

    run(scenario())
    assert texts_of(api, CUSTOMER) == [
        "Lai iesniegtu pieprasījumu, rakstiet /start. Statuss: /status. Palīdzība: /help."
    ]


def test_flood_is_told_once_and_then_ignored(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api, rate_limit_updates=3, rate_limit_window_seconds=60):
            for _ in range(8):
                api.send_text(IMPOSTOR, "/help")
            api.send_text(CUSTOMER, "/help")
            await api.wait_for_messages(CUSTOMER, 1)
            await api.wait_for_messages(IMPOSTOR, 4)

    run(scenario())
    said = texts_of(api, IMPOSTOR)
    assert len(said) == 4
    assert said[3] == "Pārāk daudz ziņu īsā laikā. Brīdi uzgaidiet — pagaidām neatbildēšu."


def test_file_over_the_limit_is_refused_without_downloading_it(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api, max_file_bytes=1024 * 1024):
            api.send_document(CUSTOMER, b"%PDF-1.7 small body", "request.pdf", reported_size=20 * 1024 * 1024)
            await api.wait_for_messages(CUSTOMER, 1)

    run(scenario())
    assert texts_of(api, CUSTOMER) == ["Fails ir pārāk liels (ne vairāk kā 1 MB)."]
    assert api.sent(method="getFile") == [] and api.downloads() == []


def test_file_nobody_asked_for_is_not_downloaded(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            api.send_document(CUSTOMER, b"hello", "notes.txt")
            await api.wait_for_messages(CUSTOMER, 1)

    run(scenario())
    assert texts_of(api, CUSTOMER) == ["Failus pieņemu tikai identitātes apstiprināšanai ar parakstītu dokumentu."]
    assert api.downloads() == []


def test_blocked_user_is_no_longer_notified_and_the_request_goes_on(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api) as runner:
            await _register_erasure(api, CUSTOMER)
            api.blocked.add(CUSTOMER)
            # Staff remind her to verify; the reminder goes to the chat: 403 Forbidden.
            reminder = IdentityVerificationFacts(replace(request_summary(Right.ERASURE), reference="DSR-2026-000001"))
            app.engine.handle(c.SendReply("DSR-2026-000001", reminder, actor="staff:agnese"))
            await runner.notifier.run_once()
            await runner.notifier.run_once()

    run(scenario())
    with app.database.connect() as connection:
        assert connection.execute(select(bot_blocked_chats.c.chat_id)).scalars().all() == [CUSTOMER]
        assert connection.execute(select(outbox.c.status)).scalars().all() == ["dead"]
        assert connection.execute(select(requests.c.state)).scalar_one() == "awaiting_identity"
    assert len(api.sent(CUSTOMER)) == 6 + 1  # the conversation, then one refused notification


def test_restart_in_the_middle_of_a_conversation_loses_nothing(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            api.send_text(CUSTOMER, "/start")
            api.press(CUSTOMER, "r:rectification")
            api.press(CUSTOMER, "r:go")
            await api.wait_for_messages(CUSTOMER, 2)
        async with running_bot(app, api):  # a new Application on the same database
            api.send_text(CUSTOMER, "Mans uzvārds ir Bērziņa, nevis Berzina")
            await api.wait_for_messages(CUSTOMER, 3)
            api.press(CUSTOMER, "c:skip")
            await api.wait_for_messages(CUSTOMER, 4)
            api.press(CUSTOMER, "s:ok")
            await api.wait_for_messages(CUSTOMER, 6)

    run(scenario())
    assert texts_of(api, CUSTOMER)[4].startswith("Pieprasījums reģistrēts. Numurs: DSR-2026-000001.")
    with app.database.connect() as connection:
        row = connection.execute(select(requests)).one()
    assert (row.rights, row.details["correction_text"]) == ("rectification", "Mans uzvārds ir Bērziņa, nevis Berzina")


async def _register_erasure(api: FakeBotApi, chat_id: int) -> None:
    api.send_text(chat_id, "/start")
    api.press(chat_id, "r:erasure")
    api.press(chat_id, "r:go")
    await api.wait_for_messages(chat_id, 2)
    api.press(chat_id, "d:all")
    await api.wait_for_messages(chat_id, 3)
    api.press(chat_id, "c:skip")
    await api.wait_for_messages(chat_id, 4)
    api.press(chat_id, "s:ok")
    await api.wait_for_messages(chat_id, 6)  # registered, then the verification routes
