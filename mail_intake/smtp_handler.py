"""The SMTP/LMTP session hooks: who may receive mail here, and durable storage before 250.

aiosmtpd calls these hooks (``handle_RCPT``, ``handle_DATA``, ``handle_exception``) from the
event loop. The only slow step, storing the raw message, runs in a thread so that one
client's fsync never stalls the other sessions. Nothing here logs a body or an address
above DEBUG: both are personal data (GDPR Art. 5(1)(c), data minimisation).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from workflows.service_layer.commands import StoreInboundEmail
from workflows.service_layer.ports import Clock

log = logging.getLogger(__name__)

StoreMail = Callable[[StoreInboundEmail], str]
"""Runs ``StoreInboundEmail`` (one committed transaction) and returns the stored mail's id;
called in a worker thread (e.g. ``app.engine.handle``)."""
AsyncStoreMail = Callable[[StoreInboundEmail], Awaitable[str]]
"""The same as a coroutine function, awaited in the event loop (e.g. ``GroupCommitStore``)."""

# Replies, with RFC 3463 enhanced status codes so that clients can tell why.
REPLY_UNKNOWN_RECIPIENT = "550 5.1.1 Recipient address rejected: no such mailbox here"
REPLY_TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
REPLY_STORAGE_FAILED = "451 4.3.0 Could not store the message; please try again later"
REPLY_INTERNAL_ERROR = "451 4.3.0 Internal error; please try again later"
REPLY_RECIPIENT_OK = "250 2.1.5 Recipient ok"


def _accepted_reply(mail_id: str) -> str:
    return f"250 2.0.0 Ok: stored as {mail_id}"


@dataclass(frozen=True)
class RecipientPolicy:
    """Which envelope recipients this server takes mail for.

    Comparison is case-insensitive on the whole address: the local part is case-sensitive
    in theory (RFC 5321 §2.4) but no mailbox provider treats it so, and a customer who
    types ``Privacy@Shop.lv`` must not be bounced. ``postmaster`` with no domain, or at
    one of our domains, is always accepted (RFC 5321 §4.5.1).
    """

    recipients: frozenset[str]
    domains: frozenset[str]

    @classmethod
    def build(cls, recipients: Iterable[str], hostname: str) -> RecipientPolicy:
        lowered = frozenset(address.strip().lower() for address in recipients if address.strip())
        domains = {address.rpartition("@")[2] for address in lowered if "@" in address}
        if hostname:
            domains.add(hostname.lower())
        return cls(recipients=lowered, domains=frozenset(domains))

    def accepts(self, address: str) -> bool:
        lowered = address.strip().lower()
        if lowered in self.recipients:
            return True
        local, at, domain = lowered.rpartition("@")
        if not at:
            return lowered == "postmaster"
        return local == "postmaster" and domain in self.domains


def _peer_text(peer: Any) -> str | None:
    """The client's address as text: ``host`` of an (host, port) pair, else its string form."""
    if peer is None:
        return None
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return str(peer)


class IntakeHandler:
    """aiosmtpd handler: accepts our recipients, stores each message durably, then answers.

    ``lmtp`` makes ``handle_DATA`` answer once per recipient (RFC 2033 §4.2), as LMTP needs.
    """

    def __init__(
        self,
        *,
        policy: RecipientPolicy,
        store: StoreMail | AsyncStoreMail,
        clock: Clock,
        max_recipients: int,
        lmtp: bool = False,
    ) -> None:
        self._policy = policy
        self._store = store
        self._clock = clock
        self._max_recipients = max_recipients
        self._lmtp = lmtp
        # A coroutine function, or an object whose __call__ is one (GroupCommitStore).
        self._store_is_async = inspect.iscoroutinefunction(store) or inspect.iscoroutinefunction(type(store).__call__)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if len(envelope.rcpt_tos) >= self._max_recipients:
            return REPLY_TOO_MANY_RECIPIENTS
        if not self._policy.accepts(address):
            log.debug("recipient rejected: %s", address)
            return REPLY_UNKNOWN_RECIPIENT
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return REPLY_RECIPIENT_OK

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content
        if not isinstance(raw, bytes):  # aiosmtpd always sets it; never store a str by accident
            raw = bytes(raw or b"")
        command = StoreInboundEmail(
            raw=raw,
            mail_from=envelope.mail_from or "",
            rcpt_to=tuple(envelope.rcpt_tos),
            received_at=self._clock.now(),
            peer=_peer_text(session.peer),
        )
        try:
            mail_id = await self._stored(command)
        except Exception as error:  # storage down, disk full, lock timeout: the client retries
            log.warning("could not store an inbound message (%d bytes): %s", len(raw), type(error).__name__)
            log.debug("storage failure detail", exc_info=True)
            return self._per_recipient(envelope, REPLY_STORAGE_FAILED)
        log.info("stored inbound message %s (%d bytes)", mail_id, len(raw))
        return self._per_recipient(envelope, _accepted_reply(mail_id))

    async def _stored(self, command: StoreInboundEmail) -> str:
        if self._store_is_async:
            return await self._store(command)  # type: ignore[no-any-return, misc]
        return await asyncio.to_thread(self._store, command)  # type: ignore[arg-type]

    async def handle_exception(self, error: Exception) -> str:
        """Any unexpected failure in a session ends in a temporary reply; the server keeps serving."""
        log.warning("SMTP session error: %s", type(error).__name__)
        log.debug("SMTP session error detail", exc_info=error)
        return REPLY_INTERNAL_ERROR

    def _per_recipient(self, envelope: Any, reply: str) -> str:
        if not self._lmtp:
            return reply
        # LMTP: one reply line per accepted recipient, in RCPT order (RFC 2033 §4.2).
        return "\r\n".join(reply for _ in envelope.rcpt_tos) or reply
