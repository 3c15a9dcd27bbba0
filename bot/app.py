"""Building and running the bot from plain settings (``rightsdesk`` reads the configuration
and calls these; nothing is built at import time).

Polling::

    runner = BotRunner(build_application(config, engine=app.engine, database=app.database), config, ...)
    await runner.start()          # initialise, start, long-poll, notifier
    ...
    await runner.stop()

Webhook (``rightsdesk serve`` mounts the route and drives the runner from its lifespan)::

    routes.append(webhook_route(runner.application, secret=config.webhook_secret))
    await runner.start(polling=False, webhook_url="https://…/telegram/webhook")
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import socket
from collections.abc import Awaitable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine as SqlEngine
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot import chat_commands, conversation
from bot.http import AiohttpRequest
from bot.identity.one_time_code import CodePolicy
from bot.limits import ChatRateLimiter
from bot.notify import TelegramNotifier
from bot.persistence import DatabasePersistence
from bot.services import SERVICES_KEY, BotServices, VerificationHooks
from bot.store import BotStore
from bot.verification import CODE_DIGITS_KEY
from bot.writer import GroupWriter
from workflows.service_layer.bus import Engine

log = logging.getLogger(__name__)
BotApplication = Application[Any, Any, Any, Any, Any, Any]
MAX_WEBHOOK_BODY = 1024 * 1024


@dataclass(frozen=True)
class BotConfig:
    token: str
    base_url: str = "https://api.telegram.org/bot"
    """Bot API root; the token is appended (PTB convention). Tests point it at the stand-in."""
    base_file_url: str = "https://api.telegram.org/file/bot"
    max_file_bytes: int = 10 * 1024 * 1024
    rate_limit_updates: int = 20
    rate_limit_window_seconds: float = 10.0
    concurrent_updates: int = 64
    poll_timeout_seconds: int = 10
    notify_interval_seconds: float = 2.0
    webhook_secret: str | None = None
    sender_id: str = "bot"
    database_threads: int = 16
    http_connections: int = 8
    http_client: str = "aiohttp"
    """"aiohttp" (faster, see bot.http) or "httpx" (PTB's default)."""
    refresh_from_database: bool = False
    """Re-read a chat's state before each update: only for several bot processes sharing chats."""
    code_digits: int = CodePolicy.digits
    """Digits of a one-time code (the route's ``CodePolicy.digits``): at the code step only
    text with this many digits is taken as a try."""


class GatedHTTPXRequest(HTTPXRequest):
    """At most ``connection_pool_size`` requests reach httpcore at once. Requests queued inside
    httpcore's pool are re-scanned against every connection whenever one frees (quadratic):
    with 200 chats in flight that scan, not the network, was most of the bot's CPU time."""

    def __init__(self, connection_pool_size: int, **kwargs: Any) -> None:
        # TCP_NODELAY: without it a request written in two segments waits for the delayed ACK
        # of the first (Nagle), some 40 ms per call on loopback.
        nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        super().__init__(connection_pool_size=connection_pool_size, socket_options=nodelay, **kwargs)
        self._gate = asyncio.Semaphore(connection_pool_size)

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        async with self._gate:
            return await super().do_request(*args, **kwargs)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently; one chat's run one at a time, in order
    (a double tap on "Submit" must not register two requests)."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._holders: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock = self._locks.setdefault(chat.id, asyncio.Lock())
        self._holders[chat.id] = self._holders.get(chat.id, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._holders[chat.id] -= 1
            if not self._holders[chat.id]:
                del self._holders[chat.id]
                del self._locks[chat.id]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


def build_application(
    config: BotConfig,
    *,
    engine: Engine,
    database: SqlEngine,
    hooks: VerificationHooks | None = None,
    polling: bool = True,
    reader: SqlEngine | None = None,
) -> BotApplication:
    """The PTB Application with the conversation, commands, flood gate and persistence.

    ``database`` takes the writes; ``reader`` (``App.reader``) the reads.
    """
    store = BotStore(database, reader)
    executor = ThreadPoolExecutor(max_workers=config.database_threads, thread_name_prefix="bot-db")
    writer = GroupWriter(engine, store, engine.clock.now)
    persistence = DatabasePersistence(
        store, writer, executor=executor, refresh_from_database=config.refresh_from_database
    )
    http, polling_http = _http(config, config.http_connections), _http(config, 1)
    builder = (
        ApplicationBuilder()
        .token(config.token)
        .base_url(config.base_url)
        .base_file_url(config.base_file_url)
        .persistence(persistence)
        .concurrent_updates(PerChatUpdateProcessor(config.concurrent_updates))
        .request(http)
        .get_updates_request(polling_http)
    )
    if not polling:
        builder = builder.updater(None)
    application: BotApplication = builder.build()
    application.bot_data[SERVICES_KEY] = BotServices(
        engine=engine,
        store=store,
        hooks=hooks or VerificationHooks(),
        limiter=ChatRateLimiter(config.rate_limit_updates, config.rate_limit_window_seconds),
        max_file_bytes=config.max_file_bytes,
        executor=executor,
        writer=writer,
        http=(http, polling_http),
    )
    application.bot_data[CODE_DIGITS_KEY] = config.code_digits
    add_handlers(application)
    return application


def _http(config: BotConfig, connections: int) -> BaseRequest:
    if config.http_client == "httpx":
        return GatedHTTPXRequest(connections, pool_timeout=10.0)
    return AiohttpRequest(connections)


def add_handlers(application: BotApplication) -> None:
    # Group -1 runs first for every update: groups, supergroups and channels stop there.
    application.add_handler(TypeHandler(Update, chat_commands.gate), group=-1)
    for name, callback in (
        ("start", conversation.start),
        ("status", chat_commands.status),
        ("cancel", chat_commands.cancel),
        ("help", chat_commands.help_command),
        ("language", chat_commands.choose_language),
        ("privacy", chat_commands.privacy),
    ):
        application.add_handler(CommandHandler(name, callback))
    application.add_handler(MessageHandler(filters.COMMAND, chat_commands.unknown_command))
    application.add_handler(CallbackQueryHandler(chat_commands.on_callback))
    application.add_handler(MessageHandler(filters.Document.ALL, chat_commands.on_document))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, chat_commands.on_text))
    application.add_handler(MessageHandler(filters.ALL, chat_commands.on_other_media))
    application.add_error_handler(chat_commands.on_error)


