"""`rightsdesk serve`: the enabled services in one process.

The HTTP side (health, metrics, the staff console, the eID login's callback and the
Telegram webhook) runs on uvicorn in the main thread's event loop, and so does the bot
(its lifespan starts and stops it); without the web service the bot long-polls in a thread
of its own. Each worker runs in a thread of its own, since the engine's database work is
synchronous. SIGINT/SIGTERM stop everything cleanly: the worker finishes its current job
first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime
from typing import Any, Literal

import uvicorn
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from mail_intake.server import SmtpIntake
from mail_intake.smtp_store import GroupCommitStore
from rightsdesk.bootstrap import App, smtp_in_config
from rightsdesk.chat import ChatIntake, oidc_routes, telegram_configured
from rightsdesk.identity_page import identity_page_routes
from staff.web.app import ConsoleConfig, build_console
from workflows.domain.deadlines import riga_date
from workflows.domain.errors import ConfigurationError
from workflows.service_layer.worker import Worker

log = logging.getLogger(__name__)


class _EngineCollector:
    """Gauges read from the database at scrape time, so every process reports the truth."""

    def __init__(self, app: App, workers: list[Worker]) -> None:
        self._app = app
        self._workers = workers

    def collect(self) -> Iterable[GaugeMetricFamily]:
        today = riga_date(self._app.engine.clock.now())
        counts = self._app.queries.operational_counts(today)
        by_state = GaugeMetricFamily("rightsdesk_requests", "Requests by state", labels=["state"])
        for state, n in sorted(self._app.queries.counts_by_state().items()):
            by_state.add_metric([state], n)
        yield by_state
        yield GaugeMetricFamily("rightsdesk_requests_open", "Open requests", value=counts["open"])
        yield GaugeMetricFamily(
            "rightsdesk_requests_overdue", "Open requests past their due date", value=counts["overdue"]
        )
        yield GaugeMetricFamily("rightsdesk_jobs_queued", "Jobs waiting", value=counts["jobs_queued"])
        yield GaugeMetricFamily("rightsdesk_jobs_dead", "Jobs given up, for staff", value=counts["jobs_dead"])
        yield GaugeMetricFamily("rightsdesk_outbox_pending", "Messages waiting to go", value=counts["outbox_pending"])
        yield GaugeMetricFamily("rightsdesk_outbox_dead", "Messages given up", value=counts["outbox_dead"])
        processed = GaugeMetricFamily(
            "rightsdesk_worker_jobs_processed", "Jobs this process ran", labels=["worker", "outcome"]
        )
        for worker in self._workers:
            processed.add_metric([worker.worker_id, "done"], worker.processed)
            processed.add_metric([worker.worker_id, "failed"], worker.failed)
        yield processed


def build_http_app(app: App, workers: list[Worker], chat: ChatIntake | None = None) -> Starlette:
    """Health, metrics, the eID callback and the webhook outside the console's login; the
    console answers everything else. With ``chat``, the app's lifespan runs the bot."""
    registry = CollectorRegistry()
    registry.register(_EngineCollector(app, workers))

    async def healthz(_: Request) -> Response:
        problems: dict[str, Any] = {}
        try:
            await asyncio.to_thread(_ping, app)
        except Exception as error:
            problems["database"] = type(error).__name__
        now = app.engine.clock.now()
        for worker in workers:
            if not _worker_alive(worker, now, app.settings.worker.idle_seconds):
                problems[f"worker {worker.worker_id}"] = "no heartbeat"
        status = 200 if not problems else 503
        return JSONResponse({"status": "ok" if status == 200 else "unhealthy", "problems": problems}, status)

    async def metrics(_: Request) -> Response:
        body = await asyncio.to_thread(generate_latest, registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    console = build_console(
        engine=app.engine,
        database=app.database,
        reader=app.reader,
        config=ConsoleConfig(
            secure_cookies=app.settings.staff.secure_cookies,
            trusted_proxies=app.settings.serve.trusted_proxies,
        ),
    )
    routes: list[BaseRoute] = [Route("/healthz", healthz), Route("/metrics", metrics)]
    routes += oidc_routes(app, chat.routes if chat is not None else None)
    routes += identity_page_routes(app, chat.routes if chat is not None else None)
    if chat is not None:
        routes += chat.http_routes()
    routes.append(Mount("/", app=console))

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        if chat is None:
            yield
            return
        try:
            async with chat.running():
                yield
        except asyncio.CancelledError:
            # A second Ctrl+C: uvicorn leaves at once and the event loop cancels this
            # shutdown midway. The bot answers an update only after its conversation state
            # is committed (bot.writer), so one line says it instead of a traceback.
            log.warning("stopped at once: the chat intake did not finish its shutdown")

    return Starlette(routes=routes, lifespan=lifespan)


def _ping(app: App) -> None:
    with app.reader.connect() as connection:
        connection.execute(text("SELECT 1"))


def _worker_alive(worker: Worker, now: datetime, idle_seconds: float) -> bool:
    if worker.last_beat is None:
        return True  # still starting
    # A long job may hold the loop; allow generous slack before calling it dead.
    return (now - worker.last_beat).total_seconds() < max(300.0, 10 * idle_seconds)


def serve(app: App, services: Iterable[str], *, host: str, port: int) -> None:
    wanted = set(services)
    chat = chat_intake(app, wanted)  # first: a configuration error stops us before anything starts
    stop = threading.Event()
    # Before anything starts, so that a SIGTERM at any moment ends in a clean stop.
    _stop_on_signals(stop)
    workers: list[Worker] = []
    threads: list[threading.Thread] = []
    if "worker" in wanted:
        worker = app.worker()
        workers.append(worker)
        thread = threading.Thread(
            target=worker.run_forever,
            args=(stop,),
            kwargs={
                "idle_seconds": app.settings.worker.idle_seconds,
                "periodic_seconds": app.settings.worker.periodic_seconds,
            },
            name="rightsdesk-worker",
            daemon=True,
        )
        thread.start()
        threads.append(thread)
        log.info("worker %s started", worker.worker_id)
        # Outgoing mail leaves through the outbox; one sender per worker process.
        if app.settings.smtp_out.host:
            sender = app.email_sender(worker.worker_id)
            sending = threading.Thread(target=sender.run_forever, args=(stop,), name="rightsdesk-mail-out", daemon=True)
            sending.start()
            threads.append(sending)
        else:
            log.warning("no [smtp_out] host configured: e-mail replies wait in the outbox")
    if chat is not None and "web" not in wanted:
        polling = threading.Thread(target=chat.run_until, args=(stop,), name="rightsdesk-telegram", daemon=True)
        polling.start()
        threads.append(polling)
    intake = None
    if "smtp" in wanted:
        intake = SmtpIntake(smtp_in_config(app.settings), GroupCommitStore(app.engine), clock=app.engine.clock)
        intake.start()
    try:
        if "web" in wanted:
            config = http_server_config(build_http_app(app, workers, chat), host=host, port=port)
            server = uvicorn.Server(config)
            log.info("listening on http://%s:%s (/healthz, /metrics)", host, port)
            # uvicorn shuts down gracefully on SIGTERM/SIGINT and then raises the signal again
            # against the handlers it found: with the default ones that killed the process before
            # the worker stopped (exit -15); ours turn it into a clean stop, and also stop a
            # server that a signal reaches before uvicorn has put in its own handlers.
            _stop_on_signals(stop, also=lambda: setattr(server, "should_exit", True))
            if not stop.is_set():
                server.run()
        else:
            _wait_for_signal(stop)
    finally:
        stop.set()
        if intake is not None:
            intake.stop()
        for thread in threads:
            thread.join(timeout=30)
        app.close()


def http_server_config(
    asgi: Any, *, host: str, port: int, lifespan: Literal["auto", "on", "off"] = "on"
) -> uvicorn.Config:
    """uvicorn for the web service, with its own X-Forwarded-For handling off.

    uvicorn would otherwise replace the peer address with the header's whenever the peer is
    127.0.0.1 (or whatever FORWARDED_ALLOW_IPS says), before the console can tell whether the
    peer is one of ``[serve] trusted_proxies``: the console alone decides (staff.web.client_address).
    """
    return uvicorn.Config(asgi, host=host, port=port, log_level="warning", lifespan=lifespan, proxy_headers=False)


def chat_intake(app: App, wanted: set[str]) -> ChatIntake | None:
    """The bot for this process, or None (not wanted here, or no token: said in the log)."""
    if "telegram" not in wanted:
        return None
    if not telegram_configured(app.settings):
        log.warning("no [telegram] token: the chat intake is off (set RIGHTSDESK_TELEGRAM__TOKEN)")
        return None
    if app.settings.telegram.mode == "webhook" and "web" not in wanted:
        raise ConfigurationError(
            "[telegram] mode = webhook needs the web service in this process: add \"web\" to [serve] services "
            "or use mode = polling"
        )
    return ChatIntake(app)


def _stop_on_signals(stop: threading.Event, *, also: Callable[[], None] | None = None) -> None:
    """SIGTERM and SIGINT set ``stop`` and call ``also`` (only possible from the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def _handler(_signum: int, _frame: object) -> None:
        stop.set()
        if also is not None:
            also()

    signal.signal(signal.SIGTERM, _handler)
    signal.signal(signal.SIGINT, _handler)


def _wait_for_signal(stop: threading.Event) -> None:
    while not stop.wait(1.0):
        pass
