"""PAdES validation (ETSI EN 319 142-1, EN 319 102-1) with pyHanko.

Usage::

    report = validate_pdf(pdf_bytes, store=TrustStore.from_directory(path))
    report.proves_natural_person   # TOTAL-PASSED QESig of a natural person

What is checked for every signature, in order:

1. Format (EN 319 102-1 clause 5.2.2): the document is not encrypted; the
   ByteRange covers the whole revision it signs (``/Contents`` is the only gap);
   after the signed revision only ``NONE`` or ``LTA_UPDATES`` modifications are
   accepted (pyHanko's difference analysis): incremental saving, shadow attacks
   and signature wrapping all change content after signing (pdf-insecurity.org).
2. Integrity and the signature value (messageDigest over the ByteRange).
3. Certificate path to a trusted-list anchor, revocation from the embedded DSS
   / revocation archival attribute (or fetched when ``online``), key usage
   nonRepudiation or digitalSignature.
4. Time: a signature time-stamp whose TSA chains to an anchor gives the best
   signature time; when the signer certificate has since expired, the path is
   validated again as of that time with the embedded revocation data
   (EN 319 102-1 clause 5.6.2.1, long-term validation).
5. Qualification (ETSI TS 119 615) at the best signature time.

Document time-stamps (PAdES-LTA) are reported as warnings when they fail.
"""

from __future__ import annotations

import logging
from datetime import datetime
from io import BytesIO
from typing import Any

from .cms_status import (
    build_report,
    failed_report,
    key_usage_constraints,
    now_utc,
    time_evidence,
    validation_context,
)
from .errors import UnusableInput
from .report import Indication, SignatureFormat, SignatureReport, SignedFile, SubIndication, ValidationReport

logger = logging.getLogger(__name__)

_FMT = SignatureFormat.PADES
_MAX_PDF_BYTES = 64 * 1024 * 1024
MAX_PDF_SIGNATURES = 20
"""Signatures plus document time-stamps; real signed PDFs carry a few."""


def _open(data: bytes) -> Any:
    from pyhanko.pdf_utils.reader import PdfFileReader

    if not data.lstrip()[:5].startswith(b"%PDF-") and b"%PDF-" not in data[:1024]:
        raise UnusableInput("not a PDF (no %PDF- header)", format_hint="pdf")
    if len(data) > _MAX_PDF_BYTES:
        raise UnusableInput("PDF larger than 64 MB refused", format_hint="pdf")
    try:
        return PdfFileReader(BytesIO(data), strict=False)
    except Exception as exc:  # pyHanko raises PdfReadError, ValueError, KeyError... on junk
        raise UnusableInput("PDF cannot be parsed", format_hint="pdf") from exc


