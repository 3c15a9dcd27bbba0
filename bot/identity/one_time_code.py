"""Route (c): a one-time code sent to the e-mail or phone already on file (tier 2).

docs/law.md §Identity: "codes or links to contact details already on file are acceptable" for
tier 2 (EDPB 01/2022 ¶¶69-70). The code goes only to a contact the controller holds for the
customer the request is about (found through :class:`~bot.identity.customers.CustomerDirectory`),
never to one typed in the chat.

Use (blocking; from PTB handlers call through ``asyncio.to_thread``)::

    route = OneTimeCodeRoute(engine, database, customers, secret=identity_secret())
    outcome = route.send(reference, chat_id)        # CODE_SENT(channel="email"|"sms"), RATE_LIMITED,
                                                    # LOCKED, NO_CONTACT_ON_FILE, INSUFFICIENT_ROUTE, ...
    outcome = route.check(reference, chat_id, text)  # VERIFIED, CODE_WRONG(attempts_left),
                                                    # LOCKED(retry_after), CODE_EXPIRED, RATE_LIMITED
    route.send_for_case(case, requester, entered_on="web")  # the same for a case the caller loaded and
    route.check_for_case(case, requester, text)             # bound (the e-mail requester's web page)

Security: 6 digits from :mod:`secrets`, valid 10 minutes, at most 5 tries per code (then it
stops working and a new one may be asked for); only an HMAC-SHA256 digest of each code is
stored (server secret); comparison with :func:`hmac.compare_digest`. E-mail codes leave
through the outbox's ``email`` rows; SMS codes as outbox rows of channel ``sms`` for an SMS
gateway. Codes are never logged.

Lock-out, per contact AND chat (:class:`~bot.identity.throttle.GrowingPause`): after 3 wrong
codes the pair (this contact on file, this chat) waits 1 minute, then 2, 4, ... up to an
hour; wrong codes are forgotten after a day, or at once when a code matches. Only an entry
shaped like a code (the code's digits, with spaces or dashes between them) is an attempt.
A stranger who types wrong codes for someone else's contact in his own chat pauses only his
own chat: the real customer's chat keeps its own count (OWASP Authentication Cheat Sheet,
"account lockout" must not be a denial of service; NIST SP 800-63B §5.2.2 rate limiting).
The first pause in a day is recorded in the case as a verification failure (Art. 12(6):
staff see it; the request stays registered with its clock running).

Sending is limited per chat (3 per 30 minutes), per contact and chat (5 a day) and, as a
cap on how many live codes can ever reach one person's inbox (and so on guesses at them),
per customer across chats (10 a day): one stranger's chat can take at most half of that cap,
and when the cap refuses someone staff are told (once a day per request) and the chat offers
the other routes.
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

from sqlalchemy import Connection, insert, select, update
from sqlalchemy import Engine as SqlEngine

from bot.identity.cases import CaseView, gate, load_case
from bot.identity.code_texts import code_message
from bot.identity.customers import CustomerDirectory, CustomerOnFile
from bot.identity.outcome import Outcome, OutcomeStatus
from bot.identity.throttle import GrowingPause, RateLimit, Throttle
from workflows.adapters.identity_tables import identity_codes
from workflows.adapters.orm import outbox
from workflows.adapters.outbox import OutboxStatus
from workflows.domain.identity import IdentityTier, VerificationMethod, VerifiedIdentity
from workflows.domain.replies import VerificationFailure
from workflows.service_layer.commands import FlagForStaff, RecordIdentityEvidence, RecordVerificationFailure

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
_SENDS_PER_CONTACT_AND_CHAT = RateLimit(5, timedelta(hours=24))
_SENDS_PER_CUSTOMER = RateLimit(10, timedelta(hours=24))
_CHECKS = RateLimit(15, timedelta(hours=1))
_LIFETIME = timedelta(minutes=10)
_PAUSE = GrowingPause(free=3, first=timedelta(minutes=1), longest=timedelta(hours=1), memory=timedelta(hours=24))
_WRONG = "code_wrong"
_SENT = "code_sent"
_CHECKED = "code_checked"
_CAP_FLAGGED = "code_cap_flagged"


@dataclass(frozen=True)
class CodePolicy:
    """6 digits, 10 minutes, 5 tries per code; the limits are engineering choices."""

    digits: int = 6
    lifetime: timedelta = _LIFETIME
    max_attempts: int = 5
    """Tries per code; then the code stops working (a new code may be asked for)."""
    pause: GrowingPause = _PAUSE
    """Wrong codes per (contact, chat) before a pause, and how the pause grows."""
    sends_per_chat: RateLimit = _SENDS_PER_CHAT
    sends_per_contact_and_chat: RateLimit = _SENDS_PER_CONTACT_AND_CHAT
    sends_per_customer: RateLimit = _SENDS_PER_CUSTOMER
    checks_per_chat: RateLimit = _CHECKS
    channels: tuple[str, ...] = (EMAIL_CHANNEL, SMS_CHANNEL)
    """Which contact on file to use, in order of preference."""


def code_shaped(entered: str, digits: int) -> str | None:
    """The code in ``entered`` when it is shaped like one: exactly ``digits`` digits, with
    only spaces or dashes around and between them ("123 456", "123-456"); else None.

    Anything else ("hello", an e-mail address, a phone number, 7 digits) is not an attempt:
    it is not counted against the code or the lock-out, so chatting at the code step never
    locks anybody out."""
    kept = [ch for ch in entered.strip() if ch not in " -\u00a0\u2010\u2011\u2012\u2013\u2212"]
    if len(kept) != digits or not all("0" <= ch <= "9" for ch in kept):
        return None
    return "".join(kept)


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

    @property
    def digits(self) -> int:
        """How many digits a code has (the chat tells a code from other text by it)."""
        return self._policy.digits

    def send(self, reference: str, chat_id: str | int) -> Outcome:
        """Send a fresh code to the contact on file; an earlier live code stops working."""
        case = load_case(self._engine, reference, chat_id)
        if case is None:
            return Outcome(OutcomeStatus.NOT_FOUND, reference)
        return self.send_for_case(case, str(chat_id))

    def send_for_case(self, case: CaseView, requester: str, *, entered_on: str = "chat") -> Outcome:
        """:meth:`send` for a case the caller loaded and bound to ``requester`` itself (the
        e-mail requester's web page). ``requester`` scopes the limits and the lock-out as a
        chat id does; ``entered_on`` ("chat" or "web") says where the message tells her to
        type the code."""
        policy = self._policy
        stop = gate(case, case.reference, route_tier=IdentityTier.CONTACT_ON_FILE)
        if stop is not None:
            return stop
        customer = self._customers.find(case.claimed)
        contact = _contact(customer, policy.channels) if customer else None
        if customer is None or contact is None:
            return Outcome(OutcomeStatus.NO_CONTACT_ON_FILE, case.reference)
        channel, recipient = contact
        now = self._engine.clock.now()
        chat = self._throttle.subject("chat", requester)
        pair = self._pair(customer.key, requester)
        person = self._throttle.subject("customer", customer.key)
        with self._database.begin() as connection:
            paused = self._throttle.paused_until(connection, pair, _WRONG, policy.pause, now=now)
            if paused is not None:  # a new code must not cut a pause short
                return Outcome(OutcomeStatus.LOCKED, case.reference, retry_after=paused)
            own = _latest(
                self._throttle.blocked_until(connection, chat, _SENT, policy.sends_per_chat, now=now),
                self._throttle.blocked_until(connection, pair, _SENT, policy.sends_per_contact_and_chat, now=now),
            )
            if own is not None:
                return Outcome(OutcomeStatus.RATE_LIMITED, case.reference, retry_after=own)
            capped = self._throttle.blocked_until(connection, person, _SENT, policy.sends_per_customer, now=now)
            if capped is not None:
                flag = self._first_cap_refusal(connection, case.id, now)
            else:
                self._issue(connection, case, customer.key, (channel, recipient), now, (chat, pair, person), entered_on)
        if capped is not None:
            if flag:
                self._engine.handle(
                    FlagForStaff(
                        case.reference,
                        "one-time codes to this customer's contact on file reached the daily cap "
                        "(codes were asked for from other chats too); another route is offered",
                        actor="bot:one_time_code",
                    )
                )
            return Outcome(OutcomeStatus.RATE_LIMITED, case.reference, retry_after=capped)
        log.info("one-time code queued for %s via %s", case.reference, channel)
        return Outcome(
            OutcomeStatus.CODE_SENT, case.reference, channel=channel, expires_at=now + policy.lifetime
        )

    def _issue(
        self,
        connection: Connection,
        case: CaseView,
        customer_key: str,
        contact: tuple[str, str],
        now: datetime,
        subjects: tuple[str, ...],
        entered_on: str,
    ) -> None:
        policy = self._policy
        channel = contact[0]
        code = f"{secrets.randbelow(10**policy.digits):0{policy.digits}d}"
        code_id = uuid.uuid4().hex
        connection.execute(
            update(identity_codes)
            .where(identity_codes.c.request_id == case.id, identity_codes.c.status == CodeStatus.ACTIVE)
            .values(status=CodeStatus.SUPERSEDED, closed_at=now)
        )
        connection.execute(
            insert(identity_codes).values(
                id=code_id,
                request_id=case.id,
                customer_key=customer_key,
                code_digest=self._digest(code_id, code),
                channel=channel,
                status=CodeStatus.ACTIVE,
                attempts=0,
                created_at=now,
                expires_at=now + policy.lifetime,
            )
        )
        longest = max(policy.sends_per_chat.window, policy.sends_per_contact_and_chat.window,
                      policy.sends_per_customer.window)
        for subject in subjects:
            self._throttle.note(connection, subject, _SENT, now=now, keep=longest)
        self._queue(connection, case, contact, code, now, entered_on)

    def _first_cap_refusal(self, connection: Connection, request_id: str, now: datetime) -> bool:
        """Staff hear of a request refused by the per-customer cap once a day, not per press."""
        subject = self._throttle.subject("cap_flag", request_id)
        once = RateLimit(1, timedelta(hours=24))
        if self._throttle.blocked_until(connection, subject, _CAP_FLAGGED, once, now=now) is not None:
            return False
        self._throttle.note(connection, subject, _CAP_FLAGGED, now=now, keep=once.window)
        return True

    def _pair(self, customer_key: str, requester: str) -> str:
        """The lock-out's subject: this contact on file AND this chat, never one of them alone."""
        return self._throttle.subject("contact_chat", f"{customer_key}\n{requester}")

    def _queue(
        self, connection: Connection, case: CaseView, contact: tuple[str, str], code: str, now: datetime,
        entered_on: str,
    ) -> None:
        """An outbox row only: the code never enters the case's message log."""
        channel, recipient = contact
        minutes = int(self._policy.lifetime.total_seconds() // 60)
        subject, text = code_message(
            case.language, reference=case.reference, code=code, minutes=minutes, entered_on=entered_on
        )
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
        """Compare ``entered`` with the live code of the request; record identity on a match.

        Text not shaped like a code is not an attempt: CODE_WRONG with the attempts left
        unchanged (the chat tells such text apart before calling, see :func:`code_shaped`)."""
        case = load_case(self._engine, reference, chat_id)
        if case is None:
            return Outcome(OutcomeStatus.NOT_FOUND, reference)
        return self.check_for_case(case, str(chat_id), entered)

    def check_for_case(self, case: CaseView, requester: str, entered: str) -> Outcome:
        """:meth:`check` for a case the caller loaded and bound to ``requester`` itself."""
        policy = self._policy
        stop = gate(case, case.reference, route_tier=IdentityTier.CONTACT_ON_FILE)
        if stop is not None:
            return stop
        now = self._engine.clock.now()
        chat = self._throttle.subject("chat", requester)
        candidate = code_shaped(entered, policy.digits)
        first_pause = spent = False
        attempts = failures = 0
        with self._database.begin() as connection:
            row = connection.execute(
                select(identity_codes)
                .where(identity_codes.c.request_id == case.id, identity_codes.c.status == CodeStatus.ACTIVE)
                .order_by(identity_codes.c.created_at.desc())
                .limit(1)
                .with_for_update()
            ).first()
            customer_key = row.customer_key if row is not None else connection.execute(
                select(identity_codes.c.customer_key)
                .where(identity_codes.c.request_id == case.id)
                .order_by(identity_codes.c.created_at.desc())
                .limit(1)
            ).scalar()
            if customer_key is None:  # no code was ever sent for this request
                return Outcome(OutcomeStatus.CODE_EXPIRED, case.reference)
            pair = self._pair(customer_key, requester)
            paused = self._throttle.paused_until(connection, pair, _WRONG, policy.pause, now=now)
            if paused is not None:  # refused before it is counted: a pause cannot be kept running
                return Outcome(OutcomeStatus.LOCKED, case.reference, retry_after=paused)
            if row is None:
                return Outcome(OutcomeStatus.CODE_EXPIRED, case.reference)
            if candidate is None:
                failures, _ = self._throttle.failures(connection, pair, _WRONG, policy.pause, now=now)
                return Outcome(
                    OutcomeStatus.CODE_WRONG, case.reference, attempts_left=self._left(row.attempts, failures)
                )
            blocked = self._throttle.blocked_until(connection, chat, _CHECKED, policy.checks_per_chat, now=now)
            if blocked is not None:
                return Outcome(OutcomeStatus.RATE_LIMITED, case.reference, retry_after=blocked)
            self._throttle.note(connection, chat, _CHECKED, now=now, keep=policy.checks_per_chat.window)
            if row.expires_at <= now:
                _close(connection, row.id, CodeStatus.EXPIRED, now)
                return Outcome(OutcomeStatus.CODE_EXPIRED, case.reference)
            matches = hmac.compare_digest(self._digest(row.id, candidate), row.code_digest)
            if matches:
                _close(connection, row.id, CodeStatus.USED, now)
                self._throttle.forget(connection, pair, _WRONG)
            else:
                attempts = row.attempts + 1
                spent = attempts >= policy.max_attempts
                connection.execute(
                    update(identity_codes)
                    .where(identity_codes.c.id == row.id)
                    .values(
                        attempts=attempts,
                        status=CodeStatus.LOCKED if spent else CodeStatus.ACTIVE,
                        closed_at=now if spent else None,
                    )
                )
                failures, paused = self._throttle.fail(connection, pair, _WRONG, policy.pause, now=now)
                first_pause = paused is not None and failures == policy.pause.free
        if not matches:
            if first_pause:
                self._record_pause(case, row.id)
            if paused is not None:
                log.info("one-time code for %s: wrong again, this chat pauses until %s", case.reference, paused)
                return Outcome(OutcomeStatus.LOCKED, case.reference, retry_after=paused)
            if spent:
                return Outcome(OutcomeStatus.CODE_EXPIRED, case.reference)
            return Outcome(OutcomeStatus.CODE_WRONG, case.reference, attempts_left=self._left(attempts, failures))
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

    def _left(self, attempts_on_code: int, failures: int) -> int:
        """Tries before this code stops working or the chat has to wait, whichever is first."""
        return max(min(self._policy.max_attempts - attempts_on_code, self._policy.pause.left_before_pause(failures)), 0)

    def _record_pause(self, case: CaseView, code_id: str) -> None:
        """Art. 12(6): the failure is part of the case file; the chat is offered other routes."""
        pause = self._policy.pause
        self._engine.handle(
            RecordVerificationFailure(
                case.reference,
                VerificationFailure.CODE_WRONG,
                detail=f"{pause.free} wrong one-time codes in this chat; code entry pauses "
                f"{int(pause.first.total_seconds() // 60)} min, growing with each further wrong code",
                evidence_summary={"route": "one_time_code", "code_id": code_id},
            )
        )

    def _contact_of(self, case: CaseView, used: str, wanted: str) -> str | None:
        """The verified contact: the one on file that the code reached."""
        if used != wanted:
            return None
        customer = self._customers.find(case.claimed)
        if customer is None:
            return None
        return customer.email if wanted == EMAIL_CHANNEL else customer.phone

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
