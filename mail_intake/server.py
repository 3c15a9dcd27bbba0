"""The SMTP (or LMTP) server customers' mail reaches: aiosmtpd on 127.0.0.1:2525 by default.

It answers 250 only after the raw message is committed to the database (see
``smtp_handler.IntakeHandler``); everything slow or risky — parsing, signatures, replies —
happens later in the worker. ``SmtpIntake`` runs either in an event loop the caller owns
(``await open()`` / ``await close()``) or in a thread of its own (``start()`` / ``stop()``).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from datetime import UTC, datetime
from typing import Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP

from mail_intake.config import SmtpInConfig
from mail_intake.errors import IntakeError
from mail_intake.smtp_handler import AsyncStoreMail, IntakeHandler, RecipientPolicy, StoreMail
from workflows.service_layer.ports import Clock

log = logging.getLogger(__name__)

REPLY_TOO_BIG = "552 5.3.4 Message too big for this system"

# aiosmtpd's own size replies carry no RFC 3463 enhanced code; clients and logs read better
# with one. Keyed on the library's exact reply lines; should they change, the plain 552
# still goes out, which is correct, just less descriptive.
_REWRITTEN_REPLIES = {
    "552 Error: Too much mail data": REPLY_TOO_BIG,
    "552 Error: message size exceeds fixed maximum message size": REPLY_TOO_BIG,
}

_START_TIMEOUT_SECONDS = 10.0


class _UtcClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class _EnhancedCodes:
    """Mixin over aiosmtpd's ``push``: size refusals get their enhanced code (552 5.3.4)."""

    async def push(self, status: Any) -> None:
        if isinstance(status, str):
            status = _REWRITTEN_REPLIES.get(status, status)
        await super().push(status)  # type: ignore[misc]


class IntakeSMTP(_EnhancedCodes, SMTP):
    pass


class IntakeLMTP(_EnhancedCodes, LMTP):
    pass


class ServerSetupError(IntakeError):
    """The server could not start (bad certificate, port in use); not retried by itself."""

    permanent = True


def tls_context(config: SmtpInConfig) -> ssl.SSLContext | None:
    """The server-side TLS context for STARTTLS (RFC 3207), or None when no certificate is set."""
    if config.tls_cert is None and config.tls_key is None:
        if config.require_starttls:
            raise ServerSetupError("require_starttls needs tls_cert and tls_key")
        return None
    if config.tls_cert is None or config.tls_key is None:
        raise ServerSetupError("STARTTLS needs both tls_cert and tls_key")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(str(config.tls_cert), str(config.tls_key))
    except (OSError, ssl.SSLError) as error:
        raise ServerSetupError("cannot load the TLS certificate or key", reason=type(error).__name__) from error
    return context


def _quiet_library_logging() -> None:
    """aiosmtpd logs every command line, senders and recipients included, at INFO.

    Addresses are personal data and must not reach INFO logs, so its logger is raised
    to WARNING unless the operator has set a level for it on purpose.
    """
    library_log = logging.getLogger("mail.log")
    if library_log.level == logging.NOTSET:
        library_log.setLevel(logging.WARNING)


class SmtpIntake:
    """The inbound mail server. ``store`` runs ``StoreInboundEmail`` and returns the stored id:
    ``GroupCommitStore(app.engine)`` (mail_intake.smtp_store; fastest) or ``app.engine.handle``
    (one transaction per message, run in a thread). ``port=0`` lets the OS choose (tests)."""

    def __init__(self, config: SmtpInConfig, store: StoreMail | AsyncStoreMail, *, clock: Clock | None = None) -> None:
        self.config = config
        self._ssl = tls_context(config)
        self._handler = IntakeHandler(
            policy=RecipientPolicy.build(config.recipients, config.hostname),
            store=store,
            clock=clock or _UtcClock(),
            max_recipients=config.max_recipients,
            lmtp=config.lmtp,
        )
        self._server: asyncio.AbstractServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self.port: int | None = None

    def _protocol(self) -> SMTP:
        kind = IntakeLMTP if self.config.lmtp else IntakeSMTP
        return kind(
            self._handler,
            data_size_limit=self.config.max_message_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=self.config.hostname,
            ident="rightsdesk",
            tls_context=self._ssl,
            require_starttls=self.config.require_starttls,
            loop=self._loop,
        )

    # -- in the caller's event loop ------------------------------------------------------
    async def open(self) -> int:
        """Bind and start serving in the running loop; returns the bound port."""
        if self._server is not None:
            raise ServerSetupError("the SMTP server is already running")
        _quiet_library_logging()
        self._loop = asyncio.get_running_loop()
        try:
            self._server = await self._loop.create_server(self._protocol, host=self.config.host, port=self.config.port)
        except OSError as error:
            raise ServerSetupError(
                "cannot bind the SMTP server", host=self.config.host, port=self.config.port, errno=error.errno
            ) from error
        self.port = int(self._server.sockets[0].getsockname()[1])
        log.info("%s server listening on %s:%d", "LMTP" if self.config.lmtp else "SMTP", self.config.host, self.port)
        return self.port

    async def close(self) -> None:
        """Stop accepting; sessions in progress end with the loop (clients retry what got no 250)."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
            await server.wait_closed()

    # -- in a thread of its own -------------------------------------------------------------
    def start(self) -> int:
        """Run the server in a background thread with its own event loop; returns the port."""
        if self._thread is not None:
            raise ServerSetupError("the SMTP server is already running")
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        outcome: dict[str, BaseException | int] = {}

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                outcome["port"] = loop.run_until_complete(self.open())
            except BaseException as error:  # reported to the caller of start()
                outcome["error"] = error
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._shutdown_loop())
                loop.close()

        self._thread = threading.Thread(target=run, name="smtp-intake", daemon=True)
        self._thread.start()
        if not ready.wait(_START_TIMEOUT_SECONDS):
            raise ServerSetupError("the SMTP server did not start in time")
        error = outcome.get("error")
        if isinstance(error, BaseException):
            self._thread.join()
            self._thread = None
            raise error
        port = outcome["port"]
        return port if isinstance(port, int) else 0

    async def _shutdown_loop(self) -> None:
        await self.close()
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        """Stop the background server and wait for its thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        self._thread = None
        self._loop = None
