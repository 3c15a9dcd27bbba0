"""Certificates of the generated demo and test PKI, built with ``cryptography``.

The profile follows the Latvian eID cards and eParaksts (ETSI EN 319 412-1/-2/-3/-5):
natural-person signing certificates carry the semantics identifier ``PNOLV-…`` in
the subject serialNumber, QcStatements QcCompliance + QcType esign + QcSSCD, the
certificate policy QCP-n-qscd and KeyUsage nonRepudiation *only*; the e-seal is a
legal person (``NTRLV-…``, QcType eseal, QCP-l-qscd). The demo e-seal of
:mod:`rightsdesk.demo_kit.seal` is built from the same pieces, less the qualified ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto import core
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID, ObjectIdentifier

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey

QC_STATEMENTS_OID = ObjectIdentifier("1.3.6.1.5.5.7.1.3")
OCSP_NOCHECK_OID = ObjectIdentifier("1.3.6.1.5.5.7.48.1.5")
ORGANIZATION_IDENTIFIER_OID = ObjectIdentifier("2.5.4.97")
"""organizationIdentifier (EN 319 412-1 clause 5.1.4): ``NTRLV-`` and the register number."""
_QC_COMPLIANCE = "0.4.0.1862.1.1"
_QC_SSCD = "0.4.0.1862.1.4"
_QC_TYPE = "0.4.0.1862.1.6"
_QCT_ESIGN = "0.4.0.1862.1.6.1"
_QCT_ESEAL = "0.4.0.1862.1.6.2"
_PKIX_QCSYNTAX_V2 = "1.3.6.1.5.5.7.11.2"
_SEMANTICS_NATURAL = "0.4.0.194121.1.1"
_SEMANTICS_LEGAL = "0.4.0.194121.1.2"
QCP_N_QSCD = ObjectIdentifier("0.4.0.194112.1.2")
QCP_L_QSCD = ObjectIdentifier("0.4.0.194112.1.3")

OCSP_URL = "http://ocsp.pki.test.invalid/lv-eid"
"""Never fetched: tests and the demo are offline; revocation data is embedded or handed over."""


class _AnySequence(core.SequenceOf):  # type: ignore[misc]
    _child_spec = core.Any


def _der_sequence(*items: bytes) -> bytes:
    return bytes(_AnySequence([core.Any.load(item) for item in items]).dump())


def _oid(dotted: str) -> bytes:
    return bytes(core.ObjectIdentifier(dotted).dump())


def qc_statements_der(*, qc_type: str, natural_person: bool, qualified: bool = True) -> bytes:
    """QCStatements (EN 319 412-5 clause 4.2): compliance, SSCD, type, semantics id.

    ``qualified=False`` leaves out QcCompliance and QcSSCD, so the certificate claims to be
    neither qualified nor on a QSCD (the demo seal: EN 319 412-5 clauses 4.2.1, 4.2.2).
    """
    qct = _QCT_ESIGN if qc_type == "esign" else _QCT_ESEAL
    semantics = _SEMANTICS_NATURAL if natural_person else _SEMANTICS_LEGAL
    claims = [_der_sequence(_oid(_QC_COMPLIANCE)), _der_sequence(_oid(_QC_SSCD))] if qualified else []
    return _der_sequence(
        *claims,
        _der_sequence(_oid(_QC_TYPE), _der_sequence(_oid(qct))),
        _der_sequence(_oid(_PKIX_QCSYNTAX_V2), _der_sequence(_oid(semantics))),
    )


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key."""

    cert: x509.Certificate
    key: PrivateKey

    @property
    def name(self) -> str:
        return self.cert.subject.rfc4514_string()


def new_ec_key(curve: ec.EllipticCurve | None = None) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(curve or ec.SECP256R1())


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _hash_for(key: PrivateKey) -> hashes.SHA256 | hashes.SHA384:
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def certificate_builder(
    subject: x509.Name,
    *,
    issuer: Issued | None,
    public_key: PublicKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    """A certificate for ``public_key`` with its key identifiers; self-issued when ``issuer`` is None."""
    issuer_name = issuer.cert.subject if issuer else subject
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    return builder


def _builder(
    subject: x509.Name,
    issuer: Issued | None,
    key: PrivateKey,
    not_before: datetime,
    not_after: datetime,
) -> x509.CertificateBuilder:
    return certificate_builder(subject, issuer=issuer, public_key=key.public_key(), not_before=not_before,
                               not_after=not_after)


def sign_by(builder: x509.CertificateBuilder, issuer: Issued) -> x509.Certificate:
    """``builder`` signed with the issuer's key (SHA-384 for P-384 and larger, else SHA-256)."""
    return builder.sign(issuer.key, _hash_for(issuer.key))


def _sign(builder: x509.CertificateBuilder, issuer: Issued | None, key: PrivateKey) -> Issued:
    signing_key = issuer.key if issuer else key
    return Issued(builder.sign(signing_key, _hash_for(signing_key)), key)


def _name(common_name: str, country: str = "LV", organisation: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, country)]
    if organisation:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def make_ca(
    common_name: str,
    *,
    issuer: Issued | None,
    not_before: datetime,
    not_after: datetime,
    organisation: str = "Test VAS Latvijas Valsts radio un televizijas centrs",
    curve: ec.EllipticCurve | None = None,
    path_length: int | None = None,
) -> Issued:
    """A CA (RFC 5280 clause 4.2.1.9; keyCertSign and cRLSign only); self-signed when ``issuer`` is None."""
    key = new_ec_key(curve)
    builder = (
        _builder(_name(common_name, organisation=organisation), issuer, key, not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
    )
    return _sign(builder, issuer, key)


def make_self_signed_operator(common_name: str, *, not_before: datetime, not_after: datetime) -> Issued:
    """A trusted-list signer (TS 119 612 clause 5.7.1): self-signed, digitalSignature."""
    key = new_ec_key()
    builder = _builder(_name(common_name, organisation="Test Scheme Operator"), None, key, not_before,
                       not_after).add_extension(key_usage(digital_signature=True), critical=True)
    return _sign(builder, None, key)


def key_usage(*, digital_signature: bool = False, non_repudiation: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature, content_commitment=non_repudiation, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )


def _leaf_common(builder: x509.CertificateBuilder) -> x509.CertificateBuilder:
    return builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True).add_extension(
        x509.AuthorityInformationAccess(
            [x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(OCSP_URL))]
        ),
        critical=False,
    )


