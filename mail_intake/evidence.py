"""Signed material in an e-mail: found here, judged by :mod:`workflows.adapters.signed_evidence`.

This module only knows where signatures hide in a message (an S/MIME signature over the
message, an ``.edoc``/``.asice`` container, a signed PDF, a detached ``.p7s`` over another
attachment or the body) and which text each one signs. Whether a signature verifies the
requester — a TOTAL-PASSED qualified signature of a natural person (eIDAS Art. 3(12)) that
is bound to this request: its signed text is the request, signed recently, addressed to this
controller, used once (:mod:`workflows.domain.evidence_binding`) — is decided in the one
place the chat uses too. An unreadable file (a zip bomb, a broken container) is a failed
result, never a crash.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from mail_intake.mime import Attachment, ParsedMail
from signature.signed_text import covered_text, document_text
from workflows.adapters.signed_evidence import (
    NOTHING_SIGNED,
    BindingContext,
    SignedEvidence,
    evaluate,
    unusable,
)
from workflows.domain.evidence_binding import BindingPolicy

if TYPE_CHECKING:
    from signature.report import ValidationReport
    from signature.trust import TrustStore

CONTAINER_SUFFIXES = (".edoc", ".asice", ".sce", ".bdoc")
DETACHED_SUFFIXES = (".p7s",)
PDF_SUFFIXES = (".pdf",)

EvidenceResult = SignedEvidence
"""What the signed material in one message proves (the engine-wide type)."""

__all__ = ["NOTHING_SIGNED", "EvidenceResult", "SignatureChecker"]


class SignatureChecker:
    """Finds and validates the signed material of a message (see the module docstring)."""

    def __init__(self, store: TrustStore, *, online: bool = False, policy: BindingPolicy | None = None) -> None:
        self.store = store
        self.online = online
        self.policy = policy or BindingPolicy()

    def check(self, raw: bytes, mail: ParsedMail, *, now: datetime, context: BindingContext) -> SignedEvidence:
        """The best evidence in ``mail``: the first signature that verifies the requester,
        else the first failure, else nothing. ``now`` stamps ``verified_at``."""
        results: list[SignedEvidence] = []
        if mail.is_smime:
            results.append(self._smime(raw, now, context))
        for attachment in mail.attachments:
            if attachment.inside_smime:
                continue
            result = self._attachment(attachment, mail, now, context)
            if result is not None:
                results.append(result)
        for result in results:
            if result.verified is not None:
                return result
        return next((r for r in results if r.failure is not None), NOTHING_SIGNED)

    def _smime(self, raw: bytes, now: datetime, context: BindingContext) -> SignedEvidence:
        from signature.errors import UnusableInput
        from signature.smime import validate_smime_message

        try:
            result = validate_smime_message(raw, store=self.store, online=self.online, source="message.eml")
        except UnusableInput as error:
            return unusable("S/MIME", str(error))
        # Only the signed MIME entity is the request (RFC 8551 section 3.1): unsigned parts around it are not.
        text = _entity_text(result.signed_entity) if result.signed_entity else None
        return evaluate(
            result.report, source="S/MIME", sha256=_digest(raw), context=context, now=now,
            read_text=lambda _: text,
        )

    def _attachment(
        self, attachment: Attachment, mail: ParsedMail, now: datetime, context: BindingContext
    ) -> SignedEvidence | None:
        from signature.errors import UnusableInput
        from signature.validate import validate_file

        name = attachment.filename.lower()
        if name.endswith(DETACHED_SUFFIXES) or attachment.content_type in (
            "application/pkcs7-signature",
            "application/x-pkcs7-signature",
        ):
            return self._detached(attachment, mail, now, context)
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
            return unusable(attachment.filename, str(error)) if is_container else None
        if not report.signatures:
            return None  # an unsigned PDF (e.g. a letter) is not signed material
        return evaluate(
            report, source=attachment.filename, sha256=_digest(attachment.data), context=context, now=now,
            read_text=lambda signature: covered_text(report, signature, attachment.data),
        )

    def _detached(
        self, signature_part: Attachment, mail: ParsedMail, now: datetime, context: BindingContext
    ) -> SignedEvidence:
        """A ``.p7s`` signs another attachment or the body: try each, keep the one it fits."""
        from signature.errors import UnusableInput
        from signature.smime import validate_detached_p7s

        candidates = [a for a in mail.attachments if a is not signature_part and not a.inside_smime]
        contents: list[tuple[str, bytes, str | None]] = [(a.filename, a.data, None) for a in candidates]
        contents.append(("message body", mail.text.encode("utf-8"), mail.text))
        best: SignedEvidence | None = None
        for content_name, content, body_text in contents:
            try:
                report = validate_detached_p7s(
                    signature_part.data, content, store=self.store, online=self.online, source=signature_part.filename
                )
            except UnusableInput as error:
                return unusable(signature_part.filename, str(error))
            # ``evaluate`` reads the text only once a signature over it passed: a stranger's
            # bogus .p7s must not make us read every attached PDF (reading text costs time).
            result = evaluate(
                report, source=signature_part.filename, sha256=_digest(signature_part.data + content),
                context=context, now=now, read_text=functools.partial(_detached_text, content_name, content, body_text),
            )
            result = _with_signed_name(result, content_name)
            if result.verified is not None:
                return result
            if best is None or _fits(report):
                best = result
        return best or unusable(signature_part.filename, "no content to check the signature against")


def _detached_text(name: str, content: bytes, body_text: str | None, _signature: object) -> str | None:
    """The text a detached ``.p7s`` signs: the message body as it is, or an attachment's text."""
    return body_text if body_text is not None else document_text(name, content)


def _entity_text(entity: bytes) -> str | None:
    from mail_intake.errors import MalformedMessage
    from mail_intake.mime import parse_message

    try:
        return parse_message(entity).text
    except MalformedMessage:
        return None


def _fits(report: ValidationReport) -> bool:
    """The signature matched this content (it failed, if at all, for another reason)."""
    best = report.best
    return best is not None and str(best.subindication or "") not in ("HASH_FAILURE", "SIG_CRYPTO_FAILURE")


def _with_signed_name(result: SignedEvidence, content_name: str) -> SignedEvidence:
    from dataclasses import replace

    summary = dict(result.summary)
    summary["signed_files"] = [content_name]
    return replace(result, summary=summary)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
