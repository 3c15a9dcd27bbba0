"""XAdES qualifying properties: SigningCertificate(V2) and unsigned validation data.

EN 319 132-1 clause 5.2.2: the signing certificate is named by digest *and*
issuer-serial; both must match the certificate that verifies the signature,
otherwise a substituted certificate (same key, other identity) could pass.
Unsigned material (time-stamps, certificates, OCSP, CRLs) is read only from the
QualifyingProperties that target this very signature.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from asn1crypto import crl, ocsp
from asn1crypto import x509 as asn1_x509
from lxml import etree

from .xmldsig import DIGESTS, NS, WEAK_DIGESTS, DsigFormatError, b64decode


@dataclass(frozen=True, slots=True)
class SigningCertRef:
    digest_algorithm: str
    digest: bytes
    issuer_name: str | None  # V1: RFC 4514 string
    serial: int | None
    issuer_serial_v2: bytes | None  # V2: DER IssuerSerial (RFC 5035)


def read_signing_cert_refs(signed_props: etree._Element) -> list[SigningCertRef]:
    ssp = signed_props.find("xades:SignedSignatureProperties", NS)
    if ssp is None:
        raise DsigFormatError("SignedSignatureProperties missing")
    refs: list[SigningCertRef] = []
    v1 = ssp.findall("xades:SigningCertificate/xades:Cert", NS)
    v2 = ssp.findall("xades:SigningCertificateV2/xades:Cert", NS)
    if (
        ssp.find("xades:SigningCertificate", NS) is not None
        and ssp.find("xades:SigningCertificateV2", NS) is not None
    ):
        raise DsigFormatError("both SigningCertificate and SigningCertificateV2 present")
    for cert_el in [*v1, *v2]:
        method = cert_el.find("xades:CertDigest/ds:DigestMethod", NS)
        value = cert_el.find("xades:CertDigest/ds:DigestValue", NS)
        if method is None or value is None:
            raise DsigFormatError("CertDigest incomplete")
        alg_uri = method.get("Algorithm", "")
        alg = DIGESTS.get(alg_uri) or WEAK_DIGESTS.get(alg_uri)
        if alg is None:
            raise DsigFormatError(f"unsupported CertDigest algorithm {alg_uri!r}")
        serial_text = cert_el.findtext("xades:IssuerSerial/ds:X509SerialNumber", namespaces=NS)
        v2_text = cert_el.findtext("xades:IssuerSerialV2", namespaces=NS)
        try:
            serial = int(serial_text.strip()) if serial_text else None
        except ValueError as exc:
            raise DsigFormatError("unreadable X509SerialNumber") from exc
        refs.append(
            SigningCertRef(
                alg,
                b64decode(value.text),
                cert_el.findtext("xades:IssuerSerial/ds:X509IssuerName", namespaces=NS),
                serial,
                b64decode(v2_text) if v2_text else None,
            )
        )
    return refs


_HEX_VALUE_RE = re.compile(r"(^|(?<!\\)[,+])(\s*[A-Za-z0-9.]+\s*)=#([0-9A-Fa-f]+)")


def _decode_hex_values(dn: str) -> str:
    """Turn RFC 4514 ``oid=#DER`` values into escaped strings (DSS writes them for 2.5.4.97)."""

    def repl(m: re.Match[str]) -> str:
        from asn1crypto.core import Asn1Value

        try:
            value = str(Asn1Value.load(bytes.fromhex(m[3])).native)
        except (ValueError, TypeError):
            return m[0]
        escaped = re.sub(r'([,+"\\<>;=])', r"\\\1", value)
        return f"{m[1]}{m[2]}={escaped}"

    return _HEX_VALUE_RE.sub(repl, dn)


