"""ASiC-E producer with XAdES BASELINE-B / -T / -LT signatures (EN 319 162-1, EN 319 132-1).

Usage::

    key = LocalKey(private_key, [signer_cert, issuer_cert])
    edoc = build_asice({"pieprasijums.txt": b"..."}, key, flavour="edoc",
                       timestamp=lambda data: tst_der, ocsp_der=ocsp_response_der)

Signing goes through :class:`XadesKey` (``sign(data, algorithm)`` plus the
certificate chain) so a PKCS#11 key (SoftHSM2, an HSM) can seal (:mod:`signature.pkcs11_key`).

Flavours: ``"edoc"`` is LVRTC EDOC 2.0 (``META-INF/edoc-signatures-S1.xml``, ids
``S1-…``, ZIP comment ``EDOC/2.0``); ``"dss"`` is the EU DSS shape
(``META-INF/signatures0.xml``). Both use exclusive c14n here (EDOC 2.0 itself
uses c14n 1.1, which lxml does not implement; validators accept either).
Levels: B-B always; -T when ``timestamp`` is given (SignatureTimeStamp over the
canonicalised SignatureValue, EN 319 132-1 clause 5.3); -LT when ``ocsp_der`` is
given too (CertificateValues + RevocationValues, clause 5.5).
"""

from __future__ import annotations

import base64
import hashlib
import io
import uuid
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
ASIC = "http://uri.etsi.org/02918/v1.2.1#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
ECDSA_SHA384 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384"
SIGNED_PROPS_TYPE = "http://uri.etsi.org/01903#SignedProperties"
MIMETYPE = b"application/vnd.etsi.asic-e+zip"


@runtime_checkable
class XadesKey(Protocol):
    """A signing key: local, or on a PKCS#11 token (:mod:`signature.pkcs11_key`)."""

    @property
    def certificate_chain(self) -> Sequence[x509.Certificate]:
        """Signer certificate first, then its issuers."""
        ...

    @property
    def algorithm(self) -> str:
        """XMLDSig SignatureMethod URI this key signs with."""
        ...

    def sign(self, data: bytes, algorithm: str) -> bytes:
        """Raw XMLDSig signature value over ``data`` (ECDSA as r||s, RFC 4050)."""
        ...


class LocalKey:
    """A :class:`XadesKey` over a ``cryptography`` private key (tests, software seals)."""

    def __init__(self, key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, chain: Sequence[x509.Certificate]):
        self._key = key
        self._chain = tuple(chain)

    @property
    def certificate_chain(self) -> Sequence[x509.Certificate]:
        return self._chain

    @property
    def algorithm(self) -> str:
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return ECDSA_SHA384 if self._key.curve.key_size >= 384 else ECDSA_SHA256
        return RSA_SHA256

    def sign(self, data: bytes, algorithm: str) -> bytes:
        if isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        digest: hashes.HashAlgorithm = hashes.SHA384() if algorithm == ECDSA_SHA384 else hashes.SHA256()
        r, s = decode_dss_signature(self._key.sign(data, ec.ECDSA(digest)))
        size = (self._key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def _el(parent: etree._Element, ns: str, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{ns}}}{tag}", **attrs)
    if text is not None:
        node.text = text
    return node


