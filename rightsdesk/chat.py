"""Wiring of the Telegram chat intake from the settings: the bot, its identity
routes and the HTTP routes `rightsdesk serve` mounts for it.

Which identity routes the chat offers follows from what is configured (docs/law.md §Identity;
the tiers come from the controller profile):

- one-time code to the e-mail or phone on file: needs ``[identity] secret`` and a data map
  whose ``[identity] customer_table`` holds the contacts;
- eID login through an OpenID Connect broker: needs ``[oidc]``;
- a signed document: always (validated against ``[signature] trust_dir``);
- a shop visit with an ID document: always (staff record the check in the console).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from starlette.routing import BaseRoute
from telegram.error import InvalidToken, NetworkError, TimedOut

from bot.app import BotConfig, BotRunner, build_application, webhook_route
from bot.identity import (
    CALLBACK_PATH,
    CustomerDirectory,
    DataMapCustomerDirectory,
    OidcConfig,
    OidcRoute,
    OneTimeCodeRoute,
    ShopVisitRoute,
    SignedDocumentRoute,
    StaticCustomerDirectory,
)
from bot.identity.oidc import oidc_http_routes
from bot.services import SERVICES_KEY, BotServices, VerificationHooks, hooks_from_routes
from rightsdesk.bootstrap import App, binding_policy
from rightsdesk.settings import Settings
from workflows.domain.errors import ConfigurationError

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
MAX_RETRY_SECONDS = 300.0


def telegram_configured(settings: Settings) -> bool:
    return bool(settings.telegram.token)


def bot_config(settings: Settings) -> BotConfig:
    telegram = settings.telegram
    return BotConfig(
        token=telegram.token,
        base_url=telegram.base_url,
        base_file_url=telegram.base_file_url,
        max_file_bytes=int(telegram.max_file_mb * 1024 * 1024),
        rate_limit_updates=telegram.rate_limit_updates,
        rate_limit_window_seconds=telegram.rate_limit_window_seconds,
        webhook_secret=telegram.webhook_secret,
    )


def oidc_config(settings: Settings) -> OidcConfig | None:
    oidc = settings.oidc
    if not oidc.issuer:
        return None
    if oidc.ca_file and not settings.resolve(oidc.ca_file).is_file():
        raise ConfigurationError(f"oidc.ca_file: {settings.resolve(oidc.ca_file)} does not exist "
                                 "(the PEM file of the broker's CA)")
    return OidcConfig(
        issuer=oidc.issuer,
        client_id=oidc.client_id,
        client_secret=oidc.client_secret,
        redirect_uri=oidc.redirect_uri or settings.serve.public_url + CALLBACK_PATH,
        scope=oidc.scope,
        acr_values=oidc.acr_values,
        required_acr=oidc.required_acr,
        personal_code_claims=oidc.personal_code_claims,
        client_auth_method=oidc.client_auth_method,
        max_age=timedelta(seconds=oidc.max_age_seconds),
        auth_time_skew=timedelta(seconds=oidc.auth_time_skew_seconds),
        ca_file=str(settings.resolve(oidc.ca_file)) if oidc.ca_file else None,
        pushed_authorization=oidc.pushed_authorization,
    )


def customer_directory(app: App) -> CustomerDirectory:
    """Customers as the data map finds them; nobody is on file without a data map."""
    data = app.controller_data()
    if data is None:
        return StaticCustomerDirectory([])
    databases = data.databases
    try:
        hash_secret: bytes | None = databases.hash_secret()
    except ConfigurationError:
        hash_secret = None  # customers erased earlier (keyed hashes) are then not found
    table = app.settings.identity.customer_table
    if table not in {t.name for t in data.datamap.tables}:
        raise ConfigurationError(
            f"[identity] customer_table = {table!r} is not a table of the data map; "
            f"use one of: {', '.join(sorted(t.name for t in data.datamap.tables))}"
        )
    return DataMapCustomerDirectory(
        data.datamap, lambda name: databases.engine(name).connect(), table=table, hash_secret=hash_secret
    )


@dataclass
class ChatRoutes:
    """The identity routes the chat offers, and the eID route the web side completes."""

    hooks: VerificationHooks
    oidc: OidcRoute | None
    offered: tuple[str, ...]


def identity_routes(app: App) -> ChatRoutes:
    settings = app.settings
    customers = customer_directory(app)
    codes = None
    if settings.identity.secret:
        codes = OneTimeCodeRoute(app.engine, app.database, customers, secret=settings.identity.secret.encode())
    else:
        log.warning("no [identity] secret: one-time codes are not offered (set RIGHTSDESK_IDENTITY__SECRET)")
    config = oidc_config(settings)
    oidc = OidcRoute(app.engine, app.database, customers, config) if config is not None else None
    documents = SignedDocumentRoute(
        app.engine, app.trust_store, customers, online=settings.signature.online, policy=binding_policy(settings)
    )
    hooks = hooks_from_routes(codes=codes, documents=documents, oidc=oidc, shop=ShopVisitRoute(app.engine))
    candidates = (("one-time code", codes), ("eID login", oidc), ("signed document", documents))
    offered = (*(name for name, route in candidates if route is not None), "shop visit")
    return ChatRoutes(hooks, oidc, offered)


class ChatIntake:
    """The bot and its identity routes, built once per process; started and stopped as one."""

    def __init__(self, app: App, *, routes: ChatRoutes | None = None) -> None:
        self.app = app
        self.config = bot_config(app.settings)
        self.routes = routes or identity_routes(app)
        self.webhook = app.settings.telegram.mode == "webhook"
        application = build_application(
            self.config,
            engine=app.engine,
            database=app.database,
            reader=app.reader,
            hooks=self.routes.hooks,
            polling=not self.webhook,
        )
        self.runner = BotRunner(application, self.config, app.database)
        self.started = False
        self._starting: asyncio.Task[None] | None = None

    def http_routes(self) -> list[BaseRoute]:
        """The webhook (webhook mode only); the eID callback is :func:`oidc_routes`'."""
        if not self.webhook or not self.config.webhook_secret:
            return []
        return [webhook_route(self.runner.application, secret=self.config.webhook_secret, path=WEBHOOK_PATH)]

    async def start(self) -> None:
        """Start the bot in the background: an unreachable Bot API must not keep the console
        and the worker from running, so connecting is retried until it works or stop()."""
        self._starting = asyncio.create_task(self._start_with_retries(), name="rightsdesk-telegram-start")

    async def _start_with_retries(self) -> None:
        delay = 1.0
        while True:
            try:
                await self._start_once()
                return
            except InvalidToken:
                log.error("Telegram refused the bot token: the chat intake is off (check RIGHTSDESK_TELEGRAM__TOKEN)")
                await self._quietly_stop()
                return
            except (NetworkError, TimedOut) as error:
                log.warning(
                    "cannot reach the Telegram Bot API at %s (%s); retrying in %.0f s",
                    self.config.base_url,
                    type(error).__name__,
                    delay,
                )
                await self._quietly_stop()
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_SECONDS)

    async def _start_once(self) -> None:
        if self.webhook:
            await self.runner.start(polling=False, webhook_url=self.app.settings.serve.public_url + WEBHOOK_PATH)
        else:
            await self.runner.start(polling=True)
        self.started = True
        log.info(
            "Telegram bot started (%s); identity routes: %s",
            "webhook" if self.webhook else "long polling",
            ", ".join(self.routes.offered),
        )

    async def _quietly_stop(self) -> None:
        """Close what a failed start opened (HTTP sessions), keeping the application reusable."""
        application = self.runner.application
        with contextlib.suppress(Exception):
            if application.running:
                await application.stop()
            await application.shutdown()
        await self._close_http_clients()

    async def _close_http_clients(self) -> None:
        services: BotServices = self.runner.application.bot_data[SERVICES_KEY]
        for client in services.http:  # PTB skips them when the bot never finished initialising
            with contextlib.suppress(Exception):
                await client.shutdown()

    async def stop(self) -> None:
        if self._starting is not None and not self._starting.done():
            self._starting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._starting
            await self._quietly_stop()
        if self.started:
            await self.runner.stop()
            self.started = False

    @asynccontextmanager
    async def running(self) -> AsyncIterator[ChatIntake]:
        await self.start()
        try:
            yield self
        finally:
            try:
                await self.stop()
            except asyncio.CancelledError:
                # Stopping was cut short (the loop is closing): at least close the Bot API
                # connections, which would otherwise be reported as leaked at exit.
                await self._close_http_clients()
                raise

    def run_until(self, stop: threading.Event) -> None:
        """Long polling in a thread of its own (when this process serves no HTTP)."""

        async def _main() -> None:
            async with self.running():
                await asyncio.to_thread(stop.wait)

        asyncio.run(_main())


def oidc_route_for(app: App, routes: ChatRoutes | None = None) -> OidcRoute | None:
    """The eID route (the chat's, when built), or None without ``[oidc]``. The web page for
    e-mail requesters calls its ``start_for_web``."""
    if routes is not None and routes.oidc is not None:
        return routes.oidc
    config = oidc_config(app.settings)
    if config is None:
        return None
    return OidcRoute(app.engine, app.database, customer_directory(app), config)


def oidc_routes(app: App, routes: ChatRoutes | None) -> list[BaseRoute]:
    """The eID login's callback, served wherever the web side runs (it needs no bot)."""
    route = oidc_route_for(app, routes)
    return list(oidc_http_routes(route)) if route is not None else []
