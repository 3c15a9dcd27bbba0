"""S/MIME and detached ``.p7s`` validation (RFC 8551, RFC 5652, ETSI EN 319 122 CAdES).

Usage (mail intake)::

    result = validate_smime_message(raw_rfc5322_bytes, store=store)
    if result.report.proves_natural_person:
        request_text_source = result.signed_entity   # ONLY this is the request

Defences ("Johnny, you are fired", USENIX Security 2019):

* ``multipart/signed``: the detached CMS is checked over the first body part
  exactly as transmitted (the raw bytes between the boundaries, the CRLF before
  a delimiter belonging to the delimiter, RFC 2046 clause 5.1.1), in canonical
  CRLF form (RFC 8551 clause 3.1.1) — never a re-serialisation.
* eContent confusion: a detached signature that also carries eContent, or an
  eContent type other than id-data, is a FORMAT_FAILURE.
* Exactly one SignerInfo: none or several is a FORMAT_FAILURE.
* MIME wrapping: a signed part nested inside unsigned parts is validated, but only
  the signed entity is returned and a warning says unsigned text was ignored.
* From differing from the signer's certificate is a warning: the signer is who the
  certificate says (EN 319 412-1), never the header.

pyHanko (``generic_cms.async_validate_detached_cms``) does the CMS work.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
import re
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from typing import Any

from .cms_status import (
    build_report,
    failed_report,
    key_usage_constraints,
    now_utc,
    signed_facts,
    time_evidence,
    validation_context,
)
from .errors import UnsupportedFormat, UnusableInput
from .report import Indication, SignatureFormat, SignatureReport, SignedFile, SubIndication, ValidationReport

_MAX_MESSAGE_BYTES = 32 * 1024 * 1024
_MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class SmimeResult:
    """The verdict on a message and the only bytes that count as the request."""

    report: ValidationReport
    signed_entity: bytes | None
    """The signed MIME entity (headers + body) as signed; None when the signature failed."""
    from_addresses: tuple[str, ...] = ()

    @property
    def proves_natural_person(self) -> bool:
        return self.report.proves_natural_person


# -- MIME splitting on raw bytes -------------------------------------------------

def _split_head(raw: bytes) -> tuple[bytes, bytes]:
    for sep in (b"\r\n\r\n", b"\n\n"):
        idx = raw.find(sep)
        if idx >= 0:
            return raw[:idx], raw[idx + len(sep):]
    return raw, b""


def _headers(head: bytes) -> Any:
    return BytesHeaderParser().parsebytes(head + b"\r\n\r\n")


def _canonical_crlf(data: bytes) -> bytes:
    """RFC 8551 clause 3.1.1: canonical line endings (bare LF from local storage -> CRLF)."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", data)


def _parts(body: bytes, boundary: str) -> list[bytes]:
    """Raw body parts between ``--boundary`` delimiters (RFC 2046 clause 5.1.1)."""
    delimiter = re.compile(rb"(?:\r?\n|^)--" + re.escape(boundary.encode("latin-1")) + rb"(--)?[ \t]*(?=\r?\n|$)")
    matches = list(delimiter.finditer(body))
    parts: list[bytes] = []
    for current, following in itertools.pairwise(matches):
        if current.group(1):
            break
        start = current.end()
        start += 2 if body[start:start + 2] == b"\r\n" else (1 if body[start:start + 1] == b"\n" else 0)
        parts.append(body[start:following.start()])
    return parts


@dataclass(frozen=True, slots=True)
class _SignedShape:
    kind: str  # "multipart" | "pkcs7"
    entity: bytes | None
    cms: bytes
    wrapped: bool


