"""S/MIME and detached CMS samples signed with pyHanko from the test PKI, and hostile shapes.

Attack shapes from Müller et al., "Johnny, you are fired!" (USENIX Security 2019).
"""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime
from typing import Any

from ..pki.authority import TestPki, to_asn1_cert, to_asn1_key
from ..pki.certs import Issued

BOUNDARY = "----=_rightsdesk_test_7f3a"


def request_entity(text: str = "Lūdzu izsniegt visus manus personas datus (GDPR 15. pants).") -> bytes:
    """A text/plain MIME entity (headers + body) with CRLF line endings, as a mail client signs it."""
    body = base64.encodebytes(text.encode("utf-8")).replace(b"\n", b"\r\n")
    return (b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body)


def sign_cms(pki: TestPki, signer: Issued, content: bytes, *, detached: bool = True, timestamp: bool = True,
             ocsp: bool = True, at: datetime | None = None) -> Any:
    """A CAdES SignedData (asn1crypto ContentInfo) with OCSP in ``crls`` (RFC 5940); time-stamped
    at ``at`` (default now), with a current OCSP response."""
    from asn1crypto import cms
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    registry = SimpleCertificateStore.from_certs([to_asn1_cert(c) for c in pki.chain_of(signer)[1:]])
    simple = signers.SimpleSigner(signing_cert=to_asn1_cert(signer.cert), signing_key=to_asn1_key(signer),
                                  cert_registry=registry)
    info = asyncio.run(simple.async_sign_general_data(
        content, "sha256", detached=detached, use_cades=True,
        timestamper=pki.timestamper(at=at) if timestamp else None))
    if ocsp:
        signed_data = info["content"]
        signed_data["crls"] = cms.RevocationInfoChoices([cms.RevocationInfoChoice(
            name="other", value=cms.OtherRevocationInfoFormat({
                "other_rev_info_format": "1.3.6.1.5.5.7.16.2",
                "other_rev_info": pki.asn1_ocsp_response(signer)}))])
        info = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
    return info


def _b64_lines(der: bytes) -> bytes:
    return base64.encodebytes(der).replace(b"\n", b"\r\n")


def multipart_signed(pki: TestPki, signer: Issued, *, entity: bytes | None = None, from_addr: str | None = None,
                     signature_der: bytes | None = None, at: datetime | None = None) -> bytes:
    """An RFC 8551 multipart/signed message; ``signature_der`` overrides the real signature."""
    entity = entity or request_entity()
    der = signature_der if signature_der is not None else sign_cms(pki, signer, entity, at=at).dump()
    from_addr = from_addr or "janis.berzins@example.lv"
    head = (
        f"From: <{from_addr}>\r\nTo: privacy@veikals.test\r\nSubject: GDPR request\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256; '
        f'boundary="{BOUNDARY}"\r\n\r\n'
    ).encode()
    return (head + b"This is an S/MIME signed message\r\n\r\n--" + BOUNDARY.encode() + b"\r\n" + entity
            + b"\r\n--" + BOUNDARY.encode() + b"\r\n"
            + b"Content-Type: application/pkcs7-signature; name=smime.p7s\r\n"
            + b"Content-Transfer-Encoding: base64\r\n\r\n" + _b64_lines(der)
            + b"\r\n--" + BOUNDARY.encode() + b"--\r\n")


def pkcs7_mime(pki: TestPki, signer: Issued, *, entity: bytes | None = None, from_addr: str | None = None,
               signature_der: bytes | None = None, at: datetime | None = None) -> bytes:
    """An application/pkcs7-mime; smime-type=signed-data message (content inside the CMS)."""
    entity = entity or request_entity()
    der = signature_der if signature_der is not None else sign_cms(pki, signer, entity, detached=False, at=at).dump()
    from_addr = from_addr or "janis.berzins@example.lv"
    head = (
        f"From: <{from_addr}>\r\nTo: privacy@veikals.test\r\nSubject: GDPR request\r\nMIME-Version: 1.0\r\n"
        "Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode()
    return head + _b64_lines(der)


def wrapped_in_mixed(signed_message: bytes, unsigned_text: str) -> bytes:
    """MIME wrapping: unsigned text first, the genuinely signed message nested as a part."""
    outer = "----=_outer_wrap_1"
    sep = signed_message.find(b"\r\n\r\n")
    signed_head = b"\r\n".join(line for line in signed_message[:sep].split(b"\r\n")
                               if line.lower().startswith(b"content-type"))
    nested = signed_head + signed_message[sep:]
    return (
        f"From: <impostor@example.com>\r\nSubject: GDPR request\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{outer}"\r\n\r\n--{outer}\r\n'
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{unsigned_text}\r\n--{outer}\r\n"
    ).encode() + nested + f"\r\n--{outer}--\r\n".encode()
