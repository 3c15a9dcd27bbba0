"""XML parsing refuses DTDs and entities; XAdES structure rules hold (EN 319 132-1)."""

from __future__ import annotations

import pytest

from signature.errors import UnusableInput
from signature.report import Indication, SubIndication
from signature.safexml import parse_untrusted_xml
from signature.trust import TrustStore
from signature.xades import validate_xades_document
from signature.xades_props import _decode_hex_values

DS = "http://www.w3.org/2000/09/xmldsig#"


def test_billion_laughs_is_refused() -> None:
    bomb = b'<!DOCTYPE l [<!ENTITY a "aa"><!ENTITY b "&a;&a;&a;">]><l>&b;</l>'
    with pytest.raises(UnusableInput):
        parse_untrusted_xml(bomb, what="test")


def test_external_entity_is_refused() -> None:
    xxe = b'<!DOCTYPE l [<!ENTITY e SYSTEM "file:///etc/passwd">]><l>&e;</l>'
    with pytest.raises(UnusableInput):
        parse_untrusted_xml(xxe, what="test")


def test_plain_doctype_is_refused() -> None:
    with pytest.raises(UnusableInput):
        parse_untrusted_xml(b"<!DOCTYPE l><l/>", what="test")


def test_malformed_xml_is_unusable() -> None:
    with pytest.raises(UnusableInput):
        parse_untrusted_xml(b"<l>", what="test")


def test_document_without_signature_is_unusable() -> None:
    with pytest.raises(UnusableInput):
        validate_xades_document(b"<root/>", data_files={}, store=TrustStore())


def test_signature_without_signed_properties_is_a_format_failure() -> None:
    xml = (
        f'<ds:Signature xmlns:ds="{DS}" Id="S"><ds:SignedInfo>'
        f'<ds:Reference URI="a.txt"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
        f"<ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo>"
        f"<ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>"
    ).encode()
    [report] = validate_xades_document(xml, data_files={"a.txt": b"x"}, store=TrustStore())
    assert (report.indication, report.subindication) == (Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE)


def test_hex_encoded_organization_identifier_in_issuer_name_is_decoded() -> None:
    dn = "CN=LV eID ICA 2021,2.5.4.97=#0c114e54524c562d3430303033303131323033,C=LV"
    assert _decode_hex_values(dn) == "CN=LV eID ICA 2021,2.5.4.97=NTRLV-40003011203,C=LV"
