"""Signed material in an e-mail, validated with ``signature/`` and turned into the plain
identity evidence the engine records.

Only a TOTAL-PASSED qualified electronic signature of a natural person (eIDAS Art. 3(12),
ETSI EN 319 102-1 clause 5.1.3, TS 119 615) verifies a requester at tier 3 (LAW.md
§Identity). The signer is who the certificate says (EN 319 412-1 clause 5.1.3: the
semantics identifier ``PNOLV-<code>``), never who the From: header says. A bad
signature is a result with a plain-words reason; an unreadable file (a zip bomb, a
broken container) is a failed result as well, never a crash.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mail_intake.mime import Attachment, ParsedMail, clean_line
from workflows.domain.identity import VerificationMethod, VerifiedIdentity
from workflows.domain.replies import VerificationFailure

if TYPE_CHECKING:
    from signature.report import SignatureReport, ValidationReport
    from signature.trust import TrustStore

CONTAINER_SUFFIXES = (".edoc", ".asice", ".sce", ".bdoc")
DETACHED_SUFFIXES = (".p7s",)
PDF_SUFFIXES = (".pdf",)
_REVOKED = frozenset({"REVOKED", "REVOKED_NO_POE", "REVOKED_CA_NO_POE"})


@dataclass(frozen=True)
class EvidenceResult:
    """What the signed material in one message proves.

    Exactly one of: ``verified`` (tier-3 identity), ``failure`` (signed material that does
    not verify anyone), or neither (nothing signed).
    """

    verified: VerifiedIdentity | None = None
    failure: VerificationFailure | None = None
    reason: str = ""
    """The plain-words reason of a failure, for staff and the audit log."""
    summary: Mapping[str, Any] = field(default_factory=dict)
    signed_text: str | None = None
    """Text that was signed: the signed MIME entity of S/MIME (the only part that counts as
    the request) or the text files inside a signed container."""
    replaces_body: bool = False
    """True for S/MIME: unsigned parts around the signed entity are not the request."""

    @property
    def signed(self) -> bool:
        return self.verified is not None or self.failure is not None


NOTHING_SIGNED = EvidenceResult()


class SignatureChecker:
    """Finds and validates the signed material of a message (see the module docstring)."""

    def __init__(self, store: TrustStore, *, online: bool = False) -> None:
        self.store = store
        self.online = online

    def check(self, raw: bytes, mail: ParsedMail, *, now: datetime) -> EvidenceResult:
        """The best evidence in ``mail``: the first signature that proves a natural person,
        else the first failure, else nothing. ``now`` stamps ``verified_at``."""
        results: list[EvidenceResult] = []
        if mail.is_smime:
            results.append(self._smime(raw, now))
        for attachment in mail.attachments:
            if attachment.inside_smime:
                continue
            result = self._attachment(attachment, mail, now)
            if result is not None:
                results.append(result)
        for result in results:
            if result.verified is not None:
                return result
        return next((r for r in results if r.failure is not None), NOTHING_SIGNED)

    def _smime(self, raw: bytes, now: datetime) -> EvidenceResult:
        from signature.errors import UnusableInput
        from signature.smime import validate_smime_message

        try:
            result = validate_smime_message(raw, store=self.store, online=self.online, source="message.eml")
        except UnusableInput as error:
            return _unusable("S/MIME", str(error))
        evidence = _judge(result.report, "S/MIME", _digest(raw), now)
        if evidence.verified is None:
            return evidence
        text = _entity_text(result.signed_entity) if result.signed_entity else None
        return EvidenceResult(evidence.verified, None, "", evidence.summary, text, replaces_body=text is not None)

    def _attachment(self, attachment: Attachment, mail: ParsedMail, now: datetime) -> EvidenceResult | None:
        from signature.errors import UnusableInput
        from signature.validate import validate_file

        name = attachment.filename.lower()
        if name.endswith(DETACHED_SUFFIXES) or attachment.content_type in (
            "application/pkcs7-signature",
            "application/x-pkcs7-signature",
        ):
            return self._detached(attachment, mail, now)
        is_container = name.endswith(CONTAINER_SUFFIXES) or attachment.content_type in (
            "application/vnd.etsi.asic-e+zip",
            "application/x-digidoc",
        )
        is_pdf = name.endswith(PDF_SUFFIXES) or attachment.content_type == "application/pdf"
        if not (is_container or is_pdf):
            return None
        try:
            report = validate_file(attachment.data, filename=attachment.filename, store=self.store, online=self.online)
        except UnusableInput as error:
            # An unreadable PDF is just an attachment; an unreadable container was meant to be signed.
            return _unusable(attachment.filename, str(error)) if is_container else None
        if not report.signatures:
            return None  # an unsigned PDF (e.g. a letter) is not signed material
        result = _judge(report, attachment.filename, _digest(attachment.data), now)
        if result.verified is not None and is_container:
            covered = {f.name for s in report.signatures if s.proves_natural_person for f in s.signed_files}
            text = _container_text(attachment.data, covered)
            return EvidenceResult(result.verified, None, "", result.summary, text or None)
        return result

    def _detached(self, signature_part: Attachment, mail: ParsedMail, now: datetime) -> EvidenceResult:
        """A ``.p7s`` signs another attachment or the body: try each, keep the one it fits."""
        from signature.errors import UnusableInput
        from signature.smime import validate_detached_p7s

        candidates = [a for a in mail.attachments if a is not signature_part and not a.inside_smime]
        contents = [(a.filename, a.data) for a in candidates] + [("message body", mail.text.encode("utf-8"))]
        best: EvidenceResult | None = None
        for content_name, content in contents:
            try:
                report = validate_detached_p7s(
                    signature_part.data, content, store=self.store, online=self.online, source=signature_part.filename
                )
            except UnusableInput as error:
                return _unusable(signature_part.filename, str(error))
            result = _judge(report, signature_part.filename, _digest(signature_part.data + content), now)
            result = _with_signed_name(result, content_name)
            if result.verified is not None:
                return result
            if best is None or _fits(report):
                best = result
        return best or _unusable(signature_part.filename, "no content to check the signature against")


def _entity_text(entity: bytes) -> str | None:
    from mail_intake.errors import MalformedMessage
    from mail_intake.mime import parse_message

    try:
        return parse_message(entity).text
    except MalformedMessage:
        return None


def _container_text(data: bytes, covered: set[str]) -> str:
    """The plain-text documents a verified signature covers (e.g. ``pieprasijums.txt``)."""
    from signature.asic import read_asic
    from signature.errors import UnusableInput

    try:
        files = read_asic(data).data_files
    except UnusableInput:
        return ""
    texts = [
        files[name].decode("utf-8", "replace")
        for name in sorted(covered)
        if name.lower().endswith(".txt") and name in files
    ]
    return "\n\n".join(texts)


def _fits(report: ValidationReport) -> bool:
    """The signature matched this content (it failed, if at all, for another reason)."""
    best = report.best
    return best is not None and str(best.subindication or "") not in ("HASH_FAILURE", "SIG_CRYPTO_FAILURE")


def _with_signed_name(result: EvidenceResult, content_name: str) -> EvidenceResult:
    summary = dict(result.summary)
    summary["signed_files"] = [content_name]
    return EvidenceResult(result.verified, result.failure, result.reason, summary, result.signed_text)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _unusable(source: str, detail: str) -> EvidenceResult:
    reason = f"the signed file could not be read: {clean_line(detail, 300)}"
    summary = {"source": clean_line(source, 200), "indication": "UNUSABLE", "reason": reason}
    return EvidenceResult(None, VerificationFailure.SIGNATURE_INVALID, reason, summary)


def summarise(report: ValidationReport, signature: SignatureReport | None, source: str, sha256: str) -> dict[str, Any]:
    """What staff need to re-check the evidence later (kept in the audit event)."""
    summary: dict[str, Any] = {"source": clean_line(source, 200), "sha256": sha256, "container": report.container}
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
        reason=signature.reason,
        warnings=[*signature.warnings, *report.warnings],
    )
    return summary


def _judge(report: ValidationReport, source: str, sha256: str, now: datetime) -> EvidenceResult:
    best = report.best
    summary = summarise(report, best, source, sha256)
    if best is not None and best.signer is not None and report.proves_natural_person:
        verified = VerifiedIdentity(
            method=VerificationMethod.QUALIFIED_SIGNATURE,
            verified_at=now,
            evidence_ref=f"signature:{sha256}",
            name=best.signer.name,
            personal_code=best.signer.personal_code,
        )
        return EvidenceResult(verified, None, "", summary)
    failure, reason = failure_of(report)
    return EvidenceResult(None, failure, reason, summary)


def failure_of(report: ValidationReport) -> tuple[VerificationFailure, str]:
    """The reason a person can act on, in plain words (the reply explains the ways to verify)."""
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
    return VerificationFailure.SIGNATURE_INVALID, f"{plain}: {clean_line(best.reason, 300)}"
