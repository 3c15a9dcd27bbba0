"""The one turn of a signature report into identity evidence, for e-mail and chat alike.

``signature/`` says whether a signature is valid and who signed (ETSI EN 319 102-1,
TS 119 615); this adapter adds what the engine needs to know before it may treat the
signer as the requester: the signed text, and whether the signature is bound to this
request (:mod:`workflows.domain.evidence_binding`: signed content is the request, signed
recently, addressed to this controller, used once). Both channels call :func:`evaluate`
so staff see the same summary whatever the channel. It is the only module of
``workflows`` that reads ``signature``'s report (an adapter at the edge: the domain and the
service layer never see it), imported lazily so that the engine loads without it.

Only a TOTAL-PASSED qualified electronic signature of a natural person (eIDAS Art. 3(12))
verifies, at tier 3. The signer is who the certificate says (EN 319 412-1 clause 5.1.3:
the semantics identifier ``PNOLV-<code>``), never a From: header. The signed text is read
only from what a signature that PASSED covers: ``.txt``, ``.pdf``, ``.docx`` and ``.odt``
files in a container (with zip-bomb limits and the hardened XML parser), a signed PDF
(pypdf), or the signed S/MIME entity (given by the mail intake, which parses MIME).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from workflows.domain.evidence_binding import (
    BindingPolicy,
    BindingProblem,
    BindingVerdict,
    ControllerMarks,
    SignedContent,
    judge_binding,
)
from workflows.domain.identity import VerificationMethod, VerifiedIdentity
from workflows.domain.replies import VerificationFailure
from workflows.domain.rights import Right

if TYPE_CHECKING:
    from signature.report import SignatureReport, ValidationReport

TEXT_SUFFIXES = (".txt", ".pdf", ".docx", ".odt")
MAX_TEXT_CHARS = 100_000
"""A request is a letter, not a book: longer text is cut (it is still what was signed)."""
_REVOKED = frozenset({"REVOKED", "REVOKED_NO_POE", "REVOKED_CA_NO_POE"})
_PROVEN_TIME_PREFIX = "signature time-stamp"
_FAILURE_OF_PROBLEM = {
    BindingProblem.NO_SIGNED_TEXT: VerificationFailure.SIGNED_TEXT_UNREADABLE,
    BindingProblem.NO_SIGNING_TIME: VerificationFailure.SIGNATURE_NOT_RECENT,
    BindingProblem.SIGNED_TOO_LONG_AGO: VerificationFailure.SIGNATURE_NOT_RECENT,
    BindingProblem.SIGNED_AFTER_RECEIPT: VerificationFailure.SIGNING_TIME_AFTER_RECEIPT,
    BindingProblem.NOT_ADDRESSED_TO_US: VerificationFailure.NOT_ADDRESSED_TO_CONTROLLER,
    BindingProblem.FOR_ANOTHER_REQUEST: VerificationFailure.SIGNATURE_ALREADY_USED,
    BindingProblem.ALREADY_USED: VerificationFailure.SIGNATURE_ALREADY_USED,
    BindingProblem.RIGHTS_NOT_SIGNED: VerificationFailure.RIGHTS_NOT_SIGNED,
}


@dataclass(frozen=True)
class BindingContext:
    """The request a document is presented for, and the rules' settings."""

    received_at: datetime
    reference: str | None
    """The request it is presented for; None for a new e-mail that opens one."""
    marks: ControllerMarks
    policy: BindingPolicy
    used_by: Callable[[str], str | None]
    """Signature digest -> the reference of the request it already verified."""
    rights_asked: frozenset[Right] | None
    """The rights of the request it is presented for; None for a new e-mail, whose rights
    are read from the signed text itself. A text bound only by naming the controller must
    ask for all of them (:func:`workflows.domain.evidence_binding.judge_binding`)."""


