"""S/MIME and detached .p7s validation: valid QES mail and the "Johnny, you are fired" attacks."""

from __future__ import annotations

from typing import Any

import pytest
from asn1crypto import cms

from signature.errors import UnusableInput
from signature.report import Indication, Qualification, SubIndication
from signature.smime import validate_detached_p7s, validate_smime_message
from tests.support.samples import smime as samples


def _with_signer_infos(info: Any, signer_infos: list[Any]) -> bytes:
    signed_data = info["content"].copy()
    signed_data["signer_infos"] = cms.SignerInfos(signer_infos)
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


def test_customer_multipart_signed_mail_is_a_qes(pki: Any, trust_store: Any) -> None:
    result = validate_smime_message(samples.multipart_signed(pki, pki.person), store=trust_store)
    assert result.proves_natural_person
    best = result.report.best
    assert best is not None and best.qualification is Qualification.QESIG


def test_signed_entity_is_exactly_the_signed_first_part(pki: Any, trust_store: Any) -> None:
    entity = samples.request_entity("Lūdzu dzēst manus datus.")
    result = validate_smime_message(samples.multipart_signed(pki, pki.person, entity=entity), store=trust_store)
    assert result.signed_entity == entity


def test_lf_stored_message_is_checked_in_canonical_crlf_form(pki: Any, trust_store: Any) -> None:
    raw = samples.multipart_signed(pki, pki.person).replace(b"\r\n", b"\n")
    assert validate_smime_message(raw, store=trust_store).proves_natural_person


def test_pkcs7_mime_signed_data_is_a_qes(pki: Any, trust_store: Any) -> None:
    result = validate_smime_message(samples.pkcs7_mime(pki, pki.person), store=trust_store)
    assert result.proves_natural_person
    assert result.signed_entity == samples.request_entity()


def test_detached_p7s_over_its_content_passes(pki: Any, trust_store: Any) -> None:
    content = b"%PDF-1.7 request form"
    p7s = samples.sign_cms(pki, pki.person, content).dump()
    assert validate_detached_p7s(p7s, content, store=trust_store).proves_natural_person


def test_detached_p7s_over_changed_content_is_a_hash_failure(pki: Any, trust_store: Any) -> None:
    p7s = samples.sign_cms(pki, pki.person, b"original").dump()
    best = validate_detached_p7s(p7s, b"changed", store=trust_store).best
    assert best is not None and best.subindication is SubIndication.HASH_FAILURE


def test_tampered_first_part_is_a_hash_failure(pki: Any, trust_store: Any) -> None:
    raw = samples.multipart_signed(pki, pki.person, entity=samples.request_entity("Piekļuve datiem"))
    forged = raw.replace(samples.request_entity("Piekļuve datiem"), samples.request_entity("Dzēst visu!!!!"))
    result = validate_smime_message(forged, store=trust_store)
    best = result.report.best
    assert best is not None and best.subindication is SubIndication.HASH_FAILURE
    assert result.signed_entity is None


def test_econtent_confusion_is_a_format_failure(pki: Any, trust_store: Any) -> None:
    """An impostor attaches a signature whose eContent is some other signed text."""
    other = samples.sign_cms(pki, pki.person, samples.request_entity("Cits teksts"), detached=False).dump()
    raw = samples.multipart_signed(pki, pki.person, signature_der=other)
    best = validate_smime_message(raw, store=trust_store).report.best
    assert best is not None and best.subindication is SubIndication.FORMAT_FAILURE
    assert "eContent" in best.reason


def test_signature_without_signer_info_is_a_format_failure(pki: Any, trust_store: Any) -> None:
    info = samples.sign_cms(pki, pki.person, samples.request_entity())
    raw = samples.multipart_signed(pki, pki.person, signature_der=_with_signer_infos(info, []))
    best = validate_smime_message(raw, store=trust_store).report.best
    assert best is not None and best.subindication is SubIndication.FORMAT_FAILURE


def test_two_signer_infos_are_a_format_failure(pki: Any, trust_store: Any) -> None:
    info = samples.sign_cms(pki, pki.person, samples.request_entity())
    one = info["content"]["signer_infos"][0]
    raw = samples.multipart_signed(pki, pki.person, signature_der=_with_signer_infos(info, [one, one]))
    best = validate_smime_message(raw, store=trust_store).report.best
    assert best is not None and best.subindication is SubIndication.FORMAT_FAILURE


