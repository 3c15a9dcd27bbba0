"""The single entry point: sniff the format and validate (EN 319 102-1).

``validate_file(data, filename=..., store=..., at=..., online=...)`` returns a
:class:`ValidationReport` for ASiC-E (XAdES), PDF (PAdES), S/MIME messages and
enveloping CMS; it raises :class:`UnusableInput` (or its subclass
:class:`UnsupportedFormat`) when the bytes cannot be validated at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import re
from datetime import UTC, datetime
from types import ModuleType
from typing import TYPE_CHECKING

from .asic import is_zip, read_asic
from .errors import UnsupportedFormat, UnusableInput
from .report import ValidationReport
from .trust import TrustStore
from .xades import parse_signature_document, validate_parsed_document

if TYPE_CHECKING:
    from lxml import etree

MAX_SIGNATURES = 20
"""A sane ceiling: real containers carry one to a few signatures."""

_MIME_HEADER_RE = re.compile(
    rb"^(MIME-Version|Content-Type|From|To|Subject|Received|Return-Path|Message-ID|Date|Delivered-To|DKIM-Signature):",
    re.IGNORECASE,
)


def _optional_module(name: str, what: str) -> ModuleType:
    try:
        return importlib.import_module(f"signature.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"signature.{name}":
            raise
        raise UnsupportedFormat(
            f"{what} validation is not available in this build", format_hint=name
        ) from exc


def sniff(data: bytes, filename: str | None = None) -> str:
    """``asic``, ``pdf``, ``mime``, ``cms`` or ``unknown``."""
    head = data[:1024]
    if is_zip(data):
        return "asic"
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"-----BEGIN PKCS7") or head.startswith(b"-----BEGIN CMS"):
        return "cms"
    if head[:1] == b"\x30" and (filename or "").lower().endswith((".p7s", ".p7m", ".p7b")):
        return "cms"
    if _MIME_HEADER_RE.match(head.lstrip()):
        return "mime"
    if head[:1] == b"\x30":
        return "cms"
    return "unknown"


def validate_asic(
    data: bytes,
    *,
    store: TrustStore,
    at: datetime | None = None,
    online: bool = False,
    source: str = "container.asice",
) -> ValidationReport:
    """Validate every signature of an ASiC-E / EDOC 2.0 container (EN 319 162-1).

    A data file counts as signed only when a signature that PASSED covers it: a failed or
    indeterminate signature proves nothing about the files it references, so a forged
    second signature cannot make an added file look covered (EN 319 102-1 clause 5.1.3:
    only a TOTAL-PASSED signature binds its signed data objects). More than
    :data:`MAX_SIGNATURES` signatures are refused after parsing and before any
    cryptography, so a container cannot make one validation run for minutes.
    """
    container = read_asic(data)
    when = at or datetime.now(UTC)
    documents = [
        parse_signature_document(document, document_name=name)
        for name, document in container.signature_documents.items()
    ]
    count = sum(len(d.signatures) for d in documents)
    if count > MAX_SIGNATURES:
        raise UnusableInput(
            f"the container holds {count} signatures (at most {MAX_SIGNATURES} are validated)",
            format_hint="asic",
        )
    reports = []
    for document in documents:
        reports.extend(
            validate_parsed_document(document, data_files=container.data_files, store=store, at=when, online=online)
        )
    covered = {f.name for r in reports if r.passed for f in r.signed_files}
    unsigned = tuple(sorted(n for n in container.data_files if n not in covered))
    warnings = list(container.notes)
    extra = {"zip_comment": container.comment} if container.comment else {}
    signatures = [sig for document in documents for sig in document.signatures]
    extra.update(signed_facts(signatures))
    if unsigned:
        warnings.append(f"{len(unsigned)} file(s) in the container are not covered by any signature that passed")
    return ValidationReport(
        source=source,
        container=container.flavour,
        signatures=tuple(reports),
        unsigned_files=unsigned,
        warnings=tuple(warnings),
        validated_at=when,
        extra=extra,
    )


SIGNATURE_VALUE_KEY = "signature_value_sha256.{index}"
"""``ValidationReport.extra`` key: SHA-256 of the n-th signature's SignatureValue (0-based)."""
CLAIMED_TIME_KEY = "claimed_signing_time.{index}"
"""``ValidationReport.extra`` key: the earliest SigningTime the n-th signature claims (ISO 8601)."""


def signed_facts(signatures: list[etree._Element]) -> dict[str, str]:
    """What the caller needs to recognise a signature however it is re-wrapped, per position.

    ``SignatureReport.signing_time`` is the time-stamp's time when there is one, and the
    time-stamp is an *unsigned* property (EN 319 132-1 clause 5.3): anyone holding the file can
    strip it, or replace it with a fresh one over the same SignatureValue, without breaking the
    signature. So a signature is identified by its SignatureValue (the value the signer's key
    made: the SignatureValue element of XML Signature 1.1), and the SigningTime the signer
    signed (a signed property) is reported beside it: a fresh time-stamp proves only that an
    old signature existed by now.
    When a wrapping attack adds a second SigningTime outside the signed properties, the earliest
    one is reported, so a forged one can only make the signature look older.
    """
    from .xmldsig import NS, DsigFormatError, b64decode

    facts: dict[str, str] = {}
    for index, sig in enumerate(signatures):
        value = sig.find("ds:SignatureValue", NS)
        if value is not None and value.text:
            with contextlib.suppress(DsigFormatError):  # the validation reports a malformed value
                facts[SIGNATURE_VALUE_KEY.format(index=index)] = hashlib.sha256(b64decode(value.text)).hexdigest()
        claimed = []
        for element in sig.iterfind(".//xades:SigningTime", NS):
            try:
                moment = datetime.fromisoformat((element.text or "").strip().replace("Z", "+00:00"))
            except ValueError:
                continue
            claimed.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
        if claimed:
            facts[CLAIMED_TIME_KEY.format(index=index)] = min(claimed).isoformat()
    return facts


def validate_file(
    data: bytes,
    *,
    filename: str | None,
    store: TrustStore,
    at: datetime | None = None,
    online: bool = False,
) -> ValidationReport:
    """Validate a signed file of any supported format; see the module docstring."""
    kind = sniff(data, filename)
    source = filename or "input"
    if kind == "asic":
        return validate_asic(data, store=store, at=at, online=online, source=source)
    if kind == "pdf":
        pades = _optional_module("pades", "PAdES")
        report: ValidationReport = pades.validate_pdf(data, store=store, at=at, online=online, source=source)
        return report
    if kind == "mime":
        smime = _optional_module("smime", "S/MIME")
        result = smime.validate_smime_message(data, store=store, at=at, online=online, source=source)
        return result.report if hasattr(result, "report") else result  # type: ignore[no-any-return]
    if kind == "cms":
        raise UnsupportedFormat(
            "a detached .p7s needs the signed content: "
            "call signature.smime.validate_detached_p7s(p7s, content)",
            format_hint="cms",
        )
    raise UnusableInput(
        "not a signed format rightsdesk recognises (ASiC-E/EDOC, PDF, S/MIME)", format_hint="unknown"
    )
