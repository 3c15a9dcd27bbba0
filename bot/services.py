"""What the chat handlers work with, and small helpers they share.

Built once by :func:`bot.app.build_application` and kept in ``application.bot_data``
(never persisted). Everything is plain: the workflows engine, the bot's store, the
identity routes as callables (so the conversation runs, and is tested, before or without
any particular route), the rate limiter and the file size limit.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes
from telegram.request import BaseRequest

from bot import texts
from bot.identity.outcome import Outcome
from bot.limits import ChatRateLimiter
from bot.persistence import save_now
from bot.store import BotStore
from bot.writer import GroupWriter
from workflows.service_layer.bus import Engine

SERVICES_KEY = "rightsdesk.services"
T = TypeVar("T")

SendCode = Callable[[str, int], Outcome]
"""``(reference, chat_id) -> Outcome``: send a one-time code to the contact on file."""
CheckCode = Callable[[str, int, str], Outcome]
"""``(reference, chat_id, code) -> Outcome``."""
StartEid = Callable[[str, int], Outcome]
"""``(reference, chat_id) -> Outcome`` with the one-time eID login ``url``."""
CheckDocument = Callable[[str, int, bytes, str], Outcome]
"""``(reference, chat_id, file_bytes, filename) -> Outcome``."""
ShopVisit = Callable[[str, int], Outcome]
"""``(reference, chat_id) -> Outcome`` (SHOP_VISIT with the places)."""


@dataclass(frozen=True)
class VerificationHooks:
    """The identity routes of ``bot.identity``; a route left ``None`` is not offered.

    Called in a worker thread (they are synchronous and touch the database or a provider).
    """

    send_code: SendCode | None = None
    check_code: CheckCode | None = None
    start_eid: StartEid | None = None
    check_document: CheckDocument | None = None
    shop_visit: ShopVisit | None = None


@dataclass
class BotServices:
    engine: Engine
    store: BotStore
    hooks: VerificationHooks = field(default_factory=VerificationHooks)
    limiter: ChatRateLimiter = field(default_factory=ChatRateLimiter)
    max_file_bytes: int = 10 * 1024 * 1024
    """Larger files are refused before download (Telegram reports ``file_size``)."""
    executor: ThreadPoolExecutor | None = None
    """Threads for reads and route calls; the loop's default pool (cores + 4) is too
    small when many chats wait on the database at once."""
    writer: GroupWriter | None = None
    """Every write (engine commands, the bot's rows) goes through it: group commit."""
    http: tuple[BaseRequest, ...] = ()
    """The Bot API clients, so a start that failed half-way can still close their sessions."""

    async def run(self, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a synchronous read or route call off the event loop."""
        call = functools.partial(function, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    async def write(self, job: Callable[[Connection], T]) -> T:
        """Run ``job`` in the writer's next group transaction: engine commands join it, store
        writes must use the connection it is given."""
        if self.writer is None:
            raise LookupError("the bot was built without a writer")
        return await self.writer.call(job)

    def privacy_url(self) -> str | None:
        contacts = self.engine.profile.contacts
        return contacts.privacy_notice_url or contacts.website


Context = ContextTypes.DEFAULT_TYPE


def services(context: Context) -> BotServices:
    found: BotServices = context.application.bot_data[SERVICES_KEY]
    return found


def chat_id_of(update: Update) -> int | None:
    chat = update.effective_chat
    return chat.id if chat is not None else None


def chat_data(context: Context) -> dict[str, Any]:
    data = context.chat_data
    if data is None:  # updates without a chat never reach the conversation handlers
        raise LookupError("update without a chat")
    return data


def language(update: Update, context: Context) -> str:
    """The chat's language: chosen with /language, else Telegram's, else Latvian."""
    data = chat_data(context)
    chosen = data.get("lang")
    if isinstance(chosen, str) and chosen in texts.LANGUAGES:
        return chosen
    user = update.effective_user
    picked = texts.pick_language(user.language_code if user else None)
    data["lang"] = picked
    return picked


async def save(context: Context, chat_id: int) -> None:
    await save_now(context.application, chat_id)


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Inline buttons from ``[(label, callback_data), ...]`` rows."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


async def say(
    context: Context, chat_id: int, message: str, markup: InlineKeyboardMarkup | None = None, *, preview: bool = False
) -> None:
    """Send a text to the chat.

    Through ``do_api_request`` and not ``send_message``: the bot never uses the Message that
    Telegram returns, and PTB's parsing of it was a tenth of the bot's CPU per update
    (bench/bot_bench.py). Bot API method names are case-insensitive; "SendMessage" keeps
    PTB from warning that a dedicated method exists.
    """
    arguments: dict[str, Any] = {
        "chat_id": chat_id,
        "text": message,
        "link_preview_options": {"is_disabled": not preview},
    }
    if markup is not None:
        arguments["reply_markup"] = markup.to_dict()
    await context.bot.do_api_request("SendMessage", api_kwargs=arguments)


def hooks_from_routes(
    *,
    codes: Any | None = None,
    documents: Any | None = None,
    oidc: Any | None = None,
    shop: Any | None = None,
) -> VerificationHooks:
    """The hooks for ``bot.identity``'s routes: ``OneTimeCodeRoute`` (send/check),
    ``SignedDocumentRoute`` (check), ``OidcRoute`` (start_blocking) and ``ShopVisitRoute``
    (start). A route left out is not offered in the chat."""
    return VerificationHooks(
        send_code=codes.send if codes is not None else None,
        check_code=codes.check if codes is not None else None,
        start_eid=oidc.start_blocking if oidc is not None else None,
        check_document=documents.check if documents is not None else None,
        shop_visit=shop.start if shop is not None else None,
    )
