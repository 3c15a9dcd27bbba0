"""The ``process_email`` worker job: one stored raw e-mail -> engine commands.

The SMTP server only stores the raw bytes and answers 250; everything slow or fallible
happens here, inside the job's transaction, so the job's completion and every effect
(the request, its events, the queued reply, the inbound row's status) commit together,
exactly once (workflows.adapters.unit_of_work).

Order of decisions:

1. Already handled (status is not ``stored``) -> nothing (reprocessing is a no-op).
2. Unparseable (empty, binary junk, a broken hard limit) -> QUARANTINED with the reason.
3. A delivery status notification -> the request of the bounced reply is flagged for staff.
4. Automatic, bulk or list mail (an out-of-office reply, a newsletter) -> IGNORED with
   the reason (RFC 3834: no request, no reply), even when it answers one of our replies.
5. A reply in a thread (``DSR-…`` in the subject, In-Reply-To / References) -> filed
   in that case; a signature in it is recorded as evidence (or as a failure). It verifies
   the thread's request when its signed text quotes the reference, or names us and asks
   for every right the request asks.
6. Otherwise a new request: registered whether signed or not (Art. 12(6); docs/law.md
   §Channels), with a valid QES of a natural person as tier-3 evidence.

A signature verifies only the request it carries (workflows.domain.evidence_binding): when
it does, the signed text *is* the request — the rights, language and personal code are read
from it alone, never from the unsigned body or subject around it — and the signature is
recorded as used by this request in the same transaction. Signed material that is not bound
(too old, not addressed to us, used for another request) verifies no one; the request is
then what the person wrote, unverified, and staff are told when they must look.

All parsing, classification and signature checking happens *before* the first command,
so an unexpected failure there quarantines the mail without half-done effects. Database
and engine errors propagate: the worker retries the job.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select

from mail_intake.autoreply import DeliveryReport, is_delivery_report, no_reply_reason, read_delivery_report
from mail_intake.classify import Classification, classify, fold
from mail_intake.errors import MalformedMessage
from mail_intake.evidence import NOTHING_SIGNED, EvidenceResult, SignatureChecker
from mail_intake.mime import ParsedMail, clean_line, parse_message
from workflows.adapters import evidence_uses
from workflows.adapters.inbound_mail import InboundStatus, StoredMail
from workflows.adapters.orm import messages
from workflows.adapters.signed_evidence import BindingContext
from workflows.domain.evidence_binding import ControllerMarks
from workflows.domain.identity import ClaimedIdentity, IdentityTier
from workflows.domain.reference import find_reference
from workflows.domain.rights import Channel, Right
from workflows.service_layer import commands as c

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine

log = logging.getLogger(__name__)
SUBJECT_CHARS = 300


@dataclass(frozen=True)
class _Reading:
    """Everything the job learned from the message before it changes anything."""

    mail: ParsedMail
    text: str
    classification: Classification
    evidence: EvidenceResult
    evidence_problem: str | None


def process_email(
    payload: Mapping[str, Any], uow: Any, engine: Engine, *, checker: SignatureChecker | None = None
) -> None:
    """Job handler for ``process_email`` (``{"mail_id": …}``); register with functools.partial."""
    mail_id = str(payload["mail_id"])
    stored: StoredMail = uow.inbound.get(mail_id)
    if stored.status != InboundStatus.STORED:
        return  # processed, ignored or quarantined before: never twice
    now = engine.clock.now()
    try:
        mail = parse_message(stored.raw)
    except MalformedMessage as error:
        _mark(uow, stored, InboundStatus.QUARANTINED, now, reason=error.message)
        return
    except Exception as error:  # the stdlib parser on hostile input: quarantine, staff see it
        _mark(uow, stored, InboundStatus.QUARANTINED, now, reason=f"cannot be parsed ({type(error).__name__})")
        return
    if is_delivery_report(mail):
        _handle_bounce(uow, engine, stored, mail, read_delivery_report(mail))
        return
    if _already_filed(uow, mail):
        _mark(uow, stored, InboundStatus.IGNORED, now, reason=f"duplicate of an earlier message {mail.message_id}")
        return
    quiet = no_reply_reason(mail, stored.mail_from)
    if quiet is not None:  # even in a thread: an out-of-office reply is not the person writing
        _mark(uow, stored, InboundStatus.IGNORED, now, reason=quiet)
        return
    reference = _thread_reference(uow, mail)
    try:
        reading = _read(uow, stored, mail, checker, engine, reference)
    except Exception as error:  # a bug on hostile input must not lose the mail: staff see it
        log.warning("mail %s could not be classified: %s", stored.id, type(error).__name__)
        _mark(uow, stored, InboundStatus.QUARANTINED, now, reason=f"cannot be classified ({type(error).__name__})")
        return
    if reference is not None:
        request_id = _file_in_thread(uow, engine, stored, reading, reference)
    else:
        request_id = _open_request(uow, engine, stored, reading)
    _mark(uow, stored, InboundStatus.PROCESSED, now, request_id=request_id)


def _mark(
    uow: Any, stored: StoredMail, status: str, now: Any, *, reason: str | None = None, request_id: str | None = None
) -> None:
    uow.inbound.mark(
        stored.id, status, at=now, reason=clean_line(reason, 500) if reason else None, request_id=request_id
    )


def _read(
    uow: Any, stored: StoredMail, mail: ParsedMail, checker: SignatureChecker | None, engine: Engine,
    reference: str | None,
) -> _Reading:
    evidence, problem = NOTHING_SIGNED, None
    if checker is not None:
        context = BindingContext(
            received_at=stored.received_at,
            reference=reference,
            marks=ControllerMarks.from_profile(engine.profile),
            policy=checker.policy,
            used_by=lambda digest: evidence_uses.used_by(uow.connection, digest),
            rights_asked=_thread_rights(uow, reference),
        )
        try:
            evidence = checker.check(stored.raw, mail, now=engine.clock.now(), context=context)
        except Exception as error:  # a fault in validation is ours, not the person's: staff check by hand
            problem = f"the signed material could not be checked ({type(error).__name__})"
            log.warning("mail %s: signature check failed: %s", stored.id, type(error).__name__)
    if evidence.verified is not None and evidence.signed_text:
        # The signed text is the request: the unsigned subject and body around it say nothing.
        text = evidence.signed_text
        return _Reading(mail, text, classify("", text), evidence, problem)
    return _Reading(mail, mail.text, classify(mail.subject, mail.text), evidence, problem)


def _thread_rights(uow: Any, reference: str | None) -> frozenset[Right] | None:
    """The rights a signature in a thread reply would verify: those of the thread's request,
    which earlier (perhaps unsigned) messages asked. A signed text that names us but not the
    reference verifies them only if it asks for them itself (workflows.domain.evidence_binding).
    None for a new request: its rights are read from the signed text, which covers itself."""
    if reference is None:
        return None
    return frozenset(uow.requests.get_by_reference(reference).rights)


def _open_request(uow: Any, engine: Engine, stored: StoredMail, reading: _Reading) -> str:
    mail, found, evidence = reading.mail, reading.classification, reading.evidence
    claimed = ClaimedIdentity(
        name=mail.from_name or None,
        email=mail.from_address or _envelope_address(stored.mail_from),
        personal_code=found.personal_code,
    )
    details: dict[str, Any] = {"inbound_mail": stored.id, "rights_recognised": found.recognised}
    if found.marketing_channels:
        details["marketing_channels"] = sorted(found.marketing_channels)
    if mail.defects:
        details["mime_defects"] = list(mail.defects)[:20]
    required = engine.required_tier(found.rights)
    quiet_failure = evidence.failure is not None and required <= IdentityTier.CHANNEL_CONTROL
    if quiet_failure:
        details["signature"] = dict(evidence.summary)  # not needed for this right: no failure reply
    reference: str = engine.handle(
        c.OpenRequest(
            channel=Channel.EMAIL,
            rights=found.rights,
            language=found.language,
            claimed=claimed,
            received_at=stored.received_at,
            details=details,
            evidence=evidence.verified,
            evidence_summary=evidence.summary if evidence.verified or not quiet_failure else {},
            verification_failure=None if quiet_failure else evidence.failure,
            verification_detail=None if quiet_failure else evidence.reason,
            incoming_subject=clean_line(mail.subject, SUBJECT_CHARS),
            incoming_text=reading.text,
            incoming_external_id=mail.message_id,
        )
    )
    request_id = str(uow.requests.get_by_reference(reference).id)
    _record_use(uow, engine, evidence, request_id)
    for reason in _staff_reasons(reading, claimed):
        engine.handle(c.FlagForStaff(reference, reason))
    return request_id


def _record_use(uow: Any, engine: Engine, evidence: EvidenceResult, request_id: str) -> None:
    """The signature that verified this request can verify no other (same transaction as the evidence)."""
    if evidence.verified is not None and evidence.signature_digest:
        evidence_uses.record_use(uow.connection, evidence.signature_digest, request_id, at=engine.clock.now())


def _record_failure(engine: Engine, reference: str, evidence: EvidenceResult) -> None:
    """Art. 12(6): the request stays registered; the reply says plainly why the signature
    did not verify and how else to verify (eParaksts, the chat bot, a shop visit)."""
    if evidence.failure is None:
        return
    engine.handle(
        c.RecordVerificationFailure(reference, evidence.failure, evidence.reason, evidence_summary=evidence.summary)
    )


def _staff_reasons(reading: _Reading, claimed: ClaimedIdentity) -> list[str]:
    reasons = []
    if not reading.classification.recognised:
        reasons.append("rights not recognised: registered as an access request until staff read it")
    if reading.evidence_problem:
        reasons.append(reading.evidence_problem)
    if reading.evidence.staff_reason:
        reasons.append(reading.evidence.staff_reason)
    mismatch = signer_mismatch(reading.evidence, claimed)
    if mismatch:
        reasons.append(mismatch)
    return reasons


def signer_mismatch(evidence: EvidenceResult, claimed: ClaimedIdentity) -> str | None:
    """docs/law.md §Identity: the signer must be the data subject, or a representative whose
    mandate staff check. A written personal code that differs from the certificate's, or a
    From name sharing no name with the signer's, is flagged (the evidence stays recorded)."""
    verified = evidence.verified
    if verified is None:
        return None
    base = "the signer is not the person the request is about"
    if claimed.personal_code and verified.personal_code and claimed.personal_code != verified.personal_code:
        return f"{base}: the personal code in the request differs from the signer's; check a mandate"
    if claimed.name and verified.name and not _names_overlap(claimed.name, verified.name):
        return f"{base}: the sender's name differs from the signer's; check a mandate"
    return None


