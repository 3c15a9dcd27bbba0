"""From pyHanko's CMS signature status to a :class:`SignatureReport` (PAdES and S/MIME).

Shared by :mod:`signature.pades` and :mod:`signature.smime`. The verdict follows
ETSI EN 319 102-1 clause 5.1.3: integrity first (HASH_FAILURE,
SIG_CRYPTO_FAILURE), then the certificate path and revocation (pyHanko's
``trust_problem_indic`` is already EN 319 102-1 vocabulary), then qualification
per ETSI TS 119 615 through :func:`signature.qualification.assess_qualification`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .report import Indication, Qualification, SignatureFormat, SignatureReport, SignedFile, SubIndication

KEY_USAGES_FOR_SIGNING = frozenset({"non_repudiation", "digital_signature"})
"""EN 319 412-2 clause 4.3.2: nonRepudiation alone (Latvian eID) or digitalSignature."""


def validation_context(
    store: Any,
    *,
    at: datetime | None,
    online: bool,
    certs: Sequence[Any] = (),
    ocsps: Sequence[Any] = (),
    crls: Sequence[Any] = (),
    retroactive: bool = False,
) -> Any:
    """A pyhanko-certvalidator context: trusted-list anchors, embedded revocation data.

    Revocation is ``hard-fail``: a certificate that names an OCSP responder or CRL
    needs a response (EN 319 102-1 clause 5.2.5), embedded or fetched when ``online``.
    ``retroactive`` accepts revocation data issued after ``at``: used when validating
    at the time-stamp time (EN 319 102-1 clause 5.6.2.1, past signature validation).
    """
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(
        trust_roots=list(store.trust_roots()),
        other_certs=list(certs),
        ocsps=list(ocsps),
        crls=list(crls),
        moment=at,
        allow_fetching=online,
        revocation_mode="hard-fail",
        retroactive_revinfo=retroactive,
        best_signature_time=at,
    )


def key_usage_constraints() -> Any:
    from pyhanko.sign.validation.settings import KeyUsageConstraints

    return KeyUsageConstraints(key_usage=set(KEY_USAGES_FOR_SIGNING), match_all_key_usages=False)


def _subindication(indic: Any) -> tuple[Indication, SubIndication]:
    from pyhanko.sign.ades.report import AdESFailure

    name = getattr(indic, "name", "GENERIC")
    sub = SubIndication.__members__.get(name, SubIndication.GENERIC)
    return (Indication.TOTAL_FAILED if isinstance(indic, AdESFailure) else Indication.INDETERMINATE), sub


@dataclass(frozen=True, slots=True)
class TimeEvidence:
    """The best signature time (EN 319 102-1 clause 5.6.2.2) and where it comes from."""

    moment: datetime | None
    source: str | None
    warnings: tuple[str, ...]
    tst_path: Any = None


def time_evidence(status: Any, store: Any) -> TimeEvidence:
    """Signature time-stamp if it verifies and its TSA chains to a trust anchor, else the claim."""
    tst = getattr(status, "timestamp_validity", None)
    warnings: list[str] = []
    if tst is not None:
        if tst.intact and tst.valid and tst.trusted:
            chain = list(tst.validation_path) if tst.validation_path is not None else [tst.signing_cert]
            if not store.is_qualified_tsa(chain, tst.timestamp):
                warnings.append("signature time-stamp is not from a qualified time-stamping service")
            return TimeEvidence(tst.timestamp, "signature time-stamp", tuple(warnings), tst.validation_path)
        warnings.append("signature time-stamp does not verify or its TSA is not trusted; ignored")
    claimed = getattr(status, "signer_reported_dt", None)
    return TimeEvidence(claimed, "claimed by the signer (unverified)" if claimed else None, tuple(warnings))


def build_report(
    status: Any,
    *,
    store: Any,
    fmt: SignatureFormat,
    signed: Sequence[SignedFile],
    validated_at: datetime,
    evidence: TimeEvidence,
    extra_failure: tuple[Indication, SubIndication, str] | None = None,
    warnings: Sequence[str] = (),
    checks: Sequence[tuple[str, str]] = (),
    signature_id: str | None = None,
) -> SignatureReport:
    """Turn pyHanko's status into our report; ``extra_failure`` is a format-level verdict."""
    from .qualification import assess_qualification, signer_from_certificate

    cert = status.signing_cert
    signer = signer_from_certificate(cert)
    all_checks = list(checks)
    all_checks.append(("message digest over the signed data", "ok" if status.intact else "MISMATCH"))
    all_checks.append(("signature value", "ok" if status.valid else "INVALID"))
    indication, sub, reason = Indication.TOTAL_PASSED, None, "signature is valid"
    if not status.intact:
        indication, sub, reason = (Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE,
                                   "the signed data does not match the signature (changed after signing)")
    elif not status.valid:
        indication, sub, reason = (Indication.TOTAL_FAILED, SubIndication.SIG_CRYPTO_FAILURE,
                                   "the signature value does not verify with the signer's key")
    elif extra_failure is not None:
        indication, sub, reason = extra_failure
    elif not status.trusted or status.trust_problem_indic is not None:
        if status.trust_problem_indic is not None:
            indication, sub = _subindication(status.trust_problem_indic)
        else:
            indication, sub = Indication.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND
        reason = f"signer certificate path: {sub.value}"
        if status.revocation_details is not None:
            indication, sub = Indication.TOTAL_FAILED, SubIndication.REVOKED
            reason = f"signer certificate revoked at {status.revocation_details.revocation_date.isoformat()}"
    all_checks.append(("certificate path and revocation", "ok" if status.trusted else (sub or "failed")))
    qualification = Qualification.INDETERMINATE
    if indication is Indication.TOTAL_PASSED:
        path = status.validation_path if status.validation_path is not None else [cert]
        qualification = assess_qualification(cert, path, evidence.moment or validated_at, store)
    elif indication is Indication.TOTAL_FAILED:
        qualification = Qualification.NOT_ADES
    all_checks.append(("qualification (TS 119 615)", qualification.value))
    return SignatureReport(
        format=fmt,
        indication=indication,
        subindication=sub,
        qualification=qualification,
        signer=signer,
        signing_time=evidence.moment,
        signing_time_source=evidence.source,
        signed_files=tuple(signed),
        reason=reason,
        warnings=(*evidence.warnings, *warnings),
        signature_id=signature_id,
        checks=tuple(all_checks),
    )


