"""Route (c): a one-time code sent to the e-mail or phone already on file (tier 2).

LAW.md §Identity: "codes or links to contact details already on file are acceptable" for
tier 2 (EDPB 01/2022 ¶¶69-70). The code goes only to a contact the controller holds for the
customer the request is about (found through :class:`~bot.identity.customers.CustomerDirectory`),
never to one typed in the chat.

Use (blocking; from PTB handlers call through ``asyncio.to_thread``)::

    route = OneTimeCodeRoute(engine, database, customers, secret=identity_secret())
    outcome = route.send(reference, chat_id)        # CODE_SENT(channel="email"|"sms"), RATE_LIMITED,
                                                    # LOCKED, NO_CONTACT_ON_FILE, INSUFFICIENT_ROUTE, ...
    outcome = route.check(reference, chat_id, text)  # VERIFIED, CODE_WRONG(attempts_left),
                                                    # LOCKED(retry_after), CODE_EXPIRED, RATE_LIMITED

Security: 6 digits from :mod:`secrets`, valid 10 minutes, 5 attempts per code, then the route
is locked for the request and the customer (``lockout``) and a verification failure is
recorded in the case; codes sent and codes tried are rate-limited per chat and per customer;
only an HMAC-SHA256 digest of each code is stored (server secret); comparison with
:func:`hmac.compare_digest`. E-mail codes leave through the outbox's ``email`` rows; SMS codes
as outbox rows of channel ``sms`` for an SMS gateway. Codes are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Connection, insert, or_, select, update
from sqlalchemy import Engine as SqlEngine

from bot.identity.cases import CaseView, gate, load_case
from bot.identity.code_texts import code_message
from bot.identity.customers import CustomerDirectory, CustomerOnFile
from bot.identity.outcome import Outcome, OutcomeStatus
from bot.identity.throttle import RateLimit, Throttle
from workflows.adapters.identity_tables import identity_codes
from workflows.adapters.orm import outbox
from workflows.adapters.outbox import OutboxStatus
from workflows.domain.identity import IdentityTier, VerificationMethod, VerifiedIdentity
from workflows.domain.replies import VerificationFailure
from workflows.service_layer.commands import RecordIdentityEvidence, RecordVerificationFailure

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine

log = logging.getLogger(__name__)

SMS_CHANNEL = "sms"
EMAIL_CHANNEL = "email"


class CodeStatus:
    ACTIVE = "active"
    USED = "used"
    LOCKED = "locked"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"


_SENDS_PER_CHAT = RateLimit(3, timedelta(minutes=30))
_SENDS_PER_CUSTOMER = RateLimit(5, timedelta(hours=24))
_CHECKS = RateLimit(15, timedelta(hours=1))
_LIFETIME = timedelta(minutes=10)
_LOCKOUT = timedelta(hours=1)


@dataclass(frozen=True)
class CodePolicy:
    """Defaults of issue 7 (6 digits, 10 minutes, 5 attempts); limits are engineering choices."""

    digits: int = 6
    lifetime: timedelta = _LIFETIME
    max_attempts: int = 5
    lockout: timedelta = _LOCKOUT
    sends_per_chat: RateLimit = _SENDS_PER_CHAT
    sends_per_customer: RateLimit = _SENDS_PER_CUSTOMER
    checks_per_chat: RateLimit = _CHECKS
    checks_per_customer: RateLimit = _CHECKS
    channels: tuple[str, ...] = (EMAIL_CHANNEL, SMS_CHANNEL)
    """Which contact on file to use, in order of preference."""


class OneTimeCodeRoute:
    def __init__(
        self,
        engine: Engine,
        database: SqlEngine,
        customers: CustomerDirectory,
        *,
        secret: bytes,
        policy: CodePolicy | None = None,
    ) -> None:
        self._engine = engine
        self._database = database
        self._customers = customers
        self._secret = secret
        self._policy = policy or CodePolicy()
        self._throttle = Throttle(secret)

    # -- sending ------------------------------------------------------------------------

    def send(self, reference: str, chat_id: str | int) -> Outcome:
        """Send a fresh code to the contact on file; an earlier live code stops working."""
        policy = self._policy
        case = load_case(self._engine, reference, chat_id)
        stop = gate(case, reference, route_tier=IdentityTier.CONTACT_ON_FILE)
        if stop is not None or case is None:
            return stop or Outcome(OutcomeStatus.NOT_FOUND, reference)
        customer = self._customers.find(case.claimed)
        contact = _contact(customer, policy.channels) if customer else None
        if customer is None or contact is None:
            return Outcome(OutcomeStatus.NO_CONTACT_ON_FILE, case.reference)
        channel, recipient = contact
        now = self._engine.clock.now()
        chat = self._throttle.subject("chat", str(chat_id))
        person = self._throttle.subject("customer", customer.key)
        with self._database.begin() as connection:
            locked_until = self._locked_until(connection, case.id, customer.key, now)
            if locked_until is not None:
                return Outcome(OutcomeStatus.LOCKED, case.reference, retry_after=locked_until)
            blocked = _latest(
                self._throttle.blocked_until(connection, chat, "code_sent", policy.sends_per_chat, now=now),
                self._throttle.blocked_until(connection, person, "code_sent", policy.sends_per_customer, now=now),
            )
            if blocked is not None:
                return Outcome(OutcomeStatus.RATE_LIMITED, case.reference, retry_after=blocked)
            code = f"{secrets.randbelow(10**policy.digits):0{policy.digits}d}"
            code_id = uuid.uuid4().hex
            connection.execute(
                update(identity_codes)
                .where(identity_codes.c.request_id == case.id, identity_codes.c.status == CodeStatus.ACTIVE)
                .values(status=CodeStatus.SUPERSEDED, closed_at=now)
            )
            expires_at = now + policy.lifetime
            connection.execute(
                insert(identity_codes).values(
                    id=code_id,
                    request_id=case.id,
                    customer_key=customer.key,
                    code_digest=self._digest(code_id, code),
                    channel=channel,
                    status=CodeStatus.ACTIVE,
                    attempts=0,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
            self._throttle.note(connection, chat, "code_sent", now=now, keep=policy.sends_per_chat.window)
            self._throttle.note(connection, person, "code_sent", now=now, keep=policy.sends_per_customer.window)
            self._queue(connection, case, channel, recipient, code, now)
        log.info("one-time code %s queued for %s via %s", code_id, case.reference, channel)
        return Outcome(OutcomeStatus.CODE_SENT, case.reference, channel=channel, expires_at=expires_at)

    def _queue(self, connection: Connection, case: CaseView, channel: str, recipient: str, code: str,
               now: datetime) -> None:
        """An outbox row only: the code never enters the case's message log."""
        minutes = int(self._policy.lifetime.total_seconds() // 60)
        subject, text = code_message(case.language, reference=case.reference, code=code, minutes=minutes)
        connection.execute(
            insert(outbox).values(
                id=uuid.uuid4().hex,
                request_id=case.id,
                message_id=uuid.uuid4().hex,
                channel=channel,
                recipient=recipient,
                kind="identity_code",
                subject=subject,
                text=text,
                html=None,
                headers={},
                status=OutboxStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )

    # -- checking -----------------------------------------------------------------------

    def check(self, reference: str, chat_id: str | int, entered: str) -> Outcome:
        """Compare ``entered`` with the live code of the request; record identity on a match."""
        policy = self._policy
        case = load_case(self._engine, reference, chat_id)
        stop = gate(case, reference, route_tier=IdentityTier.CONTACT_ON_FILE)
        if stop is not None or case is None:
            return stop or Outcome(OutcomeStatus.NOT_FOUND, reference)
        now = self._engine.clock.now()
        chat = self._throttle.subject("chat", str(chat_id))
        with self._database.begin() as connection:
            row = connection.execute(
                select(identity_codes)
                .where(identity_codes.c.request_id == case.id, identity_codes.c.status == CodeStatus.ACTIVE)
                .order_by(identity_codes.c.created_at.desc())
                .limit(1)
                .with_for_update()
            ).first()
            if row is None:
                locked_until = self._locked_until(connection, case.id, None, now)
                if locked_until is not None:
                    return Outcome(OutcomeStatus.LOCKED, case.reference, retry_after=locked_until)
                return Outcome(OutcomeStatus.CODE_EXPIRED, case.reference)
            person = self._throttle.subject("customer", row.customer_key)
            blocked = _latest(
                self._throttle.blocked_until(connection, chat, "code_checked", policy.checks_per_chat, now=now),
                self._throttle.blocked_until(connection, person, "code_checked", policy.checks_per_customer, now=now),
            )
            if blocked is not None:
                return Outcome(OutcomeStatus.RATE_LIMITED, case.reference, retry_after=blocked)
            self._throttle.note(connection, chat, "code_checked", now=now, keep=policy.checks_per_chat.window)
            self._throttle.note(connection, person, "code_checked", now=now, keep=policy.checks_per_customer.window)
            if row.expires_at <= now:
                _close(connection, row.id, CodeStatus.EXPIRED, now)
                return Outcome(OutcomeStatus.CODE_EXPIRED, case.reference)
            candidate = "".join(ch for ch in entered if not ch.isspace())
            matches = hmac.compare_digest(self._digest(row.id, candidate), row.code_digest)
            if matches:
                _close(connection, row.id, CodeStatus.USED, now)
            else:
                attempts = row.attempts + 1
                locked = attempts >= policy.max_attempts
                connection.execute(
                    update(identity_codes)
                    .where(identity_codes.c.id == row.id)
                    .values(
                        attempts=attempts,
                        status=CodeStatus.LOCKED if locked else CodeStatus.ACTIVE,
                        closed_at=now if locked else None,
                    )
                )
        if not matches:
            if locked:
                return self._lock(case, row.id, now)
            return Outcome(OutcomeStatus.CODE_WRONG, case.reference, attempts_left=policy.max_attempts - attempts)
        verified = VerifiedIdentity(
            method=VerificationMethod.ONE_TIME_CODE,
            verified_at=now,
            evidence_ref=f"code:{row.id}",
            email=self._contact_of(case, row.channel, EMAIL_CHANNEL),
            phone=self._contact_of(case, row.channel, SMS_CHANNEL),
        )
        self._engine.handle(
            RecordIdentityEvidence(
                case.reference, verified, evidence_summary={"route": "one_time_code", "channel": row.channel}
            )
        )
        log.info("one-time code %s verified %s", row.id, case.reference)
        return Outcome(OutcomeStatus.VERIFIED, case.reference, channel=row.channel)

    def _lock(self, case: CaseView, code_id: str, now: datetime) -> Outcome:
        """Art. 12(6): the failure is part of the case file; the reply says how else to verify."""
        self._engine.handle(
            RecordVerificationFailure(
                case.reference,
                VerificationFailure.CODE_WRONG,
                detail=f"{self._policy.max_attempts} wrong one-time codes; the code route is locked",
                evidence_summary={"route": "one_time_code", "code_id": code_id},
            )
        )
        log.info("one-time code %s locked for %s after too many attempts", code_id, case.reference)
        return Outcome(OutcomeStatus.LOCKED, case.reference, retry_after=now + self._policy.lockout)

    def _contact_of(self, case: CaseView, used: str, wanted: str) -> str | None:
        """The verified contact: the one on file that the code reached."""
        if used != wanted:
            return None
        customer = self._customers.find(case.claimed)
        if customer is None:
            return None
        return customer.email if wanted == EMAIL_CHANNEL else customer.phone

    def _locked_until(
        self, connection: Connection, request_id: str, customer_key: str | None, now: datetime
    ) -> datetime | None:
        """A lock of this request (or of this customer through another request) still running."""
        since = now - self._policy.lockout
        scope = identity_codes.c.request_id == request_id
        if customer_key is not None:
            scope = or_(scope, identity_codes.c.customer_key == customer_key)
        latest = connection.execute(
            select(identity_codes.c.closed_at)
            .where(scope, identity_codes.c.status == CodeStatus.LOCKED, identity_codes.c.closed_at > since)
            .order_by(identity_codes.c.closed_at.desc())
            .limit(1)
        ).scalar()
        return None if latest is None else latest + self._policy.lockout

    def _digest(self, code_id: str, code: str) -> str:
        return hmac.new(self._secret, f"otc:{code_id}:{code}".encode(), hashlib.sha256).hexdigest()


def _close(connection: Connection, code_id: str, status: str, now: datetime) -> None:
    connection.execute(
        update(identity_codes).where(identity_codes.c.id == code_id).values(status=status, closed_at=now)
    )


def _contact(customer: CustomerOnFile, order: tuple[str, ...]) -> tuple[str, str] | None:
    for channel in order:
        if channel == EMAIL_CHANNEL and customer.email:
            return channel, customer.email
        if channel == SMS_CHANNEL and customer.phone:
            return channel, customer.phone
    return None


def _latest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return max(present) if present else None
