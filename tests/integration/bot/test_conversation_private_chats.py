"""Only private chats: a group, supergroup or channel gets one polite message and nothing of
any request, over the real PTB Application and the Bot API stand-in.

Personas: Līga Kalniņa, who (wrongly) writes to the bot in her neighbourhood's supergroup
"Kaimiņi" where everybody reads along, and the shop's own news channel the bot was added to.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from rightsdesk.bootstrap import App
from tests.support.telegram.bot_api import BOT_USER, FakeBotApi
from tests.support.telegram.harness import run, running_bot, texts_of
from workflows.adapters.bot_tables import bot_chat_requests
from workflows.adapters.orm import requests

LIGA = 5553001
NEIGHBOURS = -1001234500001  # a supergroup
NEWS_CHANNEL = -1001234500002
OLD_GROUP = -4005001  # a basic group
LIGA_EMAIL = "liga.kalnina@example.lv"
_message_ids = itertools.count(50_000)
_query_ids = itertools.count(90_000)


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as stand_in:
        yield stand_in


def _chat(chat_id: int, kind: str) -> dict[str, Any]:
    return {"id": chat_id, "type": kind, "title": "Kaimiņi" if kind != "channel" else "Veikala ziņas"}


def _liga(language_code: str = "lv") -> dict[str, Any]:
    return {"id": LIGA, "is_bot": False, "first_name": "Līga", "language_code": language_code}


def _in_group(api: FakeBotApi, chat_id: int, kind: str = "supergroup", **content: Any) -> None:
    """A message of Līga's in a shared chat (the stand-in's own helpers make private chats only)."""
    message = {"message_id": next(_message_ids), "date": int(time.time()), "chat": _chat(chat_id, kind),
               "from": _liga(), **content}
    api._push({"message": message})


def _command(text: str) -> dict[str, Any]:
    return {"text": text, "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]}


def _press_in_group(api: FakeBotApi, chat_id: int, data: str, kind: str = "supergroup") -> None:
    """Līga presses a button under a message the bot (an older version) posted in the group."""
    bot_message = {"message_id": next(_message_ids), "date": int(time.time()), "chat": _chat(chat_id, kind),
                   "from": BOT_USER, "text": "…"}
    api._push({"callback_query": {"id": str(next(_query_ids)), "from": _liga(), "chat_instance": "kaimini",
                                  "data": data, "message": bot_message}})


def _channel_post(api: FakeBotApi, chat_id: int, text: str) -> None:
    post = {"message_id": next(_message_ids), "date": int(time.time()), "chat": _chat(chat_id, "channel"),
            "text": text}
    api._push({"channel_post": post})


async def _all_answered(api: FakeBotApi, presses: int) -> None:
    """Updates of one chat run in order: once its last (a press) is answered, all were handled."""
    ok = await asyncio.to_thread(api.wait_for, lambda: len(api.sent(method="answerCallbackQuery")) >= presses)
    assert ok, "the bot did not answer the button press"


def _requests_and_links(app: App) -> tuple[list[Any], list[Any]]:
    with app.database.connect() as connection:
        return connection.execute(select(requests)).all(), connection.execute(select(bot_chat_requests)).all()


def test_a_group_gets_one_polite_message_and_nothing_of_any_request(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            _in_group(api, NEIGHBOURS, **_command("/start"))
            _in_group(api, NEIGHBOURS, text=f"Lūdzu, dzēsiet visus manus datus, mans e-pasts ir {LIGA_EMAIL}")
            _in_group(api, NEIGHBOURS, text=LIGA_EMAIL)
            _in_group(api, NEIGHBOURS, **_command("/status"))
            _in_group(api, NEIGHBOURS, document={"file_id": "f-liga", "file_unique_id": "f-liga",
                                                 "file_name": "pieprasijums.edoc", "file_size": 2048})
            _press_in_group(api, NEIGHBOURS, "r:erasure")
            _press_in_group(api, NEIGHBOURS, "s:ok")
            await _all_answered(api, 2)
            await api.wait_for_messages(NEIGHBOURS, 1)

    run(scenario())
    [said] = api.sent(NEIGHBOURS)
    assert said.text.startswith("Labdien! Es strādāju tikai privātā sarunā")
    assert "I work only in a private chat" in said.text and "Я работаю только в личном чате" in said.text
    assert "https://t.me/rightsdesk_test_bot" in said.text
    assert LIGA_EMAIL not in said.text and "DSR-" not in said.text
    assert "reply_markup" not in said.params  # no buttons
    assert api.sent(method="getFile") == [] and api.downloads() == []
    toasts = [c.params.get("text") for c in api.sent(method="answerCallbackQuery")]
    assert toasts == ["Es strādāju tikai privātā sarunā: rakstiet man tieši."] * 2  # seen by Līga alone
    assert _requests_and_links(app) == ([], [])


def test_a_group_is_told_only_once_even_after_a_restart(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            _in_group(api, OLD_GROUP, kind="group", **_command("/start"))
            await api.wait_for_messages(OLD_GROUP, 1)
            for _ in range(10):
                _in_group(api, OLD_GROUP, kind="group", **_command("/help"))
            _press_in_group(api, OLD_GROUP, "r:access")
            await _all_answered(api, 1)
        async with running_bot(app, api):  # the "once" is stored, not kept in memory
            _in_group(api, OLD_GROUP, kind="group", text="Vai kāds te ir?")
            _press_in_group(api, OLD_GROUP, "r:access")
            await _all_answered(api, 2)

    run(scenario())
    assert len(api.sent(OLD_GROUP)) == 1


def test_a_channel_post_gets_one_polite_message_and_opens_nothing(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            _channel_post(api, NEWS_CHANNEL, "Lūdzu, pārtrauciet sūtīt man reklāmas")
            await api.wait_for_messages(NEWS_CHANNEL, 1)
            _channel_post(api, NEWS_CHANNEL, "/start")
            _channel_post(api, NEWS_CHANNEL, "Dzēsiet manus datus")
            _press_in_group(api, NEWS_CHANNEL, "r:erasure", kind="channel")  # a button under a post
            await _all_answered(api, 1)
            api.send_text(LIGA, "/help")  # Līga's private chat runs alongside
            await api.wait_for_messages(LIGA, 1)

    run(scenario())
    assert len(api.sent(NEWS_CHANNEL)) == 1
    assert "reply_markup" not in api.sent(NEWS_CHANNEL)[0].params
    assert texts_of(api, LIGA)[0].startswith("Komandas:")
    assert _requests_and_links(app) == ([], [])


def test_a_private_chat_still_makes_a_request_after_the_group_was_refused(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            _in_group(api, NEIGHBOURS, text="Lūdzu, pārtrauciet sūtīt man reklāmas")
            await api.wait_for_messages(NEIGHBOURS, 1)
            api.send_text(LIGA, "Lūdzu, pārtrauciet sūtīt man reklāmas")
            await api.wait_for_messages(LIGA, 1)
            api.press(LIGA, "d:all")
            await api.wait_for_messages(LIGA, 2)
            api.press(LIGA, "c:skip")
            await api.wait_for_messages(LIGA, 3)
            api.press(LIGA, "s:ok")
            await api.wait_for_messages(LIGA, 5)

    run(scenario())
    assert texts_of(api, LIGA)[3].startswith("Pieprasījums reģistrēts. Numurs: DSR-2026-000001.")
    assert len(api.sent(NEIGHBOURS)) == 1
    rows, links = _requests_and_links(app)
    assert [(r.claimed_chat_id, r.rights) for r in rows] == [(str(LIGA), "marketing_objection")]
    assert [link.chat_id for link in links] == [LIGA]


def _membership(api: FakeBotApi, chat_id: int, old: str, new: str) -> None:
    """Telegram's my_chat_member update: somebody added the bot to, or removed it from, a group."""
    change = {"chat": _chat(chat_id, "supergroup"), "from": _liga(), "date": int(time.time()),
              "old_chat_member": {"user": BOT_USER, "status": old, "until_date": 0},
              "new_chat_member": {"user": BOT_USER, "status": new, "until_date": 0}}
    api._push({"my_chat_member": change})


def test_a_group_the_bot_is_added_to_is_told_at_once_and_only_once(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            _membership(api, NEIGHBOURS, "left", "member")
            await api.wait_for_messages(NEIGHBOURS, 1)
            _in_group(api, NEIGHBOURS, **_command("/start"))
            _press_in_group(api, NEIGHBOURS, "r:erasure")
            await _all_answered(api, 1)

    run(scenario())
    assert len(api.sent(NEIGHBOURS)) == 1
    assert api.sent(NEIGHBOURS)[0].text.startswith("Labdien! Es strādāju tikai privātā sarunā")


def test_a_group_that_removed_the_bot_is_told_when_it_adds_the_bot_again(app: App, api: FakeBotApi) -> None:
    async def scenario() -> None:
        async with running_bot(app, api):
            _membership(api, NEIGHBOURS, "member", "kicked")
            _press_in_group(api, NEIGHBOURS, "r:erasure")
            await _all_answered(api, 1)
            assert api.sent(NEIGHBOURS) == []  # nothing is sent to a group that removed the bot
            _membership(api, NEIGHBOURS, "kicked", "member")
            await api.wait_for_messages(NEIGHBOURS, 1)

    run(scenario())
    assert len(api.sent(NEIGHBOURS)) == 1