def failed_report(
    fmt: SignatureFormat, sub: SubIndication, reason: str, *, signature_id: str | None = None,
    indication: Indication = Indication.TOTAL_FAILED,
) -> SignatureReport:
    """A signature rejected before any cryptography (format checks, EN 319 102-1 clause 5.2.2)."""
    return SignatureReport(
        format=fmt, indication=indication, subindication=sub, qualification=Qualification.NOT_ADES,
        signer=None, signing_time=None, signing_time_source=None, signed_files=(), reason=reason,
        signature_id=signature_id, checks=(("format", reason),),
    )


def signed_facts(signed_data: Any) -> dict[str, str]:
    """Per SignerInfo position, what :func:`signature.validate.signed_facts` gives for XAdES
    and :mod:`signature.pades` for PAdES (``ValidationReport.extra`` keys
    ``signature_value_sha256.<n>`` and ``claimed_signing_time.<n>``): the SHA-256 of the
    signature value the signer's key made (RFC 5652 clause 5.3 ``signature``) and the
    ``signing-time`` signed attribute (RFC 5652 clause 11.3).

    The signature time-stamp is an unsigned attribute (EN 319 122-1 clause 5.3): whoever holds
    a ``.p7s`` or a signed message can strip it or add a fresh one without breaking the
    signature, so it neither identifies the signature nor proves that it is recent. A value
    that cannot be read is left out: the signature's own report says what is wrong with it.
    """
    import hashlib

    facts: dict[str, str] = {}
    try:
        signer_infos = list(signed_data["signer_infos"])
    except Exception:  # a malformed SignedData: its report already says so
        return facts
    for index, signer_info in enumerate(signer_infos):
        try:
            value = bytes(signer_info["signature"].native)
        except Exception:  # noqa: S112 - an unreadable value identifies nothing: its report says why
            continue
        facts[f"signature_value_sha256.{index}"] = hashlib.sha256(value).hexdigest()
        claimed = _claimed_signing_time(signer_info)
        if claimed is not None:
            facts[f"claimed_signing_time.{index}"] = claimed.isoformat()
    return facts


def _claimed_signing_time(signer_info: Any) -> datetime | None:
    """The earliest ``signing-time`` among the signed attributes (RFC 5652 clause 11.3 allows
    one; should several appear, the earliest, so a forged one can only make it look older)."""
    moments: list[datetime] = []
    try:
        for attribute in signer_info["signed_attrs"] or ():
            if attribute["type"].native != "signing_time":
                continue
            for value in attribute["values"]:
                moment = value.native
                if isinstance(moment, datetime):
                    moments.append(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    except Exception:  # a malformed attribute: the validation reports it
        return None
    return min(moments) if moments else None


def now_utc() -> datetime:
    return datetime.now(UTC)
