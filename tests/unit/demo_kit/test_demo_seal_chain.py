"""The demo e-seal chain (``rightsdesk seal setup-demo``) is a legal person's seal that never
claims to be qualified, although it is built from the same pieces as the test PKI's qualified one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from rightsdesk.demo_kit.pki.certs import QC_STATEMENTS_OID, make_ca, make_eseal
from rightsdesk.demo_kit.seal import issue_demo_chain
from signature.qualification import signer_from_certificate

NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def _qc_statements(cert: x509.Certificate) -> dict[str, object]:
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from pyhanko.sign.ades import qualified_asn1

    asn1 = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    return {s["statement_id"].native: s["statement_info"].native for s in qualified_asn1.get_qc_statements(asn1)}


def _demo_chain() -> tuple[x509.Certificate, x509.Certificate]:
    token_key = ec.generate_private_key(ec.SECP384R1()).public_key()
    return issue_demo_chain(token_key, organisation="Demo Veikals SIA", registration="40000000000", now=NOW)


def test_demo_seal_is_a_legal_persons_eseal_without_qc_compliance_or_qscd() -> None:
    seal, _ca = _demo_chain()

    statements = _qc_statements(seal)
    assert "qc_compliance" not in statements and "qc_sscd" not in statements
    assert statements["qc_type"] == ["qct_eseal"]
    signer = signer_from_certificate(seal)
    assert not signer.is_natural_person and signer.semantics_identifier == "NTRLV-40000000000"
    with_policies = [e for e in seal.extensions if e.oid == x509.oid.ExtensionOID.CERTIFICATE_POLICIES]
    assert with_policies == []  # no QCP-l-qscd either


def test_demo_seal_names_no_revocation_service_and_its_ca_signs_nothing_below_it() -> None:
    seal, ca = _demo_chain()

    assert all(e.oid != x509.oid.ExtensionOID.AUTHORITY_INFORMATION_ACCESS for e in seal.extensions)
    assert seal.issuer == ca.subject and "not trusted" in ca.subject.rfc4514_string()
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    seal.verify_directly_issued_by(ca)


def test_the_test_pkis_qualified_eseal_still_claims_qc_compliance_and_qscd() -> None:
    root = make_ca("Test Root", issuer=None, not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=9))
    eseal = make_eseal(issuer=root, organisation="Veikals SIA", registration="40003000001",
                       not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=9))

    statements = _qc_statements(eseal.cert)
    assert "qc_compliance" in statements and "qc_sscd" in statements
    assert eseal.cert.extensions.get_extension_for_oid(QC_STATEMENTS_OID) is not None