def make_natural_person(
    *,
    issuer: Issued,
    given_name: str,
    surname: str,
    personal_code: str,
    not_before: datetime,
    not_after: datetime,
    email: str | None = None,
) -> Issued:
    """A Latvian eID-card-like QES certificate: nonRepudiation only, ``PNOLV-`` serialNumber."""
    key = new_ec_key(ec.SECP384R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "LV"),
            x509.NameAttribute(NameOID.SURNAME, surname),
            x509.NameAttribute(NameOID.GIVEN_NAME, given_name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"PNOLV-{personal_code}"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{given_name} {surname}"),
        ]
    )
    builder = _leaf_common(_builder(subject, issuer, key, not_before, not_after))
    builder = builder.add_extension(key_usage(non_repudiation=True), critical=True)
    builder = builder.add_extension(
        x509.CertificatePolicies([x509.PolicyInformation(QCP_N_QSCD, None)]), critical=False
    )
    builder = builder.add_extension(
        x509.UnrecognizedExtension(QC_STATEMENTS_OID, qc_statements_der(qc_type="esign", natural_person=True)),
        critical=False,
    )
    if email:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
    return _sign(builder, issuer, key)


def legal_person_name(organisation: str, registration: str, common_name: str | None = None) -> x509.Name:
    """The subject of a Latvian legal person's e-seal (EN 319 412-3 clause 4.2.1): C, O, ``NTRLV-`` id, CN."""
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "LV"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(ORGANIZATION_IDENTIFIER_OID, f"NTRLV-{registration}"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name or organisation),
        ]
    )


def make_eseal(
    *, issuer: Issued, organisation: str, registration: str, not_before: datetime, not_after: datetime
) -> Issued:
    """A qualified e-seal of a legal person (``NTRLV-``, QcType eseal, QCP-l-qscd)."""
    key = new_ec_key(ec.SECP384R1())
    subject = legal_person_name(organisation, registration)
    builder = _leaf_common(_builder(subject, issuer, key, not_before, not_after))
    builder = builder.add_extension(key_usage(digital_signature=True, non_repudiation=True), critical=True)
    builder = builder.add_extension(
        x509.CertificatePolicies([x509.PolicyInformation(QCP_L_QSCD, None)]), critical=False
    )
    builder = builder.add_extension(
        x509.UnrecognizedExtension(QC_STATEMENTS_OID, qc_statements_der(qc_type="eseal", natural_person=False)),
        critical=False,
    )
    return _sign(builder, issuer, key)


def make_tsa(*, issuer: Issued, not_before: datetime, not_after: datetime) -> Issued:
    """A time-stamping unit (RFC 3161 clause 2.3: critical EKU timeStamping only); RSA for pyHanko's TSA."""
    key = new_rsa_key()
    builder = _builder(_name("Test eParaksts TSA"), issuer, key, not_before, not_after)
    builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    builder = builder.add_extension(key_usage(digital_signature=True, non_repudiation=True), critical=True)
    builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return _sign(builder, issuer, key)


def make_ocsp_responder(*, issuer: Issued, not_before: datetime, not_after: datetime) -> Issued:
    """A delegated OCSP responder (RFC 6960 clause 4.2.2.2, id-pkix-ocsp-nocheck)."""
    key = new_ec_key()
    builder = _builder(_name("Test LV eID OCSP Responder"), issuer, key, not_before, not_after)
    builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    builder = builder.add_extension(key_usage(digital_signature=True), critical=True)
    builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
    builder = builder.add_extension(x509.UnrecognizedExtension(OCSP_NOCHECK_OID, b"\x05\x00"), critical=False)
    return _sign(builder, issuer, key)


def years(n: float) -> timedelta:
    return timedelta(days=365 * n)