def _c14n(node: etree._Element) -> bytes:
    return bytes(etree.tostring(node, method="c14n", exclusive=True, with_comments=False))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _signed_properties(qp: etree._Element, sig_id: str, cert: x509.Certificate, when: datetime,
                       file_refs: Sequence[tuple[str, str]]) -> etree._Element:
    sp = _el(qp, XADES, "SignedProperties", Id=f"{sig_id}-SignedProperties")
    ssp = _el(sp, XADES, "SignedSignatureProperties")
    _el(ssp, XADES, "SigningTime", when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    scv2 = _el(_el(ssp, XADES, "SigningCertificateV2"), XADES, "Cert")
    digest = _el(scv2, XADES, "CertDigest")
    _el(digest, DS, "DigestMethod", Algorithm=SHA256)
    _el(digest, DS, "DigestValue", _b64(hashlib.sha256(_der(cert)).digest()))
    # IssuerSerialV2 (EN 319 132-1 clause 5.2.2): DER IssuerSerial of RFC 5035.
    from asn1crypto import cms as asn1_cms
    from asn1crypto import x509 as asn1_x509

    a_cert = asn1_x509.Certificate.load(_der(cert))
    issuer_serial = asn1_cms.IssuerSerial({
        "issuer": [asn1_x509.GeneralName(name="directory_name", value=a_cert.issuer)],
        "serial": a_cert.serial_number,
    })
    _el(scv2, XADES, "IssuerSerialV2", _b64(issuer_serial.dump()))
    sdop = _el(sp, XADES, "SignedDataObjectProperties")
    for ref_id, mime in file_refs:
        _el(_el(sdop, XADES, "DataObjectFormat", ObjectReference=f"#{ref_id}"), XADES, "MimeType", mime)
    return sp


def build_signature_xml(files: Mapping[str, bytes], signer: XadesKey, *, sig_id: str = "S1",
                        signing_time: datetime | None = None,
                        timestamp: Callable[[bytes], bytes] | None = None,
                        ocsp_der: Sequence[bytes] | Callable[[], Sequence[bytes]] = ()) -> bytes:
    """One ``asic:XAdESSignatures`` document signing ``files`` (detached references, EN 319 162-1 4.4.3)."""
    chain = list(signer.certificate_chain)
    root = etree.Element(f"{{{ASIC}}}XAdESSignatures", nsmap={"asic": ASIC, "ds": DS, "xades": XADES})
    sig = _el(root, DS, "Signature", Id=sig_id)
    signed_info = _el(sig, DS, "SignedInfo")
    _el(signed_info, DS, "CanonicalizationMethod", Algorithm=EXC_C14N)
    _el(signed_info, DS, "SignatureMethod", Algorithm=signer.algorithm)
    file_refs: list[tuple[str, str]] = []
    for index, (name, data) in enumerate(files.items()):
        ref_id = f"{sig_id}-RefId{index}"
        ref = _el(signed_info, DS, "Reference", Id=ref_id, URI=quote(name, safe="/"))
        _el(ref, DS, "DigestMethod", Algorithm=SHA256)
        _el(ref, DS, "DigestValue", _b64(hashlib.sha256(data).digest()))
        file_refs.append((ref_id, "application/octet-stream"))
    sig_value = _el(sig, DS, "SignatureValue", Id=f"{sig_id}-SIG")
    key_info = _el(sig, DS, "KeyInfo")
    _el(_el(key_info, DS, "X509Data"), DS, "X509Certificate", _b64(_der(chain[0])))
    qp = _el(_el(sig, DS, "Object"), XADES, "QualifyingProperties", Target=f"#{sig_id}")
    sp = _signed_properties(qp, sig_id, chain[0], signing_time or datetime.now(UTC), file_refs)
    sp_ref = _el(signed_info, DS, "Reference", Id=f"{sig_id}-RefId-SP", Type=SIGNED_PROPS_TYPE,
                 URI=f"#{sig_id}-SignedProperties")
    _el(_el(sp_ref, DS, "Transforms"), DS, "Transform", Algorithm=EXC_C14N)
    _el(sp_ref, DS, "DigestMethod", Algorithm=SHA256)
    _el(sp_ref, DS, "DigestValue", _b64(hashlib.sha256(_c14n(sp)).digest()))
    sig_value.text = _b64(signer.sign(_c14n(signed_info), signer.algorithm))
    if timestamp is not None:
        usp = _el(_el(qp, XADES, "UnsignedProperties"), XADES, "UnsignedSignatureProperties")
        ts = _el(usp, XADES, "SignatureTimeStamp", Id=f"{sig_id}-T0")
        _el(ts, DS, "CanonicalizationMethod", Algorithm=EXC_C14N)
        _el(ts, XADES, "EncapsulatedTimeStamp", _b64(timestamp(_c14n(sig_value))))
        # A callable fetches OCSP only now, after the time-stamp (EN 319 102-1 5.2.5 freshness).
        revocation = ocsp_der() if callable(ocsp_der) else ocsp_der
        if revocation:
            cv = _el(usp, XADES, "CertificateValues")
            for cert in chain[1:]:
                _el(cv, XADES, "EncapsulatedX509Certificate", _b64(_der(cert)))
            ov = _el(_el(usp, XADES, "RevocationValues"), XADES, "OCSPValues")
            for der in revocation:
                _el(ov, XADES, "EncapsulatedOCSPValue", _b64(der))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _manifest(files: Mapping[str, bytes]) -> bytes:
    ns = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
    root = etree.Element(f"{{{ns}}}manifest", nsmap={"manifest": ns})
    etree.SubElement(root, f"{{{ns}}}file-entry", {f"{{{ns}}}full-path": "/", f"{{{ns}}}media-type":
                                                   MIMETYPE.decode()})
    for name in files:
        etree.SubElement(root, f"{{{ns}}}file-entry", {f"{{{ns}}}full-path": name,
                                                       f"{{{ns}}}media-type": "application/octet-stream"})
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def build_asice(files: Mapping[str, bytes], signer: XadesKey, *, flavour: str = "edoc",
                signing_time: datetime | None = None, timestamp: Callable[[bytes], bytes] | None = None,
                ocsp_der: Sequence[bytes] | Callable[[], Sequence[bytes]] = ()) -> bytes:
    """A complete ASiC-E container (``mimetype`` first and stored, manifest, one signature)."""
    if flavour not in ("edoc", "dss"):
        raise ValueError(f"unknown flavour {flavour!r}")
    sig_id = "S1" if flavour == "edoc" else f"id-{uuid.uuid4().hex}"
    sig_name = "META-INF/edoc-signatures-S1.xml" if flavour == "edoc" else "META-INF/signatures0.xml"
    xml = build_signature_xml(files, signer, sig_id=sig_id, signing_time=signing_time, timestamp=timestamp,
                              ocsp_der=ocsp_der)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE, compress_type=zipfile.ZIP_STORED)
        for name, data in files.items():
            zf.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
        manifest = zipfile.ZipInfo("META-INF/manifest.xml")
        if flavour == "edoc":
            manifest.comment = b"EDOC/2.0; LIB/rightsdesk-0.1"
        zf.writestr(manifest, _manifest(files), compress_type=zipfile.ZIP_DEFLATED)
        zf.writestr(sig_name, xml, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()
