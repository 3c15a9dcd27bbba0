"""Outbound mail: send the outbox's e-mail rows through the configured relay (aiosmtplib).

Delivery guarantee, and its limit
---------------------------------
Each outbox row is claimed with a lease (``workflows.adapters.outbox.claim``) before it is
sent and marked sent right after the relay's ``250``. While the lease runs no other sender
can claim the row, so two senders never send the same row at once; a sender that would
run past its lease stops and leaves the rest to the next claim.

Exactly-once delivery over SMTP is impossible: if the process dies between the relay's
``250`` and ``mark_sent``, the row's lease expires and it is sent again. The resend carries
the same ``Message-ID`` (derived from the row, see :mod:`mail_intake.compose`), so the
duplicate is detectable and most receiving systems and clients drop or collapse it. The
window is one database commit wide.

Failures
--------
- ``5xx`` at RCPT or DATA, or a recipient that is not a plain address: permanent. The row
  goes DEAD with ``last_error`` for the console, and the request is flagged for staff
  (Art. 12(3) still runs: someone has to reach the person another way).
- ``4xx``, timeouts, refused or dropped connections: retried with back-off (30 s doubling,
  capped) until ``max_attempts``; then DEAD and flagged as above.
- The relay refusing *us* (AUTH, MAIL FROM, HELO, STARTTLS missing) is a configuration
  fault, not the message's: retried like a 4xx and logged at ERROR, so fixing the
  configuration within the retry window loses nothing.

Logs never carry bodies or addresses above DEBUG: only outbox ids, kinds and reply codes.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import logging
import ssl
import threading
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

import aiosmtplib
from sqlalchemy import Engine, select

from mail_intake.compose import ThreadContext, UndeliverableAddress, compose
from mail_intake.config import SmtpOutConfig
from mail_intake.errors import DeliveryFailed
from workflows.adapters import outbox
from workflows.adapters.orm import messages, requests
from workflows.adapters.outbox import OutboxItem
from workflows.domain.errors import WorkflowError
from workflows.domain.messages import Attachment, Direction
from workflows.domain.rights import Channel
from workflows.service_layer.commands import FlagForStaff
from workflows.service_layer.ports import Clock

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine as WorkflowEngine

log = logging.getLogger(__name__)

EMAIL_CHANNEL = str(Channel.EMAIL)


class RelayRefused(DeliveryFailed):
    """The relay answered 5xx for this message (RCPT or DATA): retrying cannot help."""

    smtp_code = 550
    permanent = True


class AttachmentUnavailable(DeliveryFailed):
    """The file to attach is gone or no longer what was queued: retrying cannot help."""

    permanent = True


class EmailSender:
    """Sends claimed outbox rows of channel ``email``; one instance per thread or task."""

    def __init__(
        self,
        database: Engine,
        config: SmtpOutConfig,
        clock: Clock,
        sender_id: str,
        *,
        engine: WorkflowEngine | None = None,
        lease: timedelta = timedelta(minutes=2),
        batch_size: int = 20,
        max_attempts: int = 10,
        staff_language: str | None = None,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        """``engine``: when given, requests whose mail cannot be delivered are flagged for
        staff (FlagForStaff); without it the DEAD row and its ``last_error`` are the alert.
        ``tls_context``: for a relay whose certificate a private CA issued.
        ``lease``: how long a claimed row is ours; at least three send timeouts."""
        self._database = database
        self._config = config
        self._clock = clock
        self._sender_id = sender_id
        self._engine = engine
        # A lease shorter than a few sends would let rows cycle through claims unsent.
        self._lease = max(lease, timedelta(seconds=3 * config.timeout_seconds))
        self._batch_size = batch_size
        self._max_attempts = max_attempts
        self._staff_language = staff_language
        self._tls_context = tls_context

    # -- the loop ------------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event, *, idle_seconds: float = 2.0) -> None:
        """Send until ``stop`` is set; for a thread of ``rightsdesk serve``."""
        asyncio.run(self._run(stop, idle_seconds))

    async def _run(self, stop: threading.Event, idle_seconds: float) -> None:
        while not stop.is_set():
            try:
                claimed, _sent = await self._send_batch()
            except Exception as error:  # a database or relay hiccup must not end the loop
                # Type only at ERROR: driver messages can quote parameters (addresses, text).
                log.error("outbound mail loop error (%s); retrying", type(error).__name__)
                log.debug("outbound mail loop error", exc_info=True)
                claimed = 0
            if claimed < self._batch_size:
                await asyncio.to_thread(stop.wait, idle_seconds)

    async def send_batch(self) -> int:
        """Claim ready e-mail rows, send them, record each outcome; the number sent."""
        _claimed, sent = await self._send_batch()
        return sent

    async def _send_batch(self) -> tuple[int, int]:
        started = self._clock.now()
        items = await asyncio.to_thread(
            outbox.claim,
            self._database,
            EMAIL_CHANNEL,
            self._sender_id,
            now=started,
            lease=self._lease,
            limit=self._batch_size,
        )
        if not items:
            return 0, 0
        lease_ends = started + self._lease
        per_message = timedelta(seconds=self._config.timeout_seconds)
        sent = 0
        client: aiosmtplib.SMTP | None = None
        try:
            for index, item in enumerate(items):
                if self._clock.now() + 2 * per_message >= lease_ends:
                    # Sending now could outlive the lease and race another sender.
                    log.warning("lease running out; %d outbox row(s) left for the next claim", len(items) - index)
                    break
                try:
                    message = await asyncio.to_thread(self._compose, item)
                except DeliveryFailed as failure:
                    await self._record_failure(item, failure)
                    continue
                if client is None:
                    try:
                        client = await self._connect()
                    except DeliveryFailed as failure:
                        # The relay is unreachable: every row left waits its back-off.
                        for rest in items[index:]:
                            await self._record_failure(rest, failure)
                        break
                try:
                    await self._transmit(client, message)
                except DeliveryFailed as failure:
                    await _close(client)
                    client = None  # a fresh session for the next row
                    await self._record_failure(item, failure)
                    continue
                await asyncio.to_thread(
                    outbox.mark_sent, self._database, item, now=self._clock.now(), sender_id=self._sender_id
                )
                log.info("sent outbox row %s (%s)", item.id, item.kind)
                sent += 1
        finally:
            if client is not None:
                await _close(client)
        return len(items), sent

    # -- one message -----------------------------------------------------------------------------

    async def deliver(self, item: OutboxItem) -> None:
        """Send one already claimed row on a connection of its own, without recording the
        outcome (the caller marks it); raises :class:`DeliveryFailed`."""
        message = await asyncio.to_thread(self._compose, item)
        client = await self._connect()
        try:
            await self._transmit(client, message)
        finally:
            await _close(client)

    def _compose(self, item: OutboxItem) -> EmailMessage:
        files = [(attachment, read_attachment(attachment)) for attachment in item.attachments]
        try:
            return compose(
                item,
                config=self._config,
                thread=load_thread(self._database, item.request_id),
                now=self._clock.now(),
                staff_language=self._staff_language,
                files=files,
            )
        except UndeliverableAddress:
            raise
        except (ValueError, TypeError, LookupError) as error:
            # A template value the e-mail library refuses; a later release may cope.
            raise DeliveryFailed(
                "the message could not be composed", stage="compose", error=type(error).__name__
            ) from error

    async def _connect(self) -> aiosmtplib.SMTP:
        config = self._config
        if config.username and not (config.use_tls or config.starttls) and not _is_loopback(config.host):
            # Security over convenience: a password in clear text crosses no network.
            raise DeliveryFailed("relay credentials need STARTTLS or implicit TLS", stage="relay", code="no-tls")
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            use_tls=config.use_tls,
            start_tls=config.starttls if not config.use_tls else False,
            timeout=config.timeout_seconds,
            tls_context=self._tls_context,
        )
        try:
            await client.connect()
        except aiosmtplib.SMTPException as error:
            raise _failure(error) from error
        except OSError as error:
            raise DeliveryFailed("the relay cannot be reached", stage="connect", error=type(error).__name__) from error
        return client

    async def _transmit(self, client: aiosmtplib.SMTP, message: EmailMessage) -> None:
        recipient = str(message["To"])
        try:
            async with asyncio.timeout(self._config.timeout_seconds):
                await client.send_message(message, sender=self._config.from_address, recipients=[recipient])
        except aiosmtplib.SMTPException as error:
            raise _failure(error) from error
        except (OSError, TimeoutError) as error:
            raise DeliveryFailed("the relay connection failed", stage="send", error=type(error).__name__) from error
        except ValueError as error:  # aiosmtplib: an address it cannot send safely
            raise UndeliverableAddress("the relay client refused the address", stage="send") from error

    # -- outcomes --------------------------------------------------------------------------------

    async def _record_failure(self, item: OutboxItem, failure: DeliveryFailed) -> None:
        summary = _summary(failure)
        dead = await asyncio.to_thread(
            outbox.mark_failed,
            self._database,
            item,
            now=self._clock.now(),
            error=f"{summary}: {failure.fields.get('reply', failure.message)}",
            permanent=failure.permanent,
            max_attempts=self._max_attempts,
        )
        level = logging.ERROR if failure.fields.get("stage") == "relay" else logging.WARNING
        log.log(level, "outbox row %s (%s) not sent: %s%s", item.id, item.kind, summary, "; given up" if dead else "")
        if dead:
            await asyncio.to_thread(self._alert_staff, item, summary)

    def _alert_staff(self, item: OutboxItem, summary: str) -> None:
        """Flag the request: the person has not been answered (Art. 12(3) keeps running)."""
        if self._engine is None or item.request_id is None:
            return
        reference = _reference_of(self._database, item.request_id)
        if reference is None:
            return
        reason = f"the {item.kind} e-mail could not be delivered ({summary}); reach the person another way"
        try:
            self._engine.handle(FlagForStaff(reference=reference, reason=reason, actor="system:mail"))
        except WorkflowError as error:
            log.warning("could not flag request for outbox row %s: %s", item.id, type(error).__name__)


def load_thread(database: Engine, request_id: str | None) -> ThreadContext:
    """The reference, language and the person's e-mail Message-IDs of a request."""
    if request_id is None:
        return ThreadContext()
    with database.connect() as connection:
        row = connection.execute(
            select(requests.c.reference, requests.c.language).where(requests.c.id == request_id)
        ).first()
        ids = connection.execute(
            select(messages.c.external_id)
            .where(
                messages.c.request_id == request_id,
                messages.c.direction == str(Direction.IN),
                messages.c.channel == EMAIL_CHANNEL,
                messages.c.external_id.is_not(None),
            )
            .order_by(messages.c.created_at, messages.c.id)
        ).scalars()
        incoming = tuple(str(i) for i in ids)
    if row is None:
        return ThreadContext(incoming_message_ids=incoming)
    return ThreadContext(reference=row.reference, language=row.language, incoming_message_ids=incoming)