def _names_overlap(first: str, second: str) -> bool:
    def tokens(name: str) -> set[str]:
        return {t for t in "".join(ch if ch.isalpha() else " " for ch in fold(name)).split() if len(t) > 2}

    a, b = tokens(first), tokens(second)
    return not a or not b or bool(a & b)


def _file_in_thread(uow: Any, engine: Engine, stored: StoredMail, reading: _Reading, reference: str) -> str:
    mail, evidence = reading.mail, reading.evidence
    request_id: str = engine.handle(
        c.ReceiveMessage(
            reference=reference,
            channel=Channel.EMAIL,
            received_at=stored.received_at,
            subject=clean_line(mail.subject, SUBJECT_CHARS),
            text=reading.text,
            sender=mail.from_address or _envelope_address(stored.mail_from),
            external_id=mail.message_id,
        )
    )
    request = uow.requests.get(request_id)
    if request.state.is_terminal:
        return request_id  # ReceiveMessage flagged it; evidence on a closed case changes nothing
    if evidence.verified is not None:
        engine.handle(c.RecordIdentityEvidence(reference, evidence.verified, evidence_summary=evidence.summary))
        _record_use(uow, engine, evidence, request_id)
    elif evidence.failure is not None and not request.identity_sufficient:
        _record_failure(engine, reference, evidence)
    reasons = [
        r for r in (reading.evidence_problem, evidence.staff_reason, signer_mismatch(evidence, request.claimed)) if r
    ]
    known = request.claimed.email
    if known and mail.from_address and mail.from_address != known.lower():
        reasons.append("a message in the thread came from another address than the request")
    for reason in reasons:
        engine.handle(c.FlagForStaff(reference, reason))
    return request_id