@dataclass
class BotRunner:
    """Start and stop the application, its long polling and the notifier as one unit."""

    application: BotApplication
    config: BotConfig
    database: SqlEngine
    notify: bool = True
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _notifier_task: asyncio.Task[None] | None = None

    @property
    def notifier(self) -> TelegramNotifier:
        services: BotServices = self.application.bot_data[SERVICES_KEY]
        return TelegramNotifier(
            self.application.bot, self.database, services.store, services.engine.clock, self.config.sender_id
        )

    async def start(self, *, polling: bool = True, webhook_url: str | None = None) -> None:
        await self.application.initialize()
        await self.application.start()
        if polling and self.application.updater is not None:
            await self.application.updater.start_polling(
                poll_interval=0.0, timeout=self.config.poll_timeout_seconds, drop_pending_updates=False
            )
        elif webhook_url:
            await self.application.bot.set_webhook(webhook_url, secret_token=self.config.webhook_secret)
        if self.notify:
            self._stop.clear()
            self._notifier_task = asyncio.create_task(
                self.notifier.run(self._stop, interval=self.config.notify_interval_seconds)
            )

    async def stop(self) -> None:
        self._stop.set()
        if self._notifier_task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._notifier_task
            self._notifier_task = None
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        services: BotServices = self.application.bot_data[SERVICES_KEY]
        if services.executor is not None:
            services.executor.shutdown(wait=True)


def webhook_route(application: BotApplication, *, secret: str, path: str = "/telegram/webhook") -> Route:
    """A Starlette route for Telegram's webhook: checks the secret header Telegram sends
    (set with ``setWebhook(secret_token=…)``), queues the update, answers 200 at once."""

    async def receive(request: Request) -> Response:
        given = request.headers.get("x-telegram-bot-api-secret-token", "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            return Response(status_code=403)
        body = await request.body()
        if len(body) > MAX_WEBHOOK_BODY:
            return Response(status_code=413)
        try:
            update = Update.de_json(json.loads(body), application.bot)
        except ValueError:
            return Response(status_code=400)
        if update is None:
            return Response(status_code=400)
        await application.update_queue.put(update)
        return Response(status_code=200)

    return Route(path, receive, methods=["POST"])
