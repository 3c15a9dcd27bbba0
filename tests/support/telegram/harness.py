"""Run the real bot (PTB Application, long polling over HTTP) against the Bot API stand-in."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from dataclasses import replace
from typing import Any, TypeVar

from bot.app import BotConfig, BotRunner, build_application
from bot.services import VerificationHooks
from rightsdesk.bootstrap import App
from tests.support.telegram.bot_api import FakeBotApi

T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Tests are plain functions; each scenario runs in its own event loop."""
    return asyncio.run(coroutine)


def bot_config(api: FakeBotApi, **overrides: Any) -> BotConfig:
    config = BotConfig(
        token=api.token,
        base_url=api.base_url,
        base_file_url=api.base_file_url,
        poll_timeout_seconds=1,
        webhook_secret="s3cret-webhook",
    )
    return replace(config, **overrides)


@contextlib.asynccontextmanager
async def running_bot(
    app: App, api: FakeBotApi, *, hooks: VerificationHooks | None = None, **overrides: Any
) -> AsyncIterator[BotRunner]:
    """A started bot; the notifier is not started (tests call ``runner.notifier.run_once()``)."""
    config = bot_config(api, **overrides)
    application = build_application(config, engine=app.engine, database=app.database, reader=app.reader, hooks=hooks)
    runner = BotRunner(application, config, app.database, notify=False)
    await runner.start()
    try:
        yield runner
    finally:
        await runner.stop()


def texts_of(api: FakeBotApi, chat_id: int) -> list[str]:
    return [call.text for call in api.sent(chat_id)]


def last_buttons(api: FakeBotApi, chat_id: int) -> list[tuple[str, str]]:
    messages = api.sent(chat_id)
    return messages[-1].buttons() if messages else []
