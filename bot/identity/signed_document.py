"""Route (a): a signed document (``.edoc``, ``.asice``, signed PDF) uploaded in the chat (tier 3).

A signed document verifies only the request it carries, by the rules the e-mail intake uses
too (:mod:`workflows.domain.evidence_binding`, judged in :mod:`workflows.adapters.signed_evidence`):
a TOTAL-PASSED qualified electronic signature of a natural person (eIDAS Art. 3(12), ETSI EN
319 102-1 clause 5.1.3) whose signed text carries this request's reference, or names this
controller and asks for every right the request asks (the buttons chose them, not the
signer), signed recently (by default within 30 days before the upload), and never used for
another request. The signer must then be the person the request is about (docs/law.md §Identity;
:mod:`bot.identity.subject`): a valid signature by someone else is rejected with
``SIGNER_NOT_DATA_SUBJECT``. The file itself is not kept: the case records its SHA-256 and the
validation summary (Art. 5(1)(c)); the signature's digest is recorded as used by this request.

Use (blocking and CPU-bound; from PTB handlers call through ``asyncio.to_thread``)::

    route = SignedDocumentRoute(engine, app.trust_store, customers)
    outcome = route.check(reference, chat_id, file_bytes, filename)
    # VERIFIED | REJECTED(failure=SIGNATURE_INVALID | SIGNATURE_NOT_QUALIFIED | CERTIFICATE_REVOKED |
    #   SIGNER_NOT_DATA_SUBJECT | SIGNATURE_NOT_RECENT | SIGNING_TIME_AFTER_RECEIPT |
    #   NOT_ADDRESSED_TO_CONTROLLER | RIGHTS_NOT_SIGNED | SIGNATURE_ALREADY_USED) | NEEDS_STAFF | NOT_FOUND |
    #   CLOSED | NOT_NEEDED
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from bot.identity.cases import CaseView, gate, load_case
from bot.identity.customers import CustomerDirectory
from bot.identity.outcome import Outcome, OutcomeStatus
from bot.identity.subject import SubjectMatch, match_subject
from signature.errors import UnusableInput
from signature.signed_text import covered_text
from signature.trust import TrustStore
from signature.validate import validate_file
from workflows.adapters import evidence_uses
from workflows.adapters.signed_evidence import BindingContext, SignedEvidence, evaluate, unusable
from workflows.domain.evidence_binding import BindingPolicy, ControllerMarks
from workflows.domain.identity import IdentityTier
from workflows.domain.replies import VerificationFailure
from workflows.service_layer.commands import FlagForStaff, RecordIdentityEvidence, RecordVerificationFailure

if TYPE_CHECKING:
    from workflows.adapters.unit_of_work import SqlUnitOfWork
    from workflows.service_layer.bus import Engine

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
ROUTE = "signed_document"


class SignedDocumentRoute:
    def __init__(
        self,
        engine: Engine,
        trust_store: TrustStore | Callable[[], TrustStore],
        customers: CustomerDirectory,
        *,
        online: bool = False,
        max_bytes: int = MAX_DOCUMENT_BYTES,
        policy: BindingPolicy | None = None,
    ) -> None:
        self._engine = engine
        self._trust = trust_store
        self._customers = customers
        self._online = online
        self._max_bytes = max_bytes
        self._policy = policy or BindingPolicy()

    def check(self, reference: str, chat_id: str | int, data: bytes, filename: str) -> Outcome:
        case = load_case(self._engine, reference, chat_id)
        stop = gate(case, reference, route_tier=IdentityTier.STRONG)
        if stop is not None or case is None:
            return stop or Outcome(OutcomeStatus.NOT_FOUND, reference)
        received_at = self._engine.clock.now()
        sha256 = hashlib.sha256(data).hexdigest()
        source = _safe_name(filename)
        if len(data) > self._max_bytes:
            return Outcome(OutcomeStatus.REJECTED, case.reference, failure=VerificationFailure.SIGNATURE_INVALID)
        store = self._trust if isinstance(self._trust, TrustStore) else self._trust()
        try:
            report = validate_file(data, filename=filename, store=store, online=self._online)
        except UnusableInput as error:
            return self._fail(case, unusable(source, str(error), sha256=sha256))
        with self._engine.uow() as uow:  # reads only: the request's rights, which request the signature verified
            # The buttons chose the rights, not the signer: a text bound only by naming us
            # must ask for them itself (workflows.domain.evidence_binding).
            asked = frozenset(uow.requests.get_by_reference(case.reference).rights)
            context = BindingContext(
                received_at=received_at,
                reference=case.reference,
                marks=ControllerMarks.from_profile(self._engine.profile),
                policy=self._policy,
                used_by=lambda digest: evidence_uses.used_by(_connection(uow), digest),
                rights_asked=asked,
            )
            evidence = evaluate(
                report, source=source, sha256=sha256, context=context, now=received_at,
                read_text=lambda signature: covered_text(report, signature, data),
            )
        if evidence.verified is None:
            if evidence.failure is VerificationFailure.SIGNED_TEXT_UNREADABLE:
                return self._to_staff(case, evidence.staff_reason or evidence.reason)
            return self._fail(case, evidence)
        match = match_subject(case, self._customers, evidence.verified.personal_code)
        if match is SubjectMatch.DIFFERENT:
            refused = SignedEvidence(
                None, VerificationFailure.SIGNER_NOT_DATA_SUBJECT, "the signer is not the person the request is about",
                evidence.summary,
            )
            return self._fail(case, refused)
        if match is SubjectMatch.UNKNOWN:
            return self._to_staff(
                case,
                f"a qualified signature (document sha256 {sha256[:16]}) could not be matched to the customer on"
                " file: check who signed and record the identity by hand",
            )
        return self._record(case, evidence)

    def _record(self, case: CaseView, evidence: SignedEvidence) -> Outcome:
        """The claim on the signature and the evidence commit together, or neither does."""
        verified, digest = evidence.verified, evidence.signature_digest
        if verified is None or digest is None:
            return Outcome(OutcomeStatus.REJECTED, case.reference, failure=VerificationFailure.SIGNATURE_INVALID)
        try:
            with self._engine.uow() as uow:
                evidence_uses.record_use(_connection(uow), digest, case.id, at=self._engine.clock.now())
                self._engine.handle(
                    RecordIdentityEvidence(case.reference, verified, evidence_summary=_tagged(evidence.summary))
                )
                uow.commit()
        except IntegrityError:
            # Another request claimed the same signature a moment ago.
            replay = SignedEvidence(
                None, VerificationFailure.SIGNATURE_ALREADY_USED,
                "the same signed document verified another request at the same time: refused for this one",
                evidence.summary,
                staff_reason="the same signed document was presented for two requests at once: refused for this one",
            )
            return self._fail(case, replay)
        log.info("signed document verified %s", case.reference)
        return Outcome(OutcomeStatus.VERIFIED, case.reference)

    def _fail(self, case: CaseView, evidence: SignedEvidence) -> Outcome:
        """Art. 12(6): the failed proof is recorded, the reply says what to do, staff hear of a replay."""
        failure = evidence.failure or VerificationFailure.SIGNATURE_INVALID
        self._engine.handle(
            RecordVerificationFailure(
                case.reference, failure, detail=evidence.reason[:500], evidence_summary=_tagged(evidence.summary)
            )
        )
        if evidence.staff_reason:
            self._engine.handle(FlagForStaff(case.reference, evidence.staff_reason))
        log.info("signed document rejected for %s: %s", case.reference, failure)
        return Outcome(OutcomeStatus.REJECTED, case.reference, failure=failure)

    def _to_staff(self, case: CaseView, reason: str) -> Outcome:
        self._engine.handle(FlagForStaff(case.reference, reason))
        return Outcome(OutcomeStatus.NEEDS_STAFF, case.reference)


def _connection(uow: object) -> Connection:
    """The SQL unit of work's connection (the record of uses is an adapter table)."""
    return cast("SqlUnitOfWork", uow).connection


def _tagged(summary: Any) -> dict[str, Any]:
    return {"route": ROUTE, **dict(summary)}


def _safe_name(filename: str) -> str:
    return "".join(ch for ch in filename if ch.isprintable())[:200] or "document"