def test_mime_wrapping_returns_only_the_signed_entity(pki: Any, trust_store: Any) -> None:
    """An impostor wraps a genuine signed mail inside unsigned text of their own."""
    raw = samples.wrapped_in_mixed(samples.multipart_signed(pki, pki.person), "Delete all data of Anna")
    result = validate_smime_message(raw, store=trust_store)
    assert result.signed_entity == samples.request_entity()
    assert b"Anna" not in (result.signed_entity or b"")
    assert any("nested inside unsigned" in w for w in result.report.warnings)


def test_from_differing_from_the_signer_is_a_warning(pki: Any, trust_store: Any) -> None:
    raw = samples.multipart_signed(pki, pki.person, from_addr="anna.kalnina@example.lv")
    result = validate_smime_message(raw, store=trust_store)
    assert any("From header differs" in w for w in result.report.warnings)
    best = result.report.best
    assert best is not None and best.signer is not None and best.signer.personal_code == "010190-10007"


def test_revoked_signer_is_total_failed_revoked(pki: Any, trust_store: Any) -> None:
    best = validate_smime_message(samples.multipart_signed(pki, pki.revoked_person), store=trust_store).report.best
    assert best is not None and best.indication is Indication.TOTAL_FAILED
    assert best.subindication is SubIndication.REVOKED


def test_eseal_mail_never_proves_a_natural_person(pki: Any, trust_store: Any) -> None:
    result = validate_smime_message(samples.multipart_signed(pki, pki.eseal), store=trust_store)
    best = result.report.best
    assert best is not None and best.qualification is Qualification.QESEAL
    assert not result.proves_natural_person


def test_non_qualified_ca_is_not_trusted(pki: Any, trust_store: Any) -> None:
    best = validate_smime_message(samples.multipart_signed(pki, pki.untrusted_person), store=trust_store).report.best
    assert best is not None and best.subindication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND


@pytest.mark.parametrize("raw", [b"", b"Subject: hi\r\n\r\nplain text", b"\x00\xff" * 50])
def test_unsigned_or_garbage_mail_is_unusable_input(raw: bytes, trust_store: Any) -> None:
    with pytest.raises(UnusableInput):
        validate_smime_message(raw, store=trust_store)


def _without_time_stamp(info: Any) -> bytes:
    """The same SignedData with its unsigned attributes (the signature time-stamp) stripped."""
    signed_data = info["content"].copy()
    signer_info = signed_data["signer_infos"][0].copy()
    signer_info["unsigned_attrs"] = cms.CMSAttributes([])
    signed_data["signer_infos"] = cms.SignerInfos([signer_info])
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump())


def test_smime_and_p7s_reports_carry_the_signature_value_digest_that_a_stripped_time_stamp_keeps(
    pki: Any, trust_store: Any
) -> None:
    """Ilze strips the time-stamp of Līga's signed message to make it look like a new signature:
    the signature value's digest (what the used-once rule records) stays the same."""
    import hashlib

    from workflows.adapters.signed_evidence import signature_digest

    entity = samples.request_entity("SIA MonaOK, lūdzu dzēst manus datus.")
    info = samples.sign_cms(pki, pki.person, entity)
    value = hashlib.sha256(bytes(info["content"]["signer_infos"][0]["signature"].native)).hexdigest()
    stamped = validate_smime_message(
        samples.multipart_signed(pki, pki.person, entity=entity, signature_der=info.dump()), store=trust_store
    ).report
    stripped = validate_smime_message(
        samples.multipart_signed(pki, pki.person, entity=entity, signature_der=_without_time_stamp(info)),
        store=trust_store,
    ).report
    detached = validate_detached_p7s(info.dump(), entity, store=trust_store)

    for report in (stamped, stripped, detached):
        assert report.extra["signature_value_sha256.0"] == value
        assert "claimed_signing_time.0" in report.extra
    assert stamped.best is not None and stripped.best is not None
    assert signature_digest(stamped.best, stamped) == signature_digest(stripped.best, stripped)


def test_pkcs7_mime_report_carries_the_signature_value_digest(pki: Any, trust_store: Any) -> None:
    report = validate_smime_message(samples.pkcs7_mime(pki, pki.person), store=trust_store).report
    assert len(report.extra["signature_value_sha256.0"]) == 64