def _thread_reference(uow: Any, mail: ParsedMail) -> str | None:
    """The case this message continues: a reference in the subject that exists, else the
    Message-IDs it answers (ours: the outgoing message's id is the Message-ID's local part)."""
    from workflows.domain.errors import RequestNotFound

    reference = find_reference(mail.subject)
    if reference is not None:
        try:
            uow.requests.get_by_reference(reference)
            return reference
        except RequestNotFound:
            pass  # a mistyped or invented reference: treat it as a new message
    request_id = _request_for_message_ids(uow, mail.thread_ids)
    return None if request_id is None else str(uow.requests.get(request_id).reference)


def _request_for_message_ids(uow: Any, ids: tuple[str, ...], *, outgoing_only: bool = False) -> str | None:
    if not ids:
        return None
    local_parts = [i.strip("<>").split("@", 1)[0] for i in ids]
    query = select(messages.c.request_id).where(
        or_(messages.c.external_id.in_(ids), messages.c.id.in_(local_parts)), messages.c.request_id.is_not(None)
    )
    if outgoing_only:
        query = query.where(messages.c.direction == "out")
    row = uow.connection.execute(query.limit(1)).first()
    return None if row is None else str(row.request_id)


def _already_filed(uow: Any, mail: ParsedMail) -> bool:
    """The same Message-ID filed before: the sending MTA retried after a lost 250."""
    if not mail.message_id:
        return False
    query = select(messages.c.id).where(messages.c.external_id == mail.message_id, messages.c.direction == "in")
    return uow.connection.execute(query.limit(1)).first() is not None