def _names_equal(rfc4514: str, name: asn1_x509.Name) -> bool:
    """Compare a DN string with a certificate name, attribute by attribute."""
    from cryptography.x509 import Name
    from cryptography.x509.oid import NameOID

    try:
        parsed = Name.from_rfc4514_string(
            _decode_hex_values(rfc4514),
            {
                "organizationIdentifier": NameOID.ORGANIZATION_IDENTIFIER,
                "SERIALNUMBER": NameOID.SERIAL_NUMBER,
            },
        )
    except ValueError:
        return False

    def normalise(attrs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return sorted((oid, " ".join(str(val).split()).casefold()) for oid, val in attrs)

    want = [(a.oid.dotted_string, str(a.value)) for a in parsed]
    have: list[tuple[str, str]] = []
    for rdn in name.chosen:
        for attr in rdn:
            have.append((attr["type"].dotted, str(attr["value"].native)))
    return normalise(want) == normalise(have)


def match_signing_certificate(cert: asn1_x509.Certificate, refs: list[SigningCertRef]) -> str:
    """``match``, ``issuer_serial_mismatch`` or ``no_match`` (EN 319 132-1 5.2.2)."""
    der = cert.dump()
    for ref in refs:
        if hashlib.new(ref.digest_algorithm, der).digest() != ref.digest:
            continue
        if ref.issuer_serial_v2 is not None:
            if _issuer_serial_v2_matches(ref.issuer_serial_v2, cert):
                return "match"
            return "issuer_serial_mismatch"
        if ref.serial is None:
            return "match"  # issuer-serial is optional in V2 and absent here
        if (
            ref.serial == cert.serial_number
            and ref.issuer_name is not None
            and _names_equal(ref.issuer_name, cert.issuer)
        ):
            return "match"
        return "issuer_serial_mismatch"
    return "no_match"


def _issuer_serial_v2_matches(der: bytes, cert: asn1_x509.Certificate) -> bool:
    from asn1crypto import tsp

    try:
        issuer_serial = tsp.IssuerSerial.load(der)
        serial = issuer_serial["serial_number"].native
        names = [gn.chosen for gn in issuer_serial["issuer"] if gn.name == "directory_name"]
    except (ValueError, TypeError, KeyError):
        return False
    return serial == cert.serial_number and any(n == cert.issuer for n in names)


@dataclass
class UnsignedMaterial:
    signature_timestamps: list[tuple[etree._Element, bytes]] = field(default_factory=list)
    certificates: list[asn1_x509.Certificate] = field(default_factory=list)
    ocsps: list[ocsp.OCSPResponse] = field(default_factory=list)
    crls: list[crl.CertificateList] = field(default_factory=list)
    archive_timestamps: int = 0


def read_unsigned(signature: etree._Element) -> UnsignedMaterial:
    out = UnsignedMaterial()
    sig_id = signature.get("Id")
    usp = None
    for qp in signature.findall("ds:Object/xades:QualifyingProperties", NS):
        if qp.get("Target") == f"#{sig_id}":
            usp = qp.find("xades:UnsignedProperties/xades:UnsignedSignatureProperties", NS)
    if usp is None:
        return out
    try:
        for ts in usp.findall("xades:SignatureTimeStamp", NS):
            tokens = ts.findall("xades:EncapsulatedTimeStamp", NS)
            if len(tokens) != 1:
                raise DsigFormatError("SignatureTimeStamp must carry one EncapsulatedTimeStamp")
            out.signature_timestamps.append((ts, b64decode(tokens[0].text)))
        for el in usp.iterfind(".//xades:EncapsulatedX509Certificate", NS):
            out.certificates.append(asn1_x509.Certificate.load(b64decode(el.text)))
        for el in usp.iterfind(".//xades:EncapsulatedOCSPValue", NS):
            resp = ocsp.OCSPResponse.load(b64decode(el.text))
            resp["response_bytes"]["response"].parsed  # noqa: B018 - parse now so garbage fails here
            out.ocsps.append(resp)
        for el in usp.iterfind(".//xades:EncapsulatedCRLValue", NS):
            out.crls.append(crl.CertificateList.load(b64decode(el.text)))
        out.archive_timestamps = len(usp.findall("xades141:ArchiveTimeStamp", NS))
    except (ValueError, TypeError, KeyError) as exc:
        raise DsigFormatError(f"unreadable unsigned property ({type(exc).__name__})") from exc
    return out
