"""The guided request from /start to a registered request, over the real PTB Application
and the Bot API stand-in (HTTP on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from rightsdesk.bootstrap import App
from tests.support.telegram.bot_api import FakeBotApi
from tests.support.telegram.harness import last_buttons, run, running_bot, texts_of
from workflows.adapters.orm import requests

CUSTOMER = 5550001  # a verified customer's chat
OTHER_CUSTOMER = 5550002


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as stand_in:
        yield stand_in


async def _register_access_request(api: FakeBotApi, chat_id: int, *, language_code: str = "lv") -> None:
    api.send_text(chat_id, "/start", language_code=language_code)
    await api.wait_for_messages(chat_id, 1)
    api.press(chat_id, "r:access", language_code=language_code)
    api.press(chat_id, "r:go", language_code=language_code)
    await api.wait_for_messages(chat_id, 2)
    api.press(chat_id, "d:all", language_code=language_code)
    await api.wait_for_messages(chat_id, 3)
    api.send_text(chat_id, "anna@example.lv", language_code=language_code)
    await api.wait_for_messages(chat_id, 4)
    api.press(chat_id, "s:ok", language_code=language_code)
    await api.wait_for_messages(chat_id, 6)


def test_start_in_latvian_registers_an_access_request_with_reference_and_due_date(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            await _register_access_request(api, CUSTOMER)

    run(scenario())
    said = texts_of(api, CUSTOMER)
    assert said[0].startswith("Labdien!")
    assert said[4] == "Pieprasījums reģistrēts. Numurs: DSR-2026-000001.\nAtbildēsim ne vēlāk kā 07.04.2026."
    with app.database.connect() as connection:
        row = connection.execute(select(requests)).one()
    assert (row.channel, row.rights, row.state, row.claimed_chat_id) == (
        "telegram",
        "access",
        "awaiting_identity",
        str(CUSTOMER),
    )


def test_access_request_is_offered_only_strong_verification_routes(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            await _register_access_request(api, CUSTOMER)

    run(scenario())
    assert [data for _, data in last_buttons(api, CUSTOMER)] == ["v:shop:DSR-2026-000001"]


def test_telegram_language_english_is_answered_in_english(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            api.send_text(CUSTOMER, "/start", language_code="en-GB")
            await api.wait_for_messages(CUSTOMER, 1)

    run(scenario())
    assert texts_of(api, CUSTOMER)[0].startswith("Hello!")


def test_language_switch_to_russian_applies_to_the_next_answers(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            api.send_text(CUSTOMER, "/language")
            await api.wait_for_messages(CUSTOMER, 1)
            api.press(CUSTOMER, "l:ru")
            api.send_text(CUSTOMER, "/start")
            await api.wait_for_messages(CUSTOMER, 3)

    run(scenario())
    said = texts_of(api, CUSTOMER)
    assert said[1] == "Теперь я буду писать по-русски."
    assert said[2].startswith("Здравствуйте!")


def test_free_text_asking_to_stop_marketing_starts_the_request(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            api.send_text(CUSTOMER, "Lūdzu, pārtrauciet sūtīt man reklāmas")
            await api.wait_for_messages(CUSTOMER, 1)

    run(scenario())
    assert texts_of(api, CUSTOMER) == ["Kādu reklāmas saziņu pārtraukt?"]


def test_marketing_objection_over_sms_is_registered_without_verification(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            api.send_text(CUSTOMER, "stop marketing please", language_code="en")
            await api.wait_for_messages(CUSTOMER, 1)
            api.press(CUSTOMER, "d:sms", language_code="en")
            await api.wait_for_messages(CUSTOMER, 2)
            api.press(CUSTOMER, "c:skip", language_code="en")
            await api.wait_for_messages(CUSTOMER, 3)
            api.press(CUSTOMER, "s:ok", language_code="en")
            await api.wait_for_messages(CUSTOMER, 5)

    run(scenario())
    assert texts_of(api, CUSTOMER)[-1] == "No identity check is needed — we are starting work."
    with app.database.connect() as connection:
        row = connection.execute(select(requests)).one()
    assert (row.rights, row.state, row.details["marketing_channels"]) == ("marketing_objection", "in_progress", ["sms"])


def test_status_lists_only_this_chats_requests(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            await _register_access_request(api, CUSTOMER)
            api.send_text(CUSTOMER, "/status")
            api.send_text(OTHER_CUSTOMER, "/status")
            await api.wait_for_messages(CUSTOMER, 7)
            await api.wait_for_messages(OTHER_CUSTOMER, 1)

    run(scenario())
    assert texts_of(api, CUSTOMER)[-1] == (
        "Jūsu pieprasījumi:\nDSR-2026-000001: Piekļūt saviem datiem — gaida identitātes apstiprinājumu,"
        " termiņš 07.04.2026"
    )
    assert texts_of(api, OTHER_CUSTOMER) == ["Jums vēl nav pieprasījumu. Lai iesniegtu, rakstiet /start."]


def test_cancel_in_the_middle_submits_nothing(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            api.send_text(CUSTOMER, "/start")
            api.press(CUSTOMER, "r:erasure")
            api.press(CUSTOMER, "r:go")
            api.send_text(CUSTOMER, "/cancel")
            await api.wait_for_messages(CUSTOMER, 3)

    run(scenario())
    assert texts_of(api, CUSTOMER)[-1] == "Atcelts. Nekas netika iesniegts."
    with app.database.connect() as connection:
        assert connection.execute(select(requests)).all() == []


def test_cancel_after_registering_withdraws_the_chosen_request(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            await _register_access_request(api, CUSTOMER)
            api.send_text(CUSTOMER, "/cancel")
            await api.wait_for_messages(CUSTOMER, 7)
            api.press(CUSTOMER, "w:DSR-2026-000001")
            await api.wait_for_messages(CUSTOMER, 8)

    run(scenario())
    assert texts_of(api, CUSTOMER)[-1] == "Pieprasījums DSR-2026-000001 atsaukts."
    with app.database.connect() as connection:
        assert connection.execute(select(requests.c.state)).scalar_one() == "withdrawn"


def test_another_chat_cannot_withdraw_a_request_by_its_reference(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            await _register_access_request(api, CUSTOMER)
            api.press(OTHER_CUSTOMER, "w:DSR-2026-000001")
            api.send_text(OTHER_CUSTOMER, "/help")
            await api.wait_for_messages(OTHER_CUSTOMER, 1)

    run(scenario())
    with app.database.connect() as connection:
        assert connection.execute(select(requests.c.state)).scalar_one() == "awaiting_identity"
