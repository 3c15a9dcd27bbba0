"""Identity comes from the certificate's serialNumber / organizationIdentifier (EN 319 412-1 5.1.3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from signature.qualification import assess_qualification, signer_from_certificate
from signature.report import Qualification
from signature.trust import TrustStore


def _cert(*attrs: tuple[x509.ObjectIdentifier, str]) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(oid, value) for oid, value in attrs])
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )


def test_verified_customer_is_identified_by_pnolv_semantics_identifier() -> None:
    cert = _cert(
        (NameOID.COUNTRY_NAME, "LV"),
        (NameOID.COMMON_NAME, "Privātpersona"),
        (NameOID.GIVEN_NAME, "ANNA"),
        (NameOID.SURNAME, "BĒRZIŅA"),
        (NameOID.SERIAL_NUMBER, "PNOLV-010203-12345"),
    )
    signer = signer_from_certificate(cert)
    assert signer.semantics_identifier == "PNOLV-010203-12345"
    assert signer.personal_code == "010203-12345"
    assert signer.is_natural_person
    assert signer.name == "ANNA BĒRZIŅA"  # never the CN


def test_pre_2017_certificate_with_bare_personal_code_gives_the_code() -> None:
    cert = _cert((NameOID.COUNTRY_NAME, "LV"), (NameOID.SURNAME, "OZOLS"), (NameOID.SERIAL_NUMBER, "01020312345"))
    signer = signer_from_certificate(cert)
    assert signer.personal_code == "010203-12345"
    assert signer.semantics_identifier is None
    assert signer.is_natural_person


def test_common_name_never_becomes_the_identity() -> None:
    cert = _cert((NameOID.COUNTRY_NAME, "LV"), (NameOID.COMMON_NAME, "PNOLV-010203-12345"))
    signer = signer_from_certificate(cert)
    assert signer.personal_code is None
    assert signer.semantics_identifier is None


def test_company_seal_is_a_legal_person() -> None:
    cert = _cert(
        (NameOID.COUNTRY_NAME, "LV"),
        (NameOID.ORGANIZATION_NAME, "Veikals SIA"),
        (NameOID.ORGANIZATION_IDENTIFIER, "NTRLV-40000000000"),
        (NameOID.COMMON_NAME, "Veikals e-zīmogs"),
    )
    signer = signer_from_certificate(cert)
    assert not signer.is_natural_person
    assert signer.semantics_identifier == "NTRLV-40000000000"
    assert signer.personal_code is None


def test_certificate_without_trusted_list_is_not_qualified() -> None:
    cert = _cert((NameOID.COUNTRY_NAME, "LV"), (NameOID.SERIAL_NUMBER, "PNOLV-010203-12345"))
    assert assess_qualification(cert, [], datetime.now(UTC), TrustStore()) is Qualification.ADESIG