def _revocation_material(reader: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """Certificates, OCSP responses and CRLs from the Document Security Store (EN 319 142-1 5.4)."""
    from asn1crypto import crl as asn1_crl
    from asn1crypto import ocsp as asn1_ocsp
    from pyhanko.pdf_utils.decode_limits import DecodePurpose
    from pyhanko.sign.validation.dss import DocumentSecurityStore

    try:
        dss = DocumentSecurityStore.read_dss(reader)
        certs = list(dss.load_certs())
        ocsps = [asn1_ocsp.OCSPResponse.load(ref.get_object().read_data(DecodePurpose.OCSP_RESPONSE))
                 for ref in dss.ocsps]
        crls = [asn1_crl.CertificateList.load(ref.get_object().read_data(DecodePurpose.CRL)) for ref in dss.crls]
    except Exception:
        return [], [], []
    return certs, ocsps, crls


def _signed_file(sig: Any) -> SignedFile:
    digest = sig.compute_digest() if hasattr(sig, "compute_digest") else b""
    return SignedFile(name="PDF revision", digest_algorithm=str(sig.md_algorithm), digest_hex=bytes(digest).hex())


def _format_problem(status: Any) -> tuple[Indication, SubIndication, str] | None:
    """ByteRange coverage and modifications after signing (pdf-insecurity.org attacks)."""
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    coverage = status.coverage
    if coverage is None or coverage < SignatureCoverageLevel.ENTIRE_REVISION:
        return (Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE,
                "the ByteRange does not cover the whole signed revision (universal signature forgery shape)")
    level = status.modification_level
    if level is None or level not in (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES):
        what = level.name if level is not None else "unanalysable"
        return (Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE,
                f"the document was changed after signing ({what}); only validation-data updates are allowed")
    if status.docmdp_ok is False:
        return (Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE,
                "changes after signing break the certification (DocMDP) permissions")
    return None


def _validate(sig: Any, store: Any, *, at: datetime | None, online: bool, material: tuple[Any, Any, Any],
              timestamp_at: datetime | None) -> Any:
    """pyHanko's validation at ``at``; the signature time-stamp is checked at ``timestamp_at``.

    At the same moment one validation context serves the signer and the time-stamp
    (pyHanko's default): the TSA path may also use the signature's embedded
    certificates, and the trust roots and revocation data are set up once.
    """
    from pyhanko.sign.validation import validate_pdf_signature

    certs, ocsps, crls = material
    embedded_certs = list(sig.signed_data["certificates"] or ()) if sig.signed_data else []
    embedded_certs = [c.chosen for c in embedded_certs if c.name == "certificate"]
    vc = validation_context(store, at=at, online=online, certs=[*certs, *embedded_certs], ocsps=ocsps, crls=crls)
    ts_vc = None if timestamp_at == at else validation_context(
        store, at=timestamp_at, online=online, certs=certs, ocsps=ocsps, crls=crls)
    return validate_pdf_signature(sig, signer_validation_context=vc, ts_validation_context=ts_vc,
                                  key_usage_settings=key_usage_constraints())


def _needs_past_validation(status: Any) -> bool:
    from pyhanko.sign.ades.report import AdESIndeterminate

    return status.intact and status.valid and status.trust_problem_indic in (
        AdESIndeterminate.OUT_OF_BOUNDS_NO_POE, AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED,
        AdESIndeterminate.TRY_LATER, AdESIndeterminate.REVOKED_NO_POE,
    )


def _validate_signature(sig: Any, store: Any, *, at: datetime | None, online: bool,
                        material: tuple[Any, Any, Any], validated_at: datetime, index: int) -> SignatureReport:
    sig_id = f"{sig.field_name or f'signature {index}'}"
    try:
        status = _validate(sig, store, at=at, online=online, material=material, timestamp_at=at)
    except Exception as exc:  # pyHanko raises SignatureValidationError/PdfReadError/ValueError on malformed fields
        logger.debug("PDF signature %s unreadable: %s", sig_id, type(exc).__name__)
        return failed_report(_FMT, SubIndication.FORMAT_FAILURE,
                             f"the signature dictionary cannot be validated ({type(exc).__name__})",
                             signature_id=sig_id)
    evidence = time_evidence(status, store)
    warnings: list[str] = []
    if _needs_past_validation(status) and evidence.source == "signature time-stamp" and evidence.moment:
        # Long-term validation: the time-stamp proves the signature existed at evidence.moment.
        try:
            past = _validate(sig, store, at=evidence.moment, online=online, material=material,
                             timestamp_at=at)
        except Exception:
            past = None
        if past is not None and past.trusted and past.trust_problem_indic is None:
            warnings.append("signer certificate validated as of the signature time-stamp (long-term validation)")
            status = past
    return build_report(
        status, store=store, fmt=_FMT, signed=(_signed_file(sig),), validated_at=validated_at,
        evidence=evidence, extra_failure=_format_problem(status), warnings=warnings, signature_id=sig_id,
    )


def _doc_timestamp_warnings(reader: Any, store: Any, *, at: datetime | None, online: bool,
                            material: tuple[Any, Any, Any]) -> list[str]:
    from pyhanko.sign.validation import validate_pdf_timestamp

    certs, ocsps, crls = material
    notes: list[str] = []
    for ts in reader.embedded_timestamp_signatures:
        try:
            vc = validation_context(store, at=at, online=online, certs=certs, ocsps=ocsps, crls=crls)
            st = validate_pdf_timestamp(ts, validation_context=vc)
            if not (st.intact and st.valid and st.trusted):
                notes.append(f"document time-stamp {ts.field_name} does not verify (archive time-stamp)")
        except Exception:
            notes.append(f"document time-stamp {ts.field_name} is malformed")
    return notes


def validate_pdf(data: bytes, *, store: Any, at: datetime | None = None, online: bool = False,
                 source: str = "document.pdf") -> ValidationReport:
    """Validate every signature of a PDF; see the module docstring.

    :param store: a :class:`signature.trust.TrustStore` (trust anchors, qualified services).
    :param at: validation time (default now, UTC).
    :param online: allow fetching OCSP/CRL over the network.
    :raises UnusableInput: not a PDF, or it cannot be parsed.
    """
    reader = _open(data)
    validated_at = at or now_utc()
    if reader.encrypted:
        return ValidationReport(
            source=source, container="PDF",
            signatures=(failed_report(_FMT, SubIndication.FORMAT_FAILURE,
                                      "encrypted PDF refused: its content cannot be checked for changes"),),
            validated_at=validated_at,
        )
    try:
        signatures = list(reader.embedded_regular_signatures)
    except Exception as exc:  # malformed AcroForm / signature fields
        raise UnusableInput("PDF signature fields cannot be read", format_hint="pdf") from exc
    timestamps = len(reader.embedded_timestamp_signatures)
    if len(signatures) + timestamps > MAX_PDF_SIGNATURES:
        # Refused before any cryptography: each signature costs a path build and revocation checks.
        raise UnusableInput(
            f"the PDF holds {len(signatures) + timestamps} signatures and time-stamps"
            f" (at most {MAX_PDF_SIGNATURES} are validated)",
            format_hint="pdf",
        )
    material = _revocation_material(reader)
    reports = tuple(
        _validate_signature(sig, store, at=at, online=online, material=material, validated_at=validated_at,
                            index=i)
        for i, sig in enumerate(signatures, start=1)
    )
    warnings = [] if reports else ["the PDF carries no signature"]
    warnings += _doc_timestamp_warnings(reader, store, at=at, online=online, material=material)
    return ValidationReport(source=source, container="PDF", signatures=reports, warnings=tuple(warnings),
                            validated_at=validated_at, extra=_signed_facts(signatures))


def _signed_facts(signatures: list[Any]) -> dict[str, str]:
    """Per signature position: the SHA-256 of the CMS signature value, the signing time the
    signer signed (signing-time attribute or ``/M``), as :func:`signature.validate.signed_facts`
    gives for XAdES, and where the signed revision ends (the ByteRange's end), so that a
    reader of the signed text reads that revision and nothing appended after it. The signature
    time-stamp is an unsigned attribute inside ``/Contents``, outside the ByteRange (EN 319
    142-1 clause 5.3): whoever holds the PDF can strip it or put a fresh one in its place, so
    it neither identifies the signature nor proves it is recent."""
    import hashlib

    facts: dict[str, str] = {}
    for index, sig in enumerate(signatures):
        try:
            value = bytes(sig.signer_info["signature"].native)
            facts[f"signature_value_sha256.{index}"] = hashlib.sha256(value).hexdigest()
            claimed = sig.self_reported_timestamp
            _, _, start, length = (int(n) for n in sig.byte_range)
            facts[f"signed_bytes_end.{index}"] = str(start + length)
        except Exception as exc:  # a malformed field: its report already says so
            logger.debug("PDF signature %d: no signed facts (%s)", index, type(exc).__name__)
            continue
        if isinstance(claimed, datetime):
            facts[f"claimed_signing_time.{index}"] = claimed.isoformat()
    return facts