def _find_signed(raw: bytes, depth: int = 0, wrapped: bool = False) -> _SignedShape | None:
    if depth > _MAX_DEPTH:
        raise UnusableInput("MIME nesting too deep", format_hint="smime")
    head, body = _split_head(raw)
    msg = _headers(head)
    ctype = msg.get_content_type()
    if ctype == "multipart/signed":
        boundary = msg.get_param("boundary")
        if not isinstance(boundary, str) or not boundary:
            raise UnusableInput("multipart/signed without a boundary", format_hint="smime")
        parts = _parts(body, boundary)
        if len(parts) != 2:
            raise UnusableInput(f"multipart/signed with {len(parts)} parts (2 expected)", format_hint="smime")
        sig_head, sig_body = _split_head(parts[1])
        return _SignedShape("multipart", parts[0], _decode_cms(_headers(sig_head), sig_body), wrapped)
    if ctype in ("application/pkcs7-mime", "application/x-pkcs7-mime"):
        smime_type = (msg.get_param("smime-type") or "signed-data")
        if str(smime_type).lower() != "signed-data":
            raise UnsupportedFormat(f"S/MIME {smime_type} (encrypted) is not validated", format_hint="smime")
        return _SignedShape("pkcs7", None, _decode_cms(msg, body), wrapped)
    if msg.get_content_maintype() == "multipart":
        boundary = msg.get_param("boundary")
        if isinstance(boundary, str) and boundary:
            for part in _parts(body, boundary):
                found = _find_signed(part, depth + 1, wrapped=True)
                if found is not None:
                    return found
    return None