@dataclass(frozen=True)
class SignedEvidence:
    """What one signed file or message proves.

    Exactly one of: ``verified`` (tier-3 identity, bound to the request), ``failure``
    (signed material that does not verify anyone), or neither (nothing signed).
    """

    verified: VerifiedIdentity | None = None
    failure: VerificationFailure | None = None
    reason: str = ""
    """The plain-words reason of a failure, for staff and the audit log."""
    summary: Mapping[str, Any] = field(default_factory=dict)
    signed_text: str | None = None
    """The text that was signed (set only when the evidence verified: then it is the request)."""
    signature_digest: str | None = None
    """Set when verified: the caller records the use in the same transaction."""
    staff_reason: str | None = None
    """Something staff must look at (not addressed to us, a replay, a scan)."""

    @property
    def signed(self) -> bool:
        return self.verified is not None or self.failure is not None


NOTHING_SIGNED = SignedEvidence()


def evaluate(
    report: ValidationReport,
    *,
    source: str,
    sha256: str,
    context: BindingContext,
    now: datetime,
    read_text: Callable[[SignatureReport], str | None],
) -> SignedEvidence:
    """Judge ``report`` (of a file whose SHA-256 is ``sha256``) for the request in ``context``.

    ``read_text(signature)`` gives the text the verifying signature covers (the channel reads
    it with ``signature.signed_text.covered_text``, or has it already: the S/MIME entity, the
    content a detached ``.p7s`` signs); it is called only once the signature proves a natural
    person, so nobody else's file is ever read for text. ``now`` stamps ``verified_at``.
    """
    best = report.best
    summary = summarise(report, best, source, sha256)
    if best is None or best.signer is None or not report.proves_natural_person:
        failure, reason = failure_of(report)
        return SignedEvidence(None, failure, reason, summary)
    signed_text = read_text(best)
    digest = signature_digest(best, report)
    content = SignedContent(
        signature_digest=digest,
        signing_time=best.signing_time,
        time_proven=str(best.signing_time_source or "").startswith(_PROVEN_TIME_PREFIX),
        text=_cut(signed_text),
        claimed_signing_time=_claimed_signing_time(report, best),
    )
    verdict = judge_binding(
        content,
        received_at=context.received_at,
        reference=context.reference,
        marks=context.marks,
        policy=context.policy,
        used_by=context.used_by(digest),
        rights_asked=context.rights_asked,
    )
    summary = _with_binding(summary, verdict, digest)
    problem = verdict.problem
    if problem is not None:
        staff = f"{verdict.reason} (document sha256 {sha256[:16]})" if problem.tells_staff else None
        return SignedEvidence(None, _FAILURE_OF_PROBLEM[problem], verdict.reason, summary, staff_reason=staff)
    verified = VerifiedIdentity(
        method=VerificationMethod.QUALIFIED_SIGNATURE,
        verified_at=now,
        evidence_ref=f"signature:{sha256}",
        name=best.signer.name,
        personal_code=best.signer.personal_code,
        email=verdict.named_email,
    )
    return SignedEvidence(verified, None, "", summary, content.text, signature_digest=digest)


def unusable(source: str, detail: str, *, sha256: str | None = None) -> SignedEvidence:
    """A file that was meant to be signed but cannot be read at all (a zip bomb, a broken container)."""
    reason = f"the signed file could not be read: {_line(detail, 300)}"
    summary: dict[str, Any] = {"source": _line(source, 200), "indication": "UNUSABLE", "reason": reason}
    if sha256:
        summary["sha256"] = sha256
    return SignedEvidence(None, VerificationFailure.SIGNATURE_INVALID, reason, summary)


def signature_digest(signature: SignatureReport, report: ValidationReport | None = None) -> str:
    """What identifies one signature, however it is wrapped: the signer's certificate and the
    value the signer's key made (XAdES SignatureValue, the CMS signature of a PAdES signature),
    else the digests of what it signs. Re-zipping a container, renaming its files or
    forwarding the same S/MIME entity in another message gives the same digest; a new
    signature over the same text does not.

    Nothing unsigned may take part: the time-stamp (and with it ``signing_time``, which is the
    time-stamp's time when there is one) is an unsigned property that anyone holding the file
    can strip or replace without breaking the signature, which gave the same signature a new
    digest and so let it verify a second request."""
    signer = signature.signer
    value = _extra_of(report, signature, "signature_value_sha256")
    who = signer.certificate_sha256 or signer.semantics_identifier or signer.name if signer else ""
    if value:
        parts = [who, f"signature-value:{value}"]
    else:
        signed = sorted(f"{f.digest_algorithm}:{f.digest_hex}" for f in signature.signed_files)
        parts = [who, str(signature.format), *signed]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _extra_of(report: ValidationReport | None, signature: SignatureReport, key: str) -> str | None:
    return None if report is None else report.extra_of(signature, key)