def _handle_bounce(uow: Any, engine: Engine, stored: StoredMail, mail: ParsedMail, report: DeliveryReport) -> None:
    """RFC 3464: never answered; the request whose reply bounced is flagged for staff."""
    now = engine.clock.now()
    request_id = _request_for_message_ids(uow, report.original_message_ids, outgoing_only=True)
    if request_id is None:
        reason = f"delivery report for no known reply: {report.describe()}"
        _mark(uow, stored, InboundStatus.IGNORED, now, reason=reason)
        return
    reference = str(uow.requests.get(request_id).reference)
    described = report.describe()
    engine.handle(
        c.ReceiveMessage(
            reference=reference,
            channel=Channel.EMAIL,
            received_at=stored.received_at,
            subject=clean_line(mail.subject, SUBJECT_CHARS),
            text=f"Delivery status notification: {described}",
            sender=_envelope_address(stored.mail_from) or mail.from_address or None,
            external_id=mail.message_id,
            actor="system",
        )
    )
    addresses = ", ".join(r.address for r in report.failed if r.address) or "the person"
    status = "; ".join(r.status or r.action for r in report.failed) or "failed"
    engine.handle(c.FlagForStaff(reference, clean_line(f"our reply to {addresses} bounced: {status}", 500)))
    _mark(uow, stored, InboundStatus.PROCESSED, now, request_id=request_id)


def _envelope_address(mail_from: str) -> str | None:
    address = clean_line(mail_from.strip("<> "), 320).lower()
    return address if "@" in address else None