def _decode_cms(headers: Any, body: bytes) -> bytes:
    encoding = str(headers.get("Content-Transfer-Encoding", "")).strip().lower()
    if encoding == "base64":
        try:
            return base64.b64decode(b"".join(body.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise UnusableInput("S/MIME signature is not valid base64", format_hint="smime") from exc
    return body


# -- CMS --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _ParsedCms:
    """A SignedData with the parts this module reads itself already parsed (see ``_load_signed_data``)."""

    der: bytes
    """The ContentInfo as received."""
    signed_data: Any
    certificates: tuple[Any, ...]
    ocsps: tuple[Any, ...]
    crls: tuple[Any, ...]


def _load_signed_data(der: bytes) -> _ParsedCms:
    """Parse the CMS SignedData (RFC 5652 clause 5.1), rejecting malformed input here.

    asn1crypto parses lazily, and a full ``.native`` parse cost more than the rest
    of the check. Parsed now is everything read outside pyHanko's guarded call in
    ``_validate_cms``: the SignerInfo outline and eContent (format checks), the
    embedded certificates in full (signer identity, qualification, the From check)
    and the revocation values, so junk there is UnusableInput as before. Attribute
    values are left to pyHanko: junk there is a FORMAT_FAILURE report.
    """
    from asn1crypto import cms

    try:
        info = cms.ContentInfo.load(der)
        if info["content_type"].native != "signed_data":
            raise UnusableInput("CMS is not SignedData", format_hint="cms")
        signed_data = info["content"]
        for signer_info in signed_data["signer_infos"]:
            _parse_signer_info_outline(signer_info)
        encap = signed_data["encap_content_info"]
        encap["content_type"].native  # noqa: B018
        encap["content"].native  # noqa: B018
        certificates = tuple(choice.chosen for choice in signed_data["certificates"] or ()
                             if choice.name == "certificate")
        for certificate in certificates:
            certificate.native  # noqa: B018 - read by the signer identity and qualification checks
        ocsps, crls = _embedded_revocation(signed_data)
    except UnusableInput:
        raise
    except Exception as exc:  # asn1crypto raises ValueError/TypeError/KeyError on junk
        raise UnusableInput("not a CMS SignedData structure", format_hint="cms") from exc
    return _ParsedCms(der, signed_data, certificates, ocsps, crls)


def _parse_signer_info_outline(signer_info: Any) -> None:
    """Parse a SignerInfo's fields and attribute list (RFC 5652 clause 5.3), not the attribute values.

    Converting every attribute to Python values (the signature time-stamp token is a
    whole CMS of its own) costs more than pyHanko's check; the values are read by
    pyHanko inside ``_validate_cms``'s guarded call, where junk is a FORMAT_FAILURE.
    """
    signer_info["sid"].chosen  # noqa: B018 - parse now so junk fails here
    for field in ("digest_algorithm", "signature_algorithm"):
        signer_info[field]["algorithm"].dotted  # noqa: B018
    signer_info["signature"].native  # noqa: B018
    for attrs in (signer_info["signed_attrs"], signer_info["unsigned_attrs"]):
        for attr in attrs or ():
            attr["type"].dotted  # noqa: B018
            len(attr["values"])


def _embedded_revocation(signed_data: Any) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """OCSP (RFC 5940 id-ri-ocsp-response) and CRLs carried in SignedData.crls."""
    from asn1crypto import ocsp as asn1_ocsp

    ocsps: list[Any] = []
    crls: list[Any] = []
    for choice in signed_data["crls"] or ():
        if choice.name == "crl":
            crls.append(choice.chosen)
        elif choice.name == "other" and choice.chosen["other_rev_info_format"].dotted == "1.3.6.1.5.5.7.16.2":
            ocsps.append(asn1_ocsp.OCSPResponse.load(choice.chosen["other_rev_info"].dump()))
    return tuple(ocsps), tuple(crls)


def _structure_problem(signed_data: Any, *, detached: bool) -> str | None:
    count = len(signed_data["signer_infos"])
    if count != 1:
        return f"{count} SignerInfos (exactly one is accepted)"
    encap = signed_data["encap_content_info"]
    if encap["content_type"].native != "data":
        return "eContent type is not id-data (eContent confusion)"
    if detached and encap["content"].native is not None:
        return "a detached signature that also carries eContent (eContent confusion)"
    if not detached and encap["content"].native is None:
        return "signed-data without eContent"
    return None


def _detached_view(parsed: _ParsedCms, *, detached: bool) -> Any:
    """The SignedData as pyHanko's detached check wants it: without eContent.

    A detached signature has none already (``_structure_problem``), so it is used
    as it is. An encapsulating one is re-read from its DER and its eContent
    dropped: a ``copy()`` of the parsed tree would deep-copy and re-encode it all.
    """
    if detached:
        return parsed.signed_data
    from asn1crypto import cms

    view = cms.ContentInfo.load(parsed.der)["content"]
    view["encap_content_info"] = cms.ContentInfo({"content_type": "data"})
    return view


def _validate_cms(parsed: _ParsedCms, content: bytes, *, detached: bool, store: Any, at: datetime | None,
                  online: bool, fmt: SignatureFormat, validated_at: datetime, name: str) -> SignatureReport:
    from pyhanko.sign.validation.generic_cms import async_validate_detached_cms

    certs, ocsps, crls = parsed.certificates, parsed.ocsps, parsed.crls
    detached_view = _detached_view(parsed, detached=detached)

    def run(moment: datetime | None, retroactive: bool) -> Any:
        vc = validation_context(store, at=moment, online=online, certs=certs, ocsps=ocsps, crls=crls,
                                retroactive=retroactive)
        # The signature time-stamp is always checked at the validation time. At that
        # moment the signer's context is the same one: share it, as pyHanko does by default.
        ts_vc = vc if moment == at and not retroactive else validation_context(
            store, at=at, online=online, certs=certs, ocsps=ocsps, crls=crls)
        return asyncio.run(async_validate_detached_cms(
            content, detached_view, signer_validation_context=vc, ts_validation_context=ts_vc,
            key_usage_settings=key_usage_constraints()))

    try:
        status = run(at, False)
    except Exception as exc:  # pyHanko raises SignatureValidationError/ValueError on malformed SignerInfos
        return failed_report(fmt, SubIndication.FORMAT_FAILURE, f"the CMS signature cannot be validated "
                             f"({type(exc).__name__})")
    evidence = time_evidence(status, store)
    warnings: list[str] = []
    from pyhanko.sign.ades.report import AdESIndeterminate

    if (status.intact and status.valid and evidence.source == "signature time-stamp"
            and status.trust_problem_indic in (AdESIndeterminate.OUT_OF_BOUNDS_NO_POE,
                                               AdESIndeterminate.OUT_OF_BOUNDS_NOT_REVOKED)):
        try:
            past = run(evidence.moment, True)
            if past.trusted and past.trust_problem_indic is None:
                status = past
                warnings.append("signer certificate validated as of the signature time-stamp")
        except Exception:  # keep the present-time verdict
            warnings.append("validation as of the signature time-stamp failed; present-time verdict kept")
    import hashlib

    signed = SignedFile(name=name, digest_algorithm="sha256", digest_hex=hashlib.sha256(content).hexdigest(),
                        size=len(content))
    return build_report(status, store=store, fmt=fmt, signed=(signed,), validated_at=validated_at,
                        evidence=evidence, warnings=warnings)


def validate_detached_p7s(p7s: bytes, content: bytes, *, store: Any, at: datetime | None = None,
                          online: bool = False, source: str = "signature.p7s") -> ValidationReport:
    """Validate a detached CAdES/CMS signature over ``content``.

    :raises UnusableInput: ``p7s`` is not a CMS SignedData (DER or PEM/base64).
    """
    der = p7s
    if p7s[:1] != b"\x30":
        text = re.sub(rb"-----[A-Z0-9 ]+-----", b"", p7s)
        try:
            der = base64.b64decode(b"".join(text.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise UnusableInput("not a CMS signature (neither DER nor base64)", format_hint="p7s") from exc
    parsed = _load_signed_data(der)
    validated_at = at or now_utc()
    fmt = SignatureFormat.CADES_DETACHED
    problem = _structure_problem(parsed.signed_data, detached=True)
    sig = (failed_report(fmt, SubIndication.FORMAT_FAILURE, problem) if problem else
           _validate_cms(parsed, content, detached=True, store=store, at=at, online=online, fmt=fmt,
                         validated_at=validated_at, name="detached content"))
    return ValidationReport(source=source, container="CMS", signatures=(sig,), validated_at=validated_at,
                            extra=signed_facts(parsed.signed_data))


def _signer_emails(report: SignatureReport, certificates: tuple[Any, ...]) -> set[str]:
    emails: set[str] = set()
    sha = report.signer.certificate_sha256 if report.signer else None
    for cert in certificates:
        if cert.sha256.hex() != sha:
            continue
        for name in cert.subject_alt_name_value.native if cert.subject_alt_name_value else ():
            if "@" in str(name):
                emails.add(str(name).lower())
        for attr in (cert.subject.native.get("email_address"),):
            if attr:
                emails.add(str(attr).lower())
    return emails


def validate_smime_message(raw: bytes, *, store: Any, at: datetime | None = None, online: bool = False,
                           source: str = "message.eml") -> SmimeResult:
    """Validate an RFC 5322 message signed with S/MIME; see the module docstring.

    :raises UnusableInput: no S/MIME signature in the message, or it cannot be parsed.
    """
    if len(raw) > _MAX_MESSAGE_BYTES:
        raise UnusableInput("message larger than 32 MB refused", format_hint="smime")
    try:
        top = _headers(_split_head(raw)[0])
        from_addresses = tuple(addr.lower() for _, addr in getaddresses(top.get_all("From", [])) if addr)
        shape = _find_signed(raw)
    except UnusableInput:
        raise
    except Exception as exc:  # email parser edge cases on hostile headers
        raise UnusableInput("message cannot be parsed as MIME", format_hint="smime") from exc
    if shape is None:
        raise UnusableInput("the message carries no S/MIME signature", format_hint="smime")
    parsed = _load_signed_data(shape.cms)
    signed_data = parsed.signed_data
    validated_at = at or now_utc()
    detached = shape.kind == "multipart"
    fmt = SignatureFormat.CADES_SMIME
    problem = _structure_problem(signed_data, detached=detached)
    if problem:
        failure = failed_report(fmt, SubIndication.FORMAT_FAILURE, problem)
        return SmimeResult(ValidationReport(source, "S/MIME", (failure,), validated_at=validated_at), None,
                           from_addresses)
    entity = (_canonical_crlf(shape.entity or b"") if detached
              else bytes(signed_data["encap_content_info"]["content"].native))
    sig = _validate_cms(parsed, entity, detached=detached, store=store, at=at, online=online, fmt=fmt,
                        validated_at=validated_at, name="signed MIME entity")
    warnings: list[str] = []
    if shape.wrapped:
        warnings.append("the signed part is nested inside unsigned MIME parts; only the signed part counts")
    emails = _signer_emails(sig, parsed.certificates)
    if sig.signer is not None and from_addresses and not set(from_addresses) & emails:
        warnings.append("From header differs from the signer's certificate; the signer is who the certificate says")
    report = ValidationReport(source, "S/MIME", (sig,), warnings=tuple(warnings), validated_at=validated_at,
                              extra=signed_facts(signed_data))
    verified = sig.indication is not Indication.TOTAL_FAILED
    return SmimeResult(report, entity if verified else None, from_addresses)
