"""PAdES validation of generated samples: valid QES, e-seal, and each PDF attack shape."""

from __future__ import annotations

from typing import Any

import pytest

from signature.pades import validate_pdf
from signature.report import Indication, Qualification, SubIndication
from tests.support.samples import pdf as samples


@pytest.fixture(scope="module")
def customer_signed_pdf(pki: Any) -> bytes:
    """A verified customer (Jānis Bērziņš) signs a request PDF with his eID card (PAdES-B-LT)."""
    return samples.sign_pdf(pki, pki.person)


def test_customer_pades_signature_is_a_qes_of_a_natural_person(customer_signed_pdf: bytes, trust_store: Any) -> None:
    report = validate_pdf(customer_signed_pdf, store=trust_store)
    best = report.best
    assert best is not None and best.indication is Indication.TOTAL_PASSED
    assert best.qualification is Qualification.QESIG
    assert best.signer is not None and best.signer.semantics_identifier == "PNOLV-010190-10007"
    assert report.proves_natural_person


def test_signature_time_comes_from_the_signature_time_stamp(customer_signed_pdf: bytes, trust_store: Any) -> None:
    best = validate_pdf(customer_signed_pdf, store=trust_store).best
    assert best is not None and best.signing_time_source == "signature time-stamp"


def test_pades_lta_document_passes(pki: Any, trust_store: Any) -> None:
    report = validate_pdf(samples.sign_pdf(pki, pki.person, lta=True), store=trust_store)
    assert report.proves_natural_person and not report.warnings


def test_eseal_never_proves_a_natural_person(pki: Any, trust_store: Any) -> None:
    report = validate_pdf(samples.sign_pdf(pki, pki.eseal), store=trust_store)
    best = report.best
    assert best is not None and best.qualification is Qualification.QESEAL
    assert not report.proves_natural_person


def test_impostor_with_non_qualified_ca_gets_no_chain(pki: Any, trust_store: Any) -> None:
    best = validate_pdf(samples.sign_pdf(pki, pki.untrusted_person), store=trust_store).best
    assert best is not None and best.indication is Indication.INDETERMINATE
    assert best.subindication is SubIndication.NO_CERTIFICATE_CHAIN_FOUND


def test_signature_made_with_an_expired_certificate_is_out_of_bounds(pki: Any, trust_store: Any) -> None:
    best = validate_pdf(samples.sign_pdf(pki, pki.expired_person, embed_revocation=False), store=trust_store).best
    assert best is not None and best.indication is Indication.INDETERMINATE
    assert best.subindication is SubIndication.OUT_OF_BOUNDS_NO_POE


def test_signature_without_revocation_data_offline_is_indeterminate(pki: Any, trust_store: Any) -> None:
    best = validate_pdf(samples.sign_pdf(pki, pki.person, embed_revocation=False), store=trust_store).best
    assert best is not None and best.indication is Indication.INDETERMINATE


def test_tampered_content_is_a_hash_failure(customer_signed_pdf: bytes, trust_store: Any) -> None:
    best = validate_pdf(samples.tampered(customer_signed_pdf), store=trust_store).best
    assert best is not None and best.indication is Indication.TOTAL_FAILED
    assert best.subindication is SubIndication.HASH_FAILURE


@pytest.mark.parametrize(
    "attack",
    [samples.incremental_content_change, samples.shadow_hide_and_replace, samples.shadow_overlay_annotation],
    ids=["incremental-saving", "shadow-hide-and-replace", "shadow-overlay"],
)
def test_changes_after_signing_are_rejected(attack: Any, customer_signed_pdf: bytes, trust_store: Any) -> None:
    report = validate_pdf(attack(customer_signed_pdf), store=trust_store)
    best = report.best
    assert best is not None and best.indication is Indication.TOTAL_FAILED
    assert best.subindication is SubIndication.FORMAT_FAILURE
    assert "changed after signing" in best.reason
    assert not report.proves_natural_person


def test_odd_byterange_is_rejected(customer_signed_pdf: bytes, trust_store: Any) -> None:
    report = validate_pdf(samples.odd_byterange(customer_signed_pdf), store=trust_store)
    best = report.best
    assert best is not None and best.indication is Indication.TOTAL_FAILED
    assert not report.proves_natural_person


def test_encrypted_pdf_is_refused(trust_store: Any) -> None:
    best = validate_pdf(samples.encrypted_pdf(), store=trust_store).best
    assert best is not None and best.subindication is SubIndication.FORMAT_FAILURE
    assert "encrypted" in best.reason


def test_second_signature_is_reported_too(pki: Any, customer_signed_pdf: bytes, trust_store: Any) -> None:
    both = samples.sign_pdf(pki, pki.other_person, customer_signed_pdf, field_name="Signature2")
    report = validate_pdf(both, store=trust_store)
    assert len(report.signatures) == 2
    assert report.signatures[1].passed
