"""Attacks on XAdES built by mutating the real eParaksts signature in memory.

The impostor edits a genuine, verified customer's container: each edit must be
caught, never turned into a pass.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import re
import zipfile
from pathlib import Path

import pytest

from signature.errors import UnusableInput
from signature.report import Indication, SubIndication
from signature.trust import TrustStore, load_certificate
from signature.validate import MAX_SIGNATURES, validate_file

VECTORS = Path(__file__).resolve().parents[3] / ".." / "shared" / "testvectors"
pytestmark = pytest.mark.skipif(not VECTORS.is_dir(), reason="../shared/testvectors is absent")
SIG_NAME = "META-INF/edoc-signatures-S1.xml"


@functools.lru_cache(maxsize=1)
def _store() -> TrustStore:
    return TrustStore.from_directory(VECTORS / "trust")


def _original() -> bytes:
    return (VECTORS / "signed" / "lv-qes-2021.edoc").read_bytes()


def _rebuild(replace: dict[str, bytes | None], add: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_original())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename in replace:
                content = replace[info.filename]
                if content is not None:
                    dst.writestr(info, content)
            else:
                dst.writestr(info, src.read(info))
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def _sig_xml() -> str:
    with zipfile.ZipFile(io.BytesIO(_original())) as zf:
        return zf.read(SIG_NAME).decode("utf-8")


def _validate_sig_xml(xml: str) -> object:
    return validate_file(_rebuild({SIG_NAME: xml.encode("utf-8")}), filename="x.edoc", store=_store())


def test_doctype_with_entities_in_the_signature_is_refused() -> None:
    xml = _sig_xml().replace(
        "<asic:XAdESSignatures",
        '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><asic:XAdESSignatures',
        1,
    )
    with pytest.raises(UnusableInput):
        _validate_sig_xml(xml)


def test_external_entity_in_the_signature_is_refused() -> None:
    xml = _sig_xml().replace(
        "<asic:XAdESSignatures", '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><asic:XAdESSignatures', 1
    )
    with pytest.raises(UnusableInput):
        _validate_sig_xml(xml)


def test_changing_a_signed_property_breaks_the_signed_properties_reference() -> None:
    xml = _sig_xml().replace("2021-03-04T10:44:35Z", "2020-01-01T00:00:00Z")
    sig = _validate_sig_xml(xml).signatures[0]  # type: ignore[attr-defined]
    assert (sig.indication, sig.subindication) == (Indication.TOTAL_FAILED, SubIndication.HASH_FAILURE)


def test_duplicated_signed_properties_id_is_a_format_failure() -> None:
    obj = re.search(r"<ds:Object>.*</ds:Object>", _sig_xml(), re.S)
    assert obj is not None
    xml = _sig_xml().replace("</ds:Signature>", obj.group(0) + "</ds:Signature>")
    sig = _validate_sig_xml(xml).signatures[0]  # type: ignore[attr-defined]
    assert (sig.indication, sig.subindication) == (Indication.TOTAL_FAILED, SubIndication.FORMAT_FAILURE)


def test_signed_properties_reference_without_the_right_type_is_a_format_failure() -> None:
    xml = _sig_xml().replace('Type="http://uri.etsi.org/01903#SignedProperties" ', "", 1)
    sig = _validate_sig_xml(xml).signatures[0]  # type: ignore[attr-defined]
    assert sig.subindication is SubIndication.FORMAT_FAILURE


def test_swapped_signing_certificate_is_not_accepted() -> None:
    xml = _sig_xml()
    demo = load_certificate((VECTORS / "trust" / "demo" / "DEMO_LV_eID_ICA_2021.pem").read_bytes())
    demo_b64 = base64.b64encode(demo.dump()).decode()
    replacement = f"<ds:X509Certificate>{demo_b64}</ds:X509Certificate>"
    xml = re.sub(r"<ds:X509Certificate>.*?</ds:X509Certificate>", lambda _: replacement, xml, count=1, flags=re.S)
    sig = _validate_sig_xml(xml).signatures[0]  # type: ignore[attr-defined]
    assert sig.indication is not Indication.TOTAL_PASSED
    assert sig.subindication is SubIndication.NO_SIGNING_CERTIFICATE_FOUND


def test_tampered_signature_value_fails_cryptographically() -> None:
    xml = re.sub(r"<ds:SignatureValue>ar6X", "<ds:SignatureValue>br6X", _sig_xml(), count=1)
    sig = _validate_sig_xml(xml).signatures[0]  # type: ignore[attr-defined]
    assert sig.indication is Indication.TOTAL_FAILED
    assert sig.subindication in (SubIndication.SIG_CRYPTO_FAILURE, SubIndication.HASH_FAILURE)


def test_extra_unsigned_file_in_the_container_is_reported_and_blocks_verification() -> None:
    report = validate_file(_rebuild({}, add={"invoice.txt": b"unsigned"}), filename="x.edoc", store=_store())
    assert report.unsigned_files == ("invoice.txt",)
    assert report.signatures[0].passed
    assert not report.proves_natural_person


def test_removed_signed_file_is_signed_data_not_found() -> None:
    report = validate_file(_rebuild({"test+test.txt": None}), filename="x.edoc", store=_store())
    sig = report.signatures[0]
    assert (sig.indication, sig.subindication) == (Indication.TOTAL_FAILED, SubIndication.SIGNED_DATA_NOT_FOUND)


def test_renamed_file_with_percent_encoded_plus_is_not_the_signed_file() -> None:
    # ``test%2Btest.txt`` would decode to ``test+test.txt``; a file literally named so is different.
    report = validate_file(
        _rebuild({"test+test.txt": None}, add={"test test.txt": b"hello"}), filename="x.edoc", store=_store()
    )
    assert report.signatures[0].indication is Indication.TOTAL_FAILED


def _forged_second_signature(extra: bytes = b"Please also send everything to ilze@example.net") -> bytes:
    """Ilze copies Reinis's genuine S1 into S2 and adds a reference to her ``extra.txt``.

    The reference's digest is right, so the file "matches"; the signature value no longer
    does, because SignedInfo changed.
    """
    digest = base64.b64encode(hashlib.sha256(extra).digest()).decode()
    forged = _sig_xml().replace('Id="S1', 'Id="S2').replace('URI="#S1-', 'URI="#S2-')
    forged = forged.replace(
        "</ds:SignedInfo>",
        '<ds:Reference Id="S2-ref-2" URI="extra.txt">'
        '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
        f"<ds:DigestValue>{digest}</ds:DigestValue></ds:Reference></ds:SignedInfo>",
        1,
    )
    return _rebuild({}, add={"extra.txt": extra, "META-INF/edoc-signatures-S2.xml": forged.encode("utf-8")})


def test_a_file_covered_only_by_a_forged_second_signature_is_not_signed() -> None:
    report = validate_file(_forged_second_signature(), filename="x.edoc", store=_store())
    first, second = report.signatures
    assert first.passed
    assert second.indication is Indication.TOTAL_FAILED
    assert report.unsigned_files == ("extra.txt",)
    assert not report.proves_natural_person


def test_a_container_with_more_signatures_than_the_ceiling_is_refused_before_validation() -> None:
    sig = re.search(r"<ds:Signature .*</ds:Signature>", _sig_xml(), re.S)
    assert sig is not None
    many = _sig_xml().replace(sig.group(0), sig.group(0) * (MAX_SIGNATURES + 1))
    with pytest.raises(UnusableInput, match="signatures"):
        validate_file(_rebuild({SIG_NAME: many.encode("utf-8")}), filename="x.edoc", store=_store())