def read_attachment(attachment: Attachment) -> bytes:
    """The file as it was when the reply was queued: a missing or altered copy of someone's
    data is never sent (staff are told; the package can be made again by a new export)."""
    try:
        data = Path(attachment.path).read_bytes()
    except OSError as error:
        raise AttachmentUnavailable(
            f"the attachment {attachment.filename} cannot be read", stage="attachment", error=type(error).__name__
        ) from error
    if hashlib.sha256(data).hexdigest() != attachment.sha256:
        raise AttachmentUnavailable(
            f"the attachment {attachment.filename} changed after the reply was queued", stage="attachment"
        )
    return data


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reference_of(database: Engine, request_id: str) -> str | None:
    with database.connect() as connection:
        value = connection.execute(select(requests.c.reference).where(requests.c.id == request_id)).scalar()
    return str(value) if value is not None else None


def _failure(error: aiosmtplib.SMTPException) -> DeliveryFailed:
    """Classify an aiosmtplib error: whose fault, and can a retry help."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in error.recipients] or [550]
        return _by_code(min(codes), "rcpt", "; ".join(r.message for r in error.recipients))
    if isinstance(
        error,
        aiosmtplib.SMTPSenderRefused | aiosmtplib.SMTPAuthenticationError | aiosmtplib.SMTPHeloError,
    ):
        return DeliveryFailed("the relay refused our session", stage="relay", code=error.code, reply=error.message)
    if isinstance(error, aiosmtplib.SMTPNotSupported):
        return DeliveryFailed("the relay lacks a configured feature", stage="relay", reply=error.message)
    if isinstance(error, aiosmtplib.SMTPResponseException) and not isinstance(error, aiosmtplib.SMTPConnectError):
        return _by_code(error.code, "data", error.message)
    return DeliveryFailed("the relay connection failed", stage="connect", error=type(error).__name__)


def _by_code(code: int, stage: str, reply: str) -> DeliveryFailed:
    if 500 <= code < 600:
        return RelayRefused("the relay refused the message", stage=stage, code=code, reply=reply)
    return DeliveryFailed("the relay deferred the message", stage=stage, code=code, reply=reply)


def _summary(failure: DeliveryFailed) -> str:
    """Stage and reply code only: safe for logs and for the staff flag."""
    stage = failure.fields.get("stage", "send")
    code = failure.fields.get("code") or failure.fields.get("error") or type(failure).__name__
    return f"{stage} {code}"


async def _close(client: aiosmtplib.SMTP) -> None:
    try:
        if client.is_connected:
            await client.quit()
    except (aiosmtplib.SMTPException, OSError, TimeoutError):
        client.close()
