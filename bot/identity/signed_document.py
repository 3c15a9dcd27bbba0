"""Route (a): a signed document (``.edoc``, ``.asice``, signed PDF) uploaded in the chat (tier 3).

Only a TOTAL-PASSED qualified electronic signature of a natural person (eIDAS Art. 3(12),
ETSI EN 319 102-1 clause 5.1.3) verifies, and the signer must be the person the request is
about (LAW.md §Identity; :mod:`bot.identity.subject`): a valid signature by someone else is
rejected with ``SIGNER_NOT_DATA_SUBJECT``. The file itself is not kept: the case records
its SHA-256 and the validation summary (Art. 5(1)(c)).

Use (blocking and CPU-bound; from PTB handlers call through ``asyncio.to_thread``)::

    route = SignedDocumentRoute(engine, app.trust_store, customers)
    outcome = route.check(reference, chat_id, file_bytes, filename)
    # VERIFIED | REJECTED(failure=SIGNATURE_INVALID | SIGNATURE_NOT_QUALIFIED |
    #   CERTIFICATE_REVOKED | SIGNER_NOT_DATA_SUBJECT) | NEEDS_STAFF | NOT_FOUND | CLOSED | NOT_NEEDED
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.identity.cases import CaseView, gate, load_case
from bot.identity.customers import CustomerDirectory
from bot.identity.outcome import Outcome, OutcomeStatus
from bot.identity.subject import SubjectMatch, match_subject
from signature.errors import UnusableInput
from signature.report import SignatureReport, ValidationReport
from signature.trust import TrustStore
from signature.validate import validate_file
from workflows.domain.identity import IdentityTier, VerificationMethod, VerifiedIdentity
from workflows.domain.replies import VerificationFailure
from workflows.service_layer.commands import FlagForStaff, RecordIdentityEvidence, RecordVerificationFailure

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
_REVOKED = frozenset({"REVOKED", "REVOKED_NO_POE", "REVOKED_CA_NO_POE"})


class SignedDocumentRoute:
    def __init__(
        self,
        engine: Engine,
        trust_store: TrustStore | Callable[[], TrustStore],
        customers: CustomerDirectory,
        *,
        online: bool = False,
        max_bytes: int = MAX_DOCUMENT_BYTES,
    ) -> None:
        self._engine = engine
        self._trust = trust_store
        self._customers = customers
        self._online = online
        self._max_bytes = max_bytes

    def check(self, reference: str, chat_id: str | int, data: bytes, filename: str) -> Outcome:
        case = load_case(self._engine, reference, chat_id)
        stop = gate(case, reference, route_tier=IdentityTier.STRONG)
        if stop is not None or case is None:
            return stop or Outcome(OutcomeStatus.NOT_FOUND, reference)
        sha256 = hashlib.sha256(data).hexdigest()
        source = _safe_name(filename)
        if len(data) > self._max_bytes:
            return Outcome(OutcomeStatus.REJECTED, case.reference, failure=VerificationFailure.SIGNATURE_INVALID)
        store = self._trust if isinstance(self._trust, TrustStore) else self._trust()
        try:
            report = validate_file(data, filename=filename, store=store, online=self._online)
        except UnusableInput as error:
            summary = {"route": "signed_document", "source": source, "sha256": sha256, "indication": "UNUSABLE"}
            return self._fail(case, VerificationFailure.SIGNATURE_INVALID, f"unreadable file: {error}", summary)
        best = report.best
        summary = _summary(report, best, source, sha256)
        if best is None or best.signer is None or not report.proves_natural_person:
            failure, reason = _failure_of(report)
            return self._fail(case, failure, reason, summary)
        match = match_subject(case, self._customers, best.signer.personal_code)
        if match is SubjectMatch.DIFFERENT:
            return self._fail(
                case, VerificationFailure.SIGNER_NOT_DATA_SUBJECT, "the signer is not the person the request is about",
                summary,
            )
        if match is SubjectMatch.UNKNOWN:
            self._engine.handle(
                FlagForStaff(
                    case.reference,
                    f"a qualified signature (document sha256 {sha256[:16]}) could not be matched to the customer on"
                    " file: check who signed and record the identity by hand",
                )
            )
            return Outcome(OutcomeStatus.NEEDS_STAFF, case.reference)
        verified = VerifiedIdentity(
            method=VerificationMethod.QUALIFIED_SIGNATURE,
            verified_at=self._engine.clock.now(),
            evidence_ref=f"signature:{sha256}",
            name=best.signer.name,
            personal_code=best.signer.personal_code,
        )
        self._engine.handle(RecordIdentityEvidence(case.reference, verified, evidence_summary=summary))
        log.info("signed document verified %s", case.reference)
        return Outcome(OutcomeStatus.VERIFIED, case.reference)

    def _fail(self, case: CaseView, failure: VerificationFailure, reason: str, summary: dict[str, Any]) -> Outcome:
        """Art. 12(6): the failed proof is recorded and the reply says how else to verify."""
        self._engine.handle(
            RecordVerificationFailure(case.reference, failure, detail=reason[:500], evidence_summary=summary)
        )
        log.info("signed document rejected for %s: %s", case.reference, failure)
        return Outcome(OutcomeStatus.REJECTED, case.reference, failure=failure)


def _safe_name(filename: str) -> str:
    return "".join(ch for ch in filename if ch.isprintable())[:200] or "document"


def _summary(report: ValidationReport, best: SignatureReport | None, source: str, sha256: str) -> dict[str, Any]:
    """What staff need to re-check the evidence later (kept in the audit event)."""
    summary: dict[str, Any] = {"route": "signed_document", "source": source, "sha256": sha256,
                               "container": report.container}
    if best is None:
        summary.update(indication="NO_SIGNATURE")
        return summary
    signer = best.signer
    summary.update(
        format=str(best.format),
        indication=str(best.indication),
        subindication=str(best.subindication) if best.subindication else None,
        qualification=str(best.qualification),
        signer_name=signer.name if signer else None,
        semantics_identifier=signer.semantics_identifier if signer else None,
        signing_time=best.signing_time.isoformat() if best.signing_time else None,
        signed_files=[f.name for f in best.signed_files],
        unsigned_files=list(report.unsigned_files),
        reason=best.reason[:500],
    )
    return summary


def _failure_of(report: ValidationReport) -> tuple[VerificationFailure, str]:
    """The reason in engine terms (the reply explains the other ways to verify)."""
    best = report.best
    if best is None:
        return VerificationFailure.SIGNATURE_INVALID, "the file carries no signature"
    if str(best.subindication or "") in _REVOKED:
        return VerificationFailure.CERTIFICATE_REVOKED, "the signing certificate was revoked"
    if best.passed and not best.proves_natural_person:
        reason = f"not a qualified signature of a natural person ({best.qualification})"
        return VerificationFailure.SIGNATURE_NOT_QUALIFIED, reason
    if best.passed and report.unsigned_files:
        return VerificationFailure.SIGNATURE_INVALID, "some files in the container are not covered by the signature"
    return VerificationFailure.SIGNATURE_INVALID, f"{best.indication}/{best.subindication}: {best.reason[:300]}"
