"""A capturing SMTP server for tests: the "relay" outbound mail goes to.

It runs aiosmtpd in an event loop of its own thread, on 127.0.0.1 with a port the OS
chooses, and keeps every message it accepted. Failures can be scripted, for the retry
and dead-letter tests:

- ``temporary_failures=N``: the first N messages get ``451`` at end of DATA;
- ``rejected_recipients={"a@b"}``: ``550`` at RCPT for those addresses;
- ``delay_seconds``: wait before answering DATA (to make concurrent senders overlap);
- ``credentials=("user", "secret")``: require AUTH (over plain text, loopback only);
- ``tls_context``: offer STARTTLS with that server context.

Usage::

    with CaptureSmtpServer(temporary_failures=1) as relay:
        config = relay.smtp_out_config()
        ...
        [mail] = relay.wait_for(1)
        assert mail.message["Auto-Submitted"] == "auto-replied"

or the ``capture_smtp`` fixture (import it into a conftest or test module).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from mail_intake.config import SmtpOutConfig

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class CapturedMail:
    """One message the relay accepted, as it arrived."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed: EmailMessage = message_from_bytes(self.data, policy=policy.default)
        return parsed

    @property
    def message_id(self) -> str | None:
        value = self.message["Message-ID"]
        return str(value) if value is not None else None


class _Handler:
    """aiosmtpd hooks; every counter is guarded by the server's lock (two threads read it)."""

    def __init__(self, server: CaptureSmtpServer) -> None:
        self._server = server

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        with self._server.lock:
            rejected = address.lower() in self._server.rejected_recipients
        if rejected:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._server.delay_seconds:
            await asyncio.sleep(self._server.delay_seconds)
        with self._server.lock:
            self._server.data_attempts += 1
            if self._server.temporary_failures > 0:
                self._server.temporary_failures -= 1
                return "451 4.3.0 Temporary failure, try again later"
            content = envelope.original_content or b""
            self._server.captured.append(
                CapturedMail(
                    mail_from=str(envelope.mail_from),
                    rcpt_tos=tuple(envelope.rcpt_tos),
                    data=content if isinstance(content, bytes) else content.encode(),
                )
            )
            self._server.arrived.notify_all()
        return "250 2.0.0 Message accepted"


class CaptureSmtpServer:
    """An aiosmtpd server on loopback that keeps what it receives (see the module doc)."""

    def __init__(
        self,
        *,
        temporary_failures: int = 0,
        rejected_recipients: Iterable[str] = (),
        delay_seconds: float = 0.0,
        credentials: tuple[str, str] | None = None,
        tls_context: ssl.SSLContext | None = None,
        require_starttls: bool = False,
    ) -> None:
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self.temporary_failures = temporary_failures
        self.rejected_recipients = {r.lower() for r in rejected_recipients}
        self.delay_seconds = delay_seconds
        self.data_attempts = 0
        self.captured: list[CapturedMail] = []
        self.host = LOOPBACK
        self.port = 0
        self._credentials = credentials
        self._tls_context = tls_context
        self._require_starttls = require_starttls
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None

    # -- scripting -------------------------------------------------------------------------

    def fail_next(self, count: int) -> None:
        """Answer 451 to the next ``count`` messages."""
        with self.lock:
            self.temporary_failures = count

    def reject(self, address: str) -> None:
        """Answer 550 at RCPT for ``address`` from now on."""
        with self.lock:
            self.rejected_recipients.add(address.lower())

    # -- reading ---------------------------------------------------------------------------

    @property
    def messages(self) -> list[CapturedMail]:
        with self.lock:
            return list(self.captured)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[CapturedMail]:
        """The captured messages once there are at least ``count``; fails the test after ``timeout``."""
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.captured) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    pytest.fail(f"expected {count} message(s) at the capture server, got {len(self.captured)}")
                self.arrived.wait(remaining)
            return list(self.captured)

    def smtp_out_config(self, **overrides: Any) -> SmtpOutConfig:
        """An outbound configuration pointing at this server (short timeout for tests)."""
        return replace(SmtpOutConfig(host=self.host, port=self.port, timeout_seconds=5.0), **overrides)

    # -- life cycle --------------------------------------------------------------------------

    def start(self) -> CaptureSmtpServer:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="capture-smtp", daemon=True)
        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(self._listen(), loop).result(timeout=10)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def stop(self) -> None:
        loop, thread, server = self._loop, self._thread, self._server
        if loop is None or thread is None:
            return
        if server is not None:

            async def close() -> None:
                server.close()
                await asyncio.wait_for(server.wait_closed(), timeout=5)

            # A client may still be connected; the loop stops below anyway.
            with contextlib.suppress(TimeoutError):
                asyncio.run_coroutine_threadsafe(close(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._loop = self._thread = self._server = None

    def __enter__(self) -> CaptureSmtpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _listen(self) -> asyncio.Server:
        handler = _Handler(self)
        loop = asyncio.get_running_loop()

        def protocol() -> SMTP:
            return SMTP(
                handler,
                hostname="capture.test",
                loop=loop,
                tls_context=self._tls_context,
                require_starttls=self._require_starttls,
                authenticator=self._authenticate if self._credentials else None,
                auth_required=self._credentials is not None,
                auth_require_tls=False,  # loopback only; lets AUTH be tested without TLS
            )

        return await loop.create_server(protocol, host=LOOPBACK, port=0)

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if self._credentials is None or not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, secret = self._credentials
        ok = data.login == user.encode() and data.password == secret.encode()
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def capture_smtp() -> Iterator[CaptureSmtpServer]:
    """A capturing relay on loopback, stopped after the test."""
    with CaptureSmtpServer() as server:
        yield server