def _claimed_signing_time(report: ValidationReport, signature: SignatureReport) -> datetime | None:
    """The signing time the signer signed (a signed property), which a holder cannot move."""
    raw = _extra_of(report, signature, "claimed_signing_time")
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        return None


def summarise(report: ValidationReport, signature: SignatureReport | None, source: str, sha256: str) -> dict[str, Any]:
    """What staff need to re-check the evidence later (kept in the audit event)."""
    summary: dict[str, Any] = {"source": _line(source, 200), "sha256": sha256, "container": report.container}
    if signature is None:
        summary.update(indication="NO_SIGNATURE", reason="the file carries no signature")
        return summary
    signer = signature.signer
    summary.update(
        format=str(signature.format),
        indication=str(signature.indication),
        subindication=str(signature.subindication) if signature.subindication else None,
        qualification=str(signature.qualification),
        signer_name=signer.name if signer else None,
        semantics_identifier=signer.semantics_identifier if signer else None,
        signing_time=signature.signing_time.isoformat() if signature.signing_time else None,
        signing_time_source=signature.signing_time_source,
        signed_files=[f.name for f in signature.signed_files],
        unsigned_files=list(report.unsigned_files),
        reason=_line(signature.reason, 500),
        warnings=[*signature.warnings, *report.warnings],
    )
    return summary


def failure_of(report: ValidationReport) -> tuple[VerificationFailure, str]:
    """Why the signature itself does not verify, in plain words (the reply explains the ways to verify)."""
    best = report.best
    if best is None:
        return VerificationFailure.SIGNATURE_INVALID, "the file carries no signature"
    sub = str(best.subindication or "")
    if sub in _REVOKED:
        return VerificationFailure.CERTIFICATE_REVOKED, "the signing certificate was revoked before the signing time"
    if best.passed and not best.proves_natural_person:
        return (
            VerificationFailure.SIGNATURE_NOT_QUALIFIED,
            f"the signature is valid but not a qualified signature of a natural person ({best.qualification})",
        )
    if best.passed and report.unsigned_files:
        return VerificationFailure.SIGNATURE_INVALID, "some files in the container are not covered by the signature"
    plain = {
        "HASH_FAILURE": "the signed document was changed after it was signed",
        "SIG_CRYPTO_FAILURE": "the signature value does not match the document",
        "FORMAT_FAILURE": "the signature is malformed",
        "NO_CERTIFICATE_CHAIN_FOUND": "the certificate is not issued by a trusted qualified provider",
        "EXPIRED": "the signing certificate had expired",
        "NOT_YET_VALID": "the signing certificate was not yet valid",
    }.get(sub, "the signature could not be validated")
    return VerificationFailure.SIGNATURE_INVALID, f"{plain}: {_line(best.reason, 300)}"


def _cut(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.replace("\x00", "")
    return text[:MAX_TEXT_CHARS]


def _with_binding(summary: dict[str, Any], verdict: BindingVerdict, digest: str) -> dict[str, Any]:
    summary = dict(summary)
    summary["signature_digest"] = digest
    summary["bound_by"] = verdict.addressed_by
    if verdict.addressed_by is not None:
        summary["signed_rights"] = sorted(str(r) for r in verdict.signed_rights)
    if verdict.rights_not_signed:
        summary["rights_not_signed"] = sorted(str(r) for r in verdict.rights_not_signed)
    if verdict.problem is not None:
        summary["binding_problem"] = str(verdict.problem)
        summary["binding_reason"] = verdict.reason
    if verdict.warnings:
        summary["warnings"] = [*summary.get("warnings", []), *verdict.warnings]
    return summary


def _line(value: object, limit: int) -> str:
    """One printable line of at most ``limit`` characters (values here come from strangers)."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in str(value)).split())
    return text[:limit]
