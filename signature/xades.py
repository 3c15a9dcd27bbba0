"""XAdES signature validation (ETSI EN 319 132-1 format, EN 319 102-1 procedure).

``validate_xades_document(xml, data_files=..., store=..., at=..., online=...)``
returns one :class:`SignatureReport` per top-level ``ds:Signature`` of an
ASiC-E signature document. The order of checks follows EN 319 102-1 clause 5:
format, signing-certificate identification, cryptographic verification
(references, SignatureValue), time-stamps, then the certificate path with
revocation at the best signature time, then qualification (TS 119 615).
Only data covered by verified references is reported as signed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from asn1crypto import ocsp
from asn1crypto import x509 as asn1_x509
from lxml import etree

from . import ltv, xmldsig
from .errors import UnusableInput
from .qualification import assess_qualification_details, signer_from_certificate
from .report import Indication, Qualification, SignatureFormat, SignatureReport, SignedFile, SubIndication
from .safexml import parse_untrusted_xml
from .trust import TrustStore
from .xades_props import (
    SigningCertRef,
    UnsignedMaterial,
    match_signing_certificate,
    read_signing_cert_refs,
    read_unsigned,
)
from .xmldsig import NS, DsigFormatError


@dataclass
class _Verdict:
    """Accumulates checks; the first failure by EN 319 102-1 priority decides."""

    checks: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    failed: tuple[Indication, SubIndication, str] | None = None

    def check(self, name: str, outcome: str) -> None:
        self.checks.append((name, outcome))

    def fail(self, indication: Indication, sub: SubIndication, reason: str) -> None:
        if self.failed is None or (
            indication is Indication.TOTAL_FAILED and self.failed[0] is not Indication.TOTAL_FAILED
        ):
            self.failed = (indication, sub, reason)


def validate_xades_document(
    xml: bytes,
    *,
    data_files: Mapping[str, bytes],
    store: TrustStore,
    at: datetime | None = None,
    online: bool = False,
    document_name: str = "signatures.xml",
) -> list[SignatureReport]:
    """Validate every signature in one XAdES signature document."""
    return validate_parsed_document(
        parse_signature_document(xml, document_name=document_name),
        data_files=data_files, store=store, at=at, online=online,
    )


@dataclass(frozen=True, slots=True)
class ParsedSignatureDocument:
    """A signature document read with the hardened parser, before any cryptography."""

    root: etree._Element
    signatures: list[etree._Element]
    """Top-level ``ds:Signature`` elements; a nested one is a counter-signature."""


def parse_signature_document(xml: bytes, *, document_name: str = "signatures.xml") -> ParsedSignatureDocument:
    """Parse and find the signatures, so a caller can count them before validating any."""
    root = parse_untrusted_xml(xml, what=document_name)
    is_bare = root.tag == xmldsig.q("ds", "Signature")
    signatures = [root] if is_bare else root.findall("ds:Signature", NS)
    if not signatures:
        raise UnusableInput(f"{document_name}: no ds:Signature element", format_hint="xades")
    return ParsedSignatureDocument(root, signatures)


def validate_parsed_document(
    document: ParsedSignatureDocument,
    *,
    data_files: Mapping[str, bytes],
    store: TrustStore,
    at: datetime | None = None,
    online: bool = False,
) -> list[SignatureReport]:
    """Validate every signature of a document from :func:`parse_signature_document`."""
    root, signatures = document.root, document.signatures
    when = at or datetime.now(UTC)
    try:
        ids: dict[str, etree._Element] | None = xmldsig.index_ids(root)
        id_problem = ""
    except DsigFormatError as exc:
        ids, id_problem = None, str(exc)
    reports = []
    for sig in signatures:
        if ids is None:
            reports.append(_format_failure(sig, id_problem))
            continue
        try:
            reports.append(_validate_one(sig, ids, data_files, store, when, online))
        except DsigFormatError as exc:
            reports.append(_format_failure(sig, str(exc)))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            # asn1crypto parses lazily: garbage inside a well-formed element surfaces here.
            reports.append(_format_failure(sig, f"unreadable content ({type(exc).__name__})"))
    return reports


def _format_failure(sig: etree._Element, detail: str) -> SignatureReport:
    return SignatureReport(
        format=SignatureFormat.XADES_ASICE,
        indication=Indication.TOTAL_FAILED,
        subindication=SubIndication.FORMAT_FAILURE,
        qualification=Qualification.NOT_ADES,
        signer=None,
        signing_time=None,
        signing_time_source=None,
        signed_files=(),
        reason=f"signature structure rejected: {detail}",
        signature_id=sig.get("Id"),
        checks=(("format", f"failed: {detail}"),),
    )


def _certs_from_keyinfo(sig: etree._Element) -> list[asn1_x509.Certificate]:
    out = []
    for el in sig.findall("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS):
        try:
            out.append(asn1_x509.Certificate.load(xmldsig.b64decode(el.text)))
        except (ValueError, TypeError) as exc:
            raise DsigFormatError("unreadable certificate in KeyInfo") from exc
    return out


def _validate_one(
    sig: etree._Element,
    ids: Mapping[str, etree._Element],
    data_files: Mapping[str, bytes],
    store: TrustStore,
    at: datetime,
    online: bool,
) -> SignatureReport:
    v = _Verdict()
    core = xmldsig.verify_references(sig, ids, data_files)
    signed_props = core.signed_properties
    if signed_props is None:  # verify_references guarantees one; keep mypy honest
        raise DsigFormatError("SignedProperties missing")
    v.check("format", "one SignedProperties, referenced with the right Type; Ids unique")
    claimed_time = _signing_time(signed_props)
    cert_refs = read_signing_cert_refs(signed_props)
    unsigned = read_unsigned(sig)
    keyinfo = _certs_from_keyinfo(sig)
    pool = [*keyinfo, *unsigned.certificates]

    # Signing certificate identification (EN 319 102-1 5.2.3): digest AND issuer-serial.
    signing_cert = _identify_signing_cert(keyinfo, pool, cert_refs, v)
    signer = signer_from_certificate(signing_cert) if signing_cert is not None else None

    for kind, detail in core.problems:
        problem = SubIndication(kind)
        ind = (
            Indication.INDETERMINATE
            if problem is SubIndication.CRYPTO_CONSTRAINTS_FAILURE
            else Indication.TOTAL_FAILED
        )
        v.fail(ind, problem, detail)
    files = tuple(
        SignedFile(r.file_name, r.digest_algorithm, r.digest_hex, r.size)
        for r in core.references
        if r.file_name is not None and r.matches
    )
    v.check(
        "references", "all digests match" if not core.problems else "; ".join(d for _, d in core.problems)
    )

    if signing_cert is not None:
        ok, detail = xmldsig.verify_signature_value(sig, _public_key(signing_cert))
        v.check("signature value", "verified" if ok else f"failed: {detail}")
        if not ok:
            v.fail(Indication.TOTAL_FAILED, SubIndication.SIG_CRYPTO_FAILURE, detail)
        _check_key_usage(signing_cert, v)

    best_time, time_source, intact_ts_time = _timestamps(sig, unsigned, store, at, online, v)
    if (
        claimed_time is not None
        and best_time is not None
        and claimed_time - best_time > ltv.FRESHNESS_WARNING
    ):
        v.warnings.append("claimed signing time is after the time-stamp")
    moment = best_time or at

    qualification = Qualification.INDETERMINATE
    if signing_cert is not None:
        path = _signer_path(signing_cert, pool, unsigned, store, moment, online, v)
        _freshness(signing_cert, unsigned.ocsps, best_time or intact_ts_time, v)
        if path is not None and path.anchor_on_trusted_list:
            details = assess_qualification_details(signing_cert, path.path, moment, store)
            qualification = details.qualification
            v.check(
                "qualification",
                f"{details.qualification.value} via {details.service_name or 'no service'}"
                + (f" ({'; '.join(details.reasons)})" if details.reasons else ""),
            )
        elif path is not None:
            qualification = (
                Qualification.ADESIG if (signer and signer.is_natural_person) else Qualification.ADESEAL
            )
            v.check("qualification", "anchor is not on a trusted list: not qualified")
    sub: SubIndication | None
    if v.failed is not None:
        indication, sub, reason = v.failed
        if indication is Indication.TOTAL_FAILED:
            qualification = Qualification.NOT_ADES
        elif qualification is not Qualification.NOT_ADES:
            qualification = Qualification.INDETERMINATE
    else:
        indication, sub, reason = Indication.TOTAL_PASSED, None, "all checks passed"
    return SignatureReport(
        format=SignatureFormat.XADES_ASICE,
        indication=indication,
        subindication=sub,
        qualification=qualification,
        signer=signer,
        signing_time=best_time or claimed_time,
        signing_time_source=time_source
        if best_time
        else ("claimed (SigningTime, unproven)" if claimed_time else None),
        signed_files=files,
        reason=reason,
        warnings=tuple(v.warnings),
        signature_id=sig.get("Id"),
        checks=tuple(v.checks),
    )


def _signing_time(signed_props: etree._Element) -> datetime | None:
    text = signed_props.findtext("xades:SignedSignatureProperties/xades:SigningTime", namespaces=NS)
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise DsigFormatError("unreadable SigningTime") from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _identify_signing_cert(
    keyinfo: list[asn1_x509.Certificate],
    pool: list[asn1_x509.Certificate],
    refs: list[SigningCertRef],
    v: _Verdict,
) -> asn1_x509.Certificate | None:
    if not refs:
        v.fail(
            Indication.INDETERMINATE,
            SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
            "no SigningCertificate property",
        )
        v.check("signing certificate", "no SigningCertificate(V2) property")
        return None
    candidates = keyinfo or pool
    for cert in candidates:
        outcome = match_signing_certificate(cert, refs)
        if outcome == "match":
            v.check(
                "signing certificate",
                "KeyInfo certificate matches SigningCertificate digest and issuer-serial",
            )
            return cert
        if outcome == "issuer_serial_mismatch":
            v.fail(
                Indication.INDETERMINATE,
                SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
                "SigningCertificate digest matches but issuer-serial does not",
            )
            v.check("signing certificate", "issuer-serial mismatch")
            return None
    v.fail(
        Indication.INDETERMINATE,
        SubIndication.NO_SIGNING_CERTIFICATE_FOUND,
        "the certificate in KeyInfo is not the one named by SigningCertificate (key substitution?)",
    )
    v.check("signing certificate", "no certificate matches SigningCertificate")
    return None


def _public_key(cert: asn1_x509.Certificate) -> object:
    from cryptography.x509 import load_der_x509_certificate

    return load_der_x509_certificate(cert.dump()).public_key()


def _check_key_usage(cert: asn1_x509.Certificate, v: _Verdict) -> None:
    # Latvian eID certificates carry nonRepudiation only: either bit suffices.
    usage = cert.key_usage_value
    if usage is not None and not ({"non_repudiation", "digital_signature"} & set(usage.native)):
        v.fail(
            Indication.INDETERMINATE,
            SubIndication.SIG_CONSTRAINTS_FAILURE,
            "certificate key usage forbids signing",
        )


def _timestamps(
    sig: etree._Element,
    unsigned: UnsignedMaterial,
    store: TrustStore,
    at: datetime,
    online: bool,
    v: _Verdict,
) -> tuple[datetime | None, str | None, datetime | None]:
    """Verify SignatureTimeStamp(s): imprint over the canonical ds:SignatureValue (EN 319 132-1 5.3).

    Returns the best signature time (trusted TSA), its source, and the time of
    a cryptographically intact but untrusted time-stamp (used only to judge
    revocation freshness, never as proof of existence).
    """
    sig_value = sig.find("ds:SignatureValue", NS)
    intact_time: datetime | None = None
    best: datetime | None = None
    source: str | None = None
    for ts_el, token in unsigned.signature_timestamps:
        alg, prefixes = xmldsig.c14n_of(ts_el, "http://www.w3.org/TR/2001/REC-xml-c14n-20010315")
        imprint_input = xmldsig.canonicalize(sig_value, alg, prefixes) if sig_value is not None else b""
        out = ltv.validate_timestamp(
            token,
            imprint_input,
            roots=store.trust_roots(),
            tl_anchors=store.qualified_tsa_certs(),
            others=unsigned.certificates,
            at=at,
            ocsps=unsigned.ocsps,
            crls=unsigned.crls,
            online=online,
        )
        tsa_name = short_name(out.tsa_cert) if out.tsa_cert is not None else "unknown TSA"
        qualified = out.gen_time is not None and store.is_qualified_tsa(out.tsa_chain, out.gen_time)
        v.check(
            "signature time-stamp",
            f"{out.detail}; {tsa_name}; "
            + ("qualified TSA on the trusted list" if qualified else "TSA not qualified on a trusted list"),
        )
        if not out.imprint_ok or not out.signature_ok:
            v.fail(
                Indication.TOTAL_FAILED,
                SubIndication.HASH_FAILURE if not out.imprint_ok else SubIndication.SIG_CRYPTO_FAILURE,
                f"signature time-stamp: {out.detail}",
            )
            continue
        intact_time = out.gen_time if intact_time is None else intact_time
        if not out.tsa_path_ok:
            v.warnings.append("signature time-stamp does not chain to a trust anchor; its time is not used")
            continue
        if out.gen_time is not None and (best is None or out.gen_time < best):
            best, source = out.gen_time, f"signature time-stamp ({tsa_name})"
    if len(unsigned.signature_timestamps) > 1:
        v.warnings.append(
            f"{len(unsigned.signature_timestamps)} signature time-stamps; the earliest verified counts"
        )
    if not unsigned.signature_timestamps:
        v.check("signature time-stamp", "none (B-level signature): no proof of signing time")
    return best, source, intact_time


def _signer_path(
    cert: asn1_x509.Certificate,
    pool: list[asn1_x509.Certificate],
    unsigned: UnsignedMaterial,
    store: TrustStore,
    moment: datetime,
    online: bool,
    v: _Verdict,
) -> ltv.PathOutcome | None:
    out = ltv.validate_path(
        cert,
        roots=store.trust_roots(),
        tl_anchors=store.qualified_ca_certs(),
        others=pool,
        moment=moment,
        ocsps=unsigned.ocsps,
        crls=unsigned.crls,
        online=online,
    )
    anchor = "trusted-list anchor" if out.anchor_on_trusted_list else "extra anchor (not on a trusted list)"
    v.check("signer certificate path", f"{out.detail}" + (f" to {anchor}" if out.path else ""))
    if out.status == "ok":
        return out
    mapping = {
        "no_chain": (Indication.INDETERMINATE, SubIndication.NO_CERTIFICATE_CHAIN_FOUND),
        "revoked": (Indication.INDETERMINATE, SubIndication.REVOKED_NO_POE),
        "no_revinfo": (Indication.INDETERMINATE, SubIndication.TRY_LATER),
        "expired": (Indication.INDETERMINATE, SubIndication.OUT_OF_BOUNDS_NO_POE),
        "not_yet_valid": (Indication.TOTAL_FAILED, SubIndication.NOT_YET_VALID),
        "invalid": (Indication.INDETERMINATE, SubIndication.CHAIN_CONSTRAINTS_FAILURE),
    }
    ind, sub = mapping[out.status]
    v.fail(ind, sub, out.detail)
    return out if out.status == "no_revinfo" else None


def _freshness(
    cert: asn1_x509.Certificate, ocsps: list[ocsp.OCSPResponse], best_time: datetime | None, v: _Verdict
) -> None:
    """EN 319 102-1 5.2.5: OCSP not before the time-stamp; > 15 min after it is a warning."""
    if best_time is None:
        return
    times = ltv.revocation_times(ocsps, cert)
    if not times:
        return
    if all(t < best_time for t in times):
        v.fail(
            Indication.INDETERMINATE,
            SubIndication.TRY_LATER,
            "revocation data predates the signature time-stamp",
        )
        return
    after = min(t for t in times if t >= best_time)
    if after - best_time > ltv.FRESHNESS_WARNING:
        v.warnings.append(
            f"revocation data is not fresh: OCSP produced {after - best_time} after the time-stamp "
            "(more than 15 minutes)"
        )


def short_name(cert: asn1_x509.Certificate) -> str:
    """The common name for people reading a report (identity never comes from it)."""
    return str(cert.subject.native.get("common_name") or cert.subject.human_friendly)


def certificate_fingerprint(cert: asn1_x509.Certificate) -> str:
    return hashlib.sha256(cert.dump()).hexdigest()


__all__ = ["certificate_fingerprint", "short_name", "validate_xades_document"]
