"""The stand-in's chat page in real headless Chromium (Debian's chromium + chromedriver, driven by
Selenium): the visitor sends /start, sees the bot's answer with its buttons, presses one, and the
bot's text stays text while its links become links. Screenshots go to ``test-artifacts/demo_chat/``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rightsdesk.demo_kit.bot_api import FakeBotApi
from tests.support.browser import chromium, skip_without_chromium

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "demo_chat"
CHAT = 777000222

skip_without_chromium()

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as stand_in:
        yield stand_in


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with chromium(tmp_path / "chromium-profile", console_log=True) as driver:
        driver.set_window_size(1000, 1200)
        yield driver


def _updates(api: FakeBotApi, offset: int = 0) -> list[dict[str, Any]]:
    response = httpx.post(f"{api.base_url}{api.token}/getUpdates", json={"timeout": 5, "offset": offset})
    result: list[dict[str, Any]] = response.json()["result"]
    return result


def _bot(api: FakeBotApi, method: str, **params: Any) -> dict[str, Any]:
    result: dict[str, Any] = httpx.post(f"{api.base_url}{api.token}/{method}", json=params).json()["result"]
    return result


def test_a_visitor_chats_with_the_bot_in_a_browser_and_bot_text_stays_text(api: FakeBotApi, browser: Any) -> None:
    wait = WebDriverWait(browser, 10)
    browser.get(api.page_url)
    chat = browser.find_element(By.ID, "chat")
    chat.clear()
    chat.send_keys(str(CHAT))
    browser.find_element(By.CSS_SELECTOR, "#who button[type=submit]").click()
    assert "Sarunas ID" in browser.find_element(By.TAG_NAME, "header").text  # Latvian by default

    next(b for b in browser.find_elements(By.CSS_SELECTOR, "#commands button") if b.text == "/start").click()
    [start] = _updates(api)
    assert (start["message"]["text"], start["message"]["chat"]["id"]) == ("/start", CHAT)
    hostile = (
        '<img src=x onerror="document.title=1"> Pieslēgties: https://eid.example.lv/login?s=1&x=2. javascript:alert(1)'
    )
    sent = _bot(
        api,
        "sendMessage",
        chat_id=CHAT,
        text=hostile,
        reply_markup={"inline_keyboard": [[{"text": "Piekļuve", "callback_data": "r:access"}]]},
    )
    wait.until(lambda driver: driver.find_elements(By.CSS_SELECTOR, ".msg.bot .row button"))
    bot_message = browser.find_element(By.CSS_SELECTOR, ".msg.bot")
    assert '<img src=x onerror="document.title=1">' in bot_message.text
    assert not browser.find_elements(By.CSS_SELECTOR, "#log img")
    [link] = bot_message.find_elements(By.TAG_NAME, "a")
    assert link.get_attribute("href") == "https://eid.example.lv/login?s=1&x=2"
    assert link.get_attribute("rel") == "noopener noreferrer"
    browser.save_screenshot(str(ARTIFACTS / "01-bot-message.png"))

    bot_message.find_element(By.CSS_SELECTOR, ".row button").click()
    [press] = _updates(api, offset=start["update_id"] + 1)
    assert press["callback_query"]["data"] == "r:access"
    assert press["callback_query"]["message"]["message_id"] == sent["message_id"]
    _bot(api, "editMessageText", chat_id=CHAT, message_id=sent["message_id"], text="Izvēlēta piekļuve.")
    wait.until(lambda driver: "Izvēlēta piekļuve." in driver.find_element(By.ID, "log").text)
    assert len(browser.find_elements(By.CSS_SELECTOR, ".msg.bot")) == 1  # edited in place
    assert not browser.find_elements(By.CSS_SELECTOR, ".msg.bot .row button")
    time.sleep(0.2)
    browser.save_screenshot(str(ARTIFACTS / "02-edited.png"))
    assert browser.title != "1"
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
