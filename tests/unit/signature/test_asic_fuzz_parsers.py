"""Fuzzing the container and XML parsers: only UnusableInput or a report, never another exception."""

from __future__ import annotations

import contextlib
import io
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signature.asic import ASIC_E_MIMETYPE
from signature.errors import UnusableInput
from signature.trust import TrustStore
from signature.validate import validate_file
from signature.xades import validate_xades_document

_STORE = TrustStore()  # empty and never mutated
DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
SKELETON = (
    f'<asic:XAdESSignatures xmlns:asic="http://uri.etsi.org/02918/v1.2.1#"><ds:Signature xmlns:ds="{DS}" Id="S">'
    f'<ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2006/12/xml-c14n11"/>'
    f'<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
    f'<ds:Reference URI="a.txt"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
    f"<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference>"
    f'<ds:Reference Type="http://uri.etsi.org/01903#SignedProperties" URI="#SP">'
    f'<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue>AAAA</ds:DigestValue>'
    f"</ds:Reference></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue>"
    f"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>AAAA</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
    f'<ds:Object><xades:QualifyingProperties xmlns:xades="{XADES}" Target="#S"><xades:SignedProperties Id="SP">'
    f"<xades:SignedSignatureProperties><xades:SigningTime>2021-03-04T10:44:35Z</xades:SigningTime>"
    f"</xades:SignedSignatureProperties></xades:SignedProperties></xades:QualifyingProperties></ds:Object>"
    f"</ds:Signature></asic:XAdESSignatures>"
)


def _container(sig: bytes, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), ASIC_E_MIMETYPE)
        zf.writestr("a.txt", data)
        zf.writestr("META-INF/signatures0.xml", sig)
    return out.getvalue()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes_give_unusable_input_or_a_report(data: bytes) -> None:
    with contextlib.suppress(UnusableInput):
        validate_file(b"PK\x03\x04" + data, filename="x.asice", store=_STORE)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=len(SKELETON) - 1), st.text(max_size=20))
def test_mutated_signature_xml_gives_unusable_input_or_a_report(position: int, insert: str) -> None:
    xml = (SKELETON[:position] + insert + SKELETON[position:]).encode("utf-8")
    with contextlib.suppress(UnusableInput):
        validate_xades_document(xml, data_files={"a.txt": b"x"}, store=_STORE)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2000), st.binary(min_size=1, max_size=8))
def test_corrupted_container_bytes_give_unusable_input_or_a_report(position: int, junk: bytes) -> None:
    good = _container(SKELETON.encode(), b"x")
    position %= len(good)
    with contextlib.suppress(UnusableInput):
        validate_file(good[:position] + junk + good[position + len(junk) :], filename="x.asice", store=_STORE)
