"""Telling the chat: outbox rows of channel "telegram" (acknowledgements, identity requests,
staff replies, refusals: rendered by the engine in the same transaction as the change) and
every change of a request's state (``bot_chat_requests.notified_state``).

A chat whose user blocked the bot (Telegram answers 403 Forbidden) gets nothing more:
its outbox rows are given up (staff see them as dead rows) and the request goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from sqlalchemy import Engine as SqlEngine
from telegram import Bot, LinkPreviewOptions
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot import texts
from bot.store import BotStore
from workflows.adapters import outbox
from workflows.service_layer.ports import Clock

log = logging.getLogger(__name__)
TELEGRAM_LIMIT = 4096
CHANNEL = "telegram"


def chunks(message: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split a long reply on line breaks into messages Telegram accepts."""
    parts: list[str] = []
    current = ""
    for line in message.splitlines(keepends=True):
        while len(line) > limit:
            parts.append(line[:limit])
            line = line[limit:]
        if len(current) + len(line) > limit:
            parts.append(current)
            current = ""
        current += line
    if current.strip():
        parts.append(current)
    return parts or [""]


def is_private_chat_id(chat_id: int) -> bool:
    """Telegram gives a private chat the user's id (positive); groups, supergroups and channels
    have negative ids (Bot API, ``Chat.id``). Personal data is never posted where others read it
    (Art. 5(1)(f), Art. 32)."""
    return chat_id > 0


class TelegramNotifier:
    def __init__(self, bot: Bot, database: SqlEngine, store: BotStore, clock: Clock, sender_id: str) -> None:
        self._bot = bot
        self._database = database
        self._store = store
        self._clock = clock
        self._sender_id = sender_id

    async def run(self, stop: asyncio.Event, *, interval: float = 2.0) -> None:
        """Send until ``stop`` is set; a failure of one round is logged and retried next round."""
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:
                log.exception("telegram notifier round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    async def run_once(self) -> int:
        """One round: the outbox rows, then the state changes. Returns messages sent."""
        return await self.send_outbox() + await self.send_state_changes()

    async def send_outbox(self) -> int:
        sent = 0
        items = await asyncio.to_thread(outbox.claim, self._database, CHANNEL, self._sender_id, now=self._now())
        for item in items:
            chat_id = int(item.recipient)
            if not is_private_chat_id(chat_id):
                await self._failed(item, "not a private chat: nothing about a request goes to a group", permanent=True)
                continue
            if await asyncio.to_thread(self._store.is_blocked, chat_id):
                await self._failed(item, "the chat blocked the bot", permanent=True)
                continue
            body = f"{item.subject}\n\n{item.text}" if item.subject else item.text
            error = await self._send(chat_id, body)
            if error is None:
                await asyncio.to_thread(
                    outbox.mark_sent, self._database, item, now=self._now(), sender_id=self._sender_id
                )
                sent += 1
            else:
                await self._failed(item, type(error).__name__, permanent=not _retryable(error))
        return sent

    async def send_state_changes(self) -> int:
        sent = 0
        for change in await asyncio.to_thread(self._store.state_changes):
            if not is_private_chat_id(change.chat_id):
                # A request opened in a group before the bot refused groups: never post there.
                await asyncio.to_thread(self._store.mark_notified, change.request_id, change.state, now=self._now())
                continue
            lang = change.language if change.language in texts.LANGUAGES else texts.DEFAULT_LANGUAGE
            body = texts.text(
                lang, "notify_state", reference=change.reference, state=texts.text(lang, f"state.{change.state}")
            )
            error = await self._send(change.chat_id, body)
            if error is None or not _retryable(error):
                # Told, or never can be (blocked, chat gone): either way not again for this state.
                await asyncio.to_thread(self._store.mark_notified, change.request_id, change.state, now=self._now())
                sent += error is None
        return sent

    async def _send(self, chat_id: int, body: str) -> TelegramError | None:
        try:
            for part in chunks(body):
                await self._bot.send_message(
                    chat_id=chat_id, text=part, link_preview_options=LinkPreviewOptions(is_disabled=True)
                )
        except Forbidden as error:
            log.info("chat %s blocked the bot; notifications stop", chat_id)
            await asyncio.to_thread(self._store.mark_blocked, chat_id, now=self._now())
            return error
        except TelegramError as error:
            log.warning("telegram send to chat %s failed: %s", chat_id, type(error).__name__)
            return error
        return None

    async def _failed(self, item: outbox.OutboxItem, error: str, *, permanent: bool) -> None:
        await asyncio.to_thread(
            outbox.mark_failed, self._database, item, now=self._now(), error=error, permanent=permanent
        )

    def _now(self) -> datetime:
        return self._clock.now()


def _retryable(error: TelegramError) -> bool:
    """Forbidden (blocked) and BadRequest (chat not found) will not change by retrying."""
    if isinstance(error, RetryAfter):
        return True
    return not isinstance(error, Forbidden | BadRequest)
