"""The chat page of the Bot API stand-in: a visitor plays one Telegram user through its JSON
endpoints, and what they do reaches the bot as Telegram updates (HTTP on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from rightsdesk.bootstrap import App
from rightsdesk.demo_kit.bot_api import FakeBotApi
from tests.support.telegram.harness import run, running_bot

CHAT = 777000111
DEMO = {"X-Rightsdesk-Demo": "chat"}


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as stand_in:
        yield stand_in


@pytest.fixture
def page(api: FakeBotApi) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api.page_url.rstrip("/"), timeout=10) as client:
        yield client


def _updates(api: FakeBotApi) -> list[dict[str, Any]]:
    response = httpx.post(f"{api.base_url}{api.token}/getUpdates", json={"timeout": 0})
    result: list[dict[str, Any]] = response.json()["result"]
    return result


def _bot_sends(api: FakeBotApi, method: str, **params: Any) -> dict[str, Any]:
    response = httpx.post(f"{api.base_url}{api.token}/{method}", json=params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def _bot_messages(page: httpx.Client, after: int = 0) -> list[dict[str, Any]]:
    response = page.get(f"/demo/chat/{CHAT}/messages", params={"after": after})
    assert response.status_code == 200
    return [entry for entry in response.json()["messages"] if entry["from"] == "bot"]


def test_text_sent_on_the_page_reaches_get_updates_as_a_command_from_the_chosen_person(
    api: FakeBotApi, page: httpx.Client
) -> None:
    response = page.post(
        f"/demo/chat/{CHAT}/send", json={"text": "/status", "first_name": "Līga", "language_code": "en"}, headers=DEMO
    )

    assert response.status_code == 200
    [update] = _updates(api)
    message = update["message"]
    assert update["update_id"] == response.json()["update_id"]
    assert message["text"] == "/status"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 7}]
    assert message["chat"]["id"] == CHAT
    assert (message["from"]["id"], message["from"]["first_name"], message["from"]["language_code"]) == (
        CHAT,
        "Līga",
        "en",
    )


def test_text_defaults_to_latvian_and_shows_on_the_page_as_the_visitors_own(
    api: FakeBotApi, page: httpx.Client
) -> None:
    page.post(f"/demo/chat/{CHAT}/send", json={"text": "Labdien"}, headers=DEMO)

    [update] = _updates(api)
    assert update["message"]["from"]["language_code"] == "lv"
    [entry] = page.get(f"/demo/chat/{CHAT}/messages").json()["messages"]
    assert (entry["from"], entry["kind"], entry["text"]) == ("user", "text", "Labdien")


def test_a_bots_message_shows_on_the_page_with_its_buttons_in_rows(api: FakeBotApi, page: httpx.Client) -> None:
    keyboard = {
        "inline_keyboard": [
            [{"text": "Piekļuve", "callback_data": "r:access"}, {"text": "Dzēšana", "callback_data": "r:erase"}],
            [{"text": "Privātums", "url": "https://veikals.example.lv/privatums"}],
        ]
    }
    sent = _bot_sends(api, "sendMessage", chat_id=CHAT, text="Ko vēlaties?", reply_markup=keyboard)

    response = page.get(f"/demo/chat/{CHAT}/messages", params={"after": 0})

    body = response.json()
    [entry] = body["messages"]
    assert (entry["from"], entry["kind"], entry["text"], entry["message_id"]) == (
        "bot",
        "text",
        "Ko vēlaties?",
        sent["message_id"],
    )
    assert entry["buttons"] == keyboard["inline_keyboard"]
    assert body["last"] == entry["seq"]
    assert page.get(f"/demo/chat/{CHAT}/messages", params={"after": body["last"]}).json() == {
        "messages": [],
        "last": body["last"],
    }
    assert page.get("/demo/chat/1/messages").json()["messages"] == []


def test_pressing_a_button_yields_a_callback_query_on_the_bots_message(api: FakeBotApi, page: httpx.Client) -> None:
    keyboard = {"inline_keyboard": [[{"text": "Piekļuve", "callback_data": "r:access"}]]}
    sent = _bot_sends(api, "sendMessage", chat_id=CHAT, text="Ko vēlaties?", reply_markup=keyboard)

    response = page.post(
        f"/demo/chat/{CHAT}/press",
        json={"data": "r:access", "message_id": sent["message_id"], "first_name": "Līga"},
        headers=DEMO,
    )

    assert response.status_code == 200
    [update] = _updates(api)
    query = update["callback_query"]
    assert query["data"] == "r:access"
    assert (query["from"]["id"], query["from"]["first_name"], query["from"]["language_code"]) == (CHAT, "Līga", "lv")
    assert query["message"]["message_id"] == sent["message_id"]
    assert query["message"]["text"] == "Ko vēlaties?"
    pressed = page.get(f"/demo/chat/{CHAT}/messages").json()["messages"][-1]
    assert (pressed["from"], pressed["kind"], pressed["text"]) == ("user", "press", "Piekļuve")


def test_an_edit_replaces_the_message_on_the_page_and_drops_buttons_it_does_not_repeat(
    api: FakeBotApi, page: httpx.Client
) -> None:
    keyboard = {"inline_keyboard": [[{"text": "Piekļuve", "callback_data": "r:access"}]]}
    sent = _bot_sends(api, "sendMessage", chat_id=CHAT, text="Ko vēlaties?", reply_markup=keyboard)
    last = page.get(f"/demo/chat/{CHAT}/messages").json()["last"]
    page.post(f"/demo/chat/{CHAT}/press", json={"data": "r:access", "message_id": sent["message_id"]}, headers=DEMO)
    [update] = _updates(api)
    _bot_sends(api, "answerCallbackQuery", callback_query_id=update["callback_query"]["id"], text="Izvēlēts")

    _bot_sends(api, "editMessageText", chat_id=CHAT, message_id=sent["message_id"], text="Izvēlēta piekļuve.")

    notice, edit = _bot_messages(page, after=last)
    assert (notice["kind"], notice["text"]) == ("notice", "Izvēlēts")
    assert (edit["message_id"], edit["text"], edit["edited"], edit["buttons"]) == (
        sent["message_id"],
        "Izvēlēta piekļuve.",
        True,
        [],
    )


def test_an_uploaded_file_arrives_as_a_document_the_bot_can_download(api: FakeBotApi, page: httpx.Client) -> None:
    content = b"PK\x03\x04 not really a container"

    response = page.post(
        f"/demo/chat/{CHAT}/upload",
        files={"file": ("pieprasījums.edoc", content, "application/vnd.etsi.asic-e+zip")},
        data={"first_name": "Līga", "language_code": "lv"},
        headers=DEMO,
    )

    assert response.status_code == 200, response.text
    [update] = _updates(api)
    document = update["message"]["document"]
    assert (document["file_name"], document["file_size"]) == ("pieprasījums.edoc", len(content))
    assert update["message"]["from"]["first_name"] == "Līga"
    file = _bot_sends(api, "getFile", file_id=document["file_id"])
    downloaded = httpx.get(f"{api.base_file_url}{api.token}/{file['file_path']}")
    assert downloaded.content == content
    [entry] = page.get(f"/demo/chat/{CHAT}/messages").json()["messages"]
    assert (entry["from"], entry["kind"], entry["text"]) == ("user", "document", "pieprasījums.edoc")


def test_the_page_is_served_under_a_content_security_policy_without_external_urls(page: httpx.Client) -> None:
    response = page.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "connect-src 'self'" in policy
    [nonce] = set(re.findall(r"'nonce-([^']+)'", policy))
    html = response.text
    assert html.count(f'nonce="{nonce}"') == 2  # the one <style> and the one <script>
    assert len(re.findall(r"<script\b", html)) == 1
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE)
    tags = re.findall(r"<[a-z][^>]*>", html, re.IGNORECASE)
    references = [re.findall(r"\b(?:src|href|action)\s*=\s*\"([^\"]*)\"", tag, re.IGNORECASE) for tag in tags]
    assert [value for found in references for value in found] == ["data:,"]  # the empty favicon, nothing fetched
    assert "innerHTML" not in html
    assert page.get("/").headers["content-security-policy"] != policy  # a fresh nonce each time


def test_posts_without_the_demo_header_or_to_a_foreign_host_are_refused(api: FakeBotApi, page: httpx.Client) -> None:
    without_header = page.post(f"/demo/chat/{CHAT}/send", json={"text": "/start"})
    rebound = page.post(
        f"/demo/chat/{CHAT}/send", json={"text": "/start"}, headers={**DEMO, "Host": f"attacker.example:{api.port}"}
    )
    foreign_page = page.get("/", headers={"Host": "attacker.example"})

    assert (without_header.status_code, rebound.status_code, foreign_page.status_code) == (403, 421, 421)
    assert _updates(api) == []


def test_malformed_requests_are_refused_without_injecting_anything(api: FakeBotApi, page: httpx.Client) -> None:
    for action, body in [
        ("send", {"text": ""}),
        ("send", {"text": "x" * 4097}),
        ("send", {"text": "hi", "language_code": "<lv>"}),
        ("press", {"data": "x" * 65}),
        ("press", {"data": "r:go", "message_id": "1"}),
    ]:
        assert page.post(f"/demo/chat/{CHAT}/{action}", json=body, headers=DEMO).status_code == 400, (action, body)
    assert page.post(f"/demo/chat/{CHAT}/send", content=b"[1]", headers=DEMO).status_code == 400
    assert page.post(f"/demo/chat/{CHAT}/upload", data={"first_name": "x"}, headers=DEMO).status_code == 400
    assert page.get(f"/demo/chat/{CHAT}/messages", params={"after": "x"}).status_code == 400
    assert _updates(api) == []


def test_the_real_bot_answers_start_on_the_page_and_takes_a_button_press(app: App, api: FakeBotApi) -> None:
    async def scenario() -> list[dict[str, Any]]:
        async with running_bot(app, api), httpx.AsyncClient(base_url=api.page_url.rstrip("/")) as page:
            await page.post(f"/demo/chat/{CHAT}/send", json={"text": "/start"}, headers=DEMO)
            welcome = await _wait_for_bot(page, lambda entries: any(e["buttons"] for e in entries))
            with_buttons = next(e for e in welcome if e["buttons"])
            data = with_buttons["buttons"][0][0]["callback_data"]
            await page.post(
                f"/demo/chat/{CHAT}/press", json={"data": data, "message_id": with_buttons["message_id"]}, headers=DEMO
            )
            return await _wait_for_bot(page, lambda entries: len(entries) > len(welcome))

    entries = run(scenario())
    assert entries[0]["text"].startswith("Labdien!")
    assert any(entry["buttons"] for entry in entries)


async def _wait_for_bot(page: httpx.AsyncClient, done: Any, timeout: float = 10.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        messages = (await page.get(f"/demo/chat/{CHAT}/messages")).json()["messages"]
        entries = [entry for entry in messages if entry["from"] == "bot"]
        if done(entries):
            return entries
        await asyncio.sleep(0.05)
    raise TimeoutError(f"the bot said {entries}")
