"""The whole generated demo/test PKI and its in-process services (OCSP, time-stamping).

Layout (mirrors the Latvian eParaksts hierarchy and the EU trusted-list chain)::

    Test LOTL Signer (self-signed)        signs the test LOTL
    Test LV Scheme Operator (self-signed) signs the national TL (pointed to by the LOTL)
    Test eParaksts Root CA
      ├─ Test LV eID ICA       CA/QC granted, ForeSignatures (on the TL)
      │    ├─ natural persons (QES, PNOLV-…), an expired one, a revoked one
      │    ├─ an e-seal (NTRLV-…)
      │    └─ Test LV eID OCSP Responder
      └─ Test eParaksts TSA    TSA/QTST granted (on the TL)
    Test Untrusted CA (self-signed, not qualified) └─ a person claiming QC statements
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import keys as asn1_keys
from asn1crypto import ocsp as asn1_ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from .certs import (
    Issued,
    make_ca,
    make_eseal,
    make_natural_person,
    make_ocsp_responder,
    make_self_signed_operator,
    make_tsa,
    years,
)


def to_asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def to_asn1_key(issued: Issued) -> asn1_keys.PrivateKeyInfo:
    der = issued.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return asn1_keys.PrivateKeyInfo.load(der)


@dataclass(frozen=True)
class TestPki:
    """Every key and certificate of the test PKI, all made relative to ``now``."""

    __test__ = False  # not a pytest test class

    now: datetime
    lotl_signer: Issued
    tl_signer: Issued
    root: Issued
    qualified_ca: Issued
    untrusted_ca: Issued
    tsa: Issued
    ocsp_responder: Issued
    person: Issued
    """A verified customer: Jānis Bērziņš, PNOLV-010190-10007, QES."""
    other_person: Issued
    """Another natural person with a valid QES (someone whose From is borrowed)."""
    expired_person: Issued
    revoked_person: Issued
    revoked_at: datetime
    eseal: Issued
    untrusted_person: Issued

    @property
    def territory(self) -> str:
        return "LV"

    def chain_of(self, leaf: Issued) -> list[x509.Certificate]:
        """The leaf and the issuers up to (excluding) the self-signed root."""
        if leaf is self.untrusted_person:
            return [leaf.cert, self.untrusted_ca.cert]
        if leaf is self.tsa:
            return [leaf.cert, self.root.cert]
        return [leaf.cert, self.qualified_ca.cert, self.root.cert]

    def is_revoked(self, cert: x509.Certificate) -> bool:
        return cert == self.revoked_person.cert

    def ocsp_response(self, leaf: Issued, *, at: datetime | None = None) -> bytes:
        """A DER OCSPResponse for ``leaf`` from the delegated responder (thisUpdate ``at``).

        ``cryptography`` stamps producedAt with the wall clock, so ``at`` only moves thisUpdate.
        """
        produced = at or self.now
        issuer = self.untrusted_ca if leaf is self.untrusted_person else self.qualified_ca
        # The untrusted CA answers for its own certificates (RFC 6960 clause 4.2.2.2, CA-signed).
        responder = self.untrusted_ca if leaf is self.untrusted_person else self.ocsp_responder
        if self.is_revoked(leaf.cert):
            status = ocsp.OCSPCertStatus.REVOKED
            revocation_time: datetime | None = self.revoked_at
            reason: x509.ReasonFlags | None = x509.ReasonFlags.key_compromise
        else:
            status, revocation_time, reason = ocsp.OCSPCertStatus.GOOD, None, None
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response(
                cert=leaf.cert, issuer=issuer.cert, cert_status=status,
                # SHA-1 only names the certificate in the CertID (RFC 5019 clause 2.1.1); it signs nothing.
                algorithm=hashes.SHA1(),  # noqa: S303
                this_update=produced, next_update=produced + timedelta(days=1),
                revocation_time=revocation_time, revocation_reason=reason,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, responder.cert)
            .certificates([responder.cert])
        )
        response = builder.sign(responder.key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)

    def asn1_ocsp_response(self, leaf: Issued, *, at: datetime | None = None) -> asn1_ocsp.OCSPResponse:
        return asn1_ocsp.OCSPResponse.load(self.ocsp_response(leaf, at=at))

    def timestamper(self, *, at: datetime | None = None) -> object:
        """pyHanko's in-process TSA signing with the qualified TSA certificate."""
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper  # heavy: import lazily

        return DummyTimeStamper(
            tsa_cert=to_asn1_cert(self.tsa.cert),
            tsa_key=to_asn1_key(self.tsa),
            certs_to_embed=None,
            fixed_dt=at,
        )


def build_pki(now: datetime | None = None) -> TestPki:
    """Generate a fresh PKI (about a second: RSA for the TSA, EC for everything else)."""
    now = (now or datetime.now(UTC)).replace(microsecond=0)
    lotl_signer = make_self_signed_operator("Test LOTL Signer", not_before=now - years(2), not_after=now + years(5))
    tl_signer = make_self_signed_operator(
        "Test LV Scheme Operator", not_before=now - years(2), not_after=now + years(5)
    )
    root = make_ca("Test eParaksts Root CA", issuer=None, not_before=now - years(10), not_after=now + years(15))
    qualified_ca = make_ca("Test LV eID ICA", issuer=root, not_before=now - years(5), not_after=now + years(8))
    untrusted_ca = make_ca(
        "Test Untrusted CA", issuer=None, not_before=now - years(5), not_after=now + years(8),
        organisation="Test Not A Qualified TSP",
    )
    tsa = make_tsa(issuer=root, not_before=now - years(4), not_after=now + years(6))
    ocsp_responder = make_ocsp_responder(issuer=qualified_ca, not_before=now - years(1), not_after=now + years(1))
    person = make_natural_person(
        issuer=qualified_ca, given_name="Jānis", surname="Bērziņš", personal_code="010190-10007",
        not_before=now - years(1), not_after=now + years(4), email="janis.berzins@example.lv",
    )
    other_person = make_natural_person(
        issuer=qualified_ca, given_name="Anna", surname="Kalniņa", personal_code="320000-10002",
        not_before=now - years(1), not_after=now + years(4), email="anna.kalnina@example.lv",
    )
    expired_person = make_natural_person(
        issuer=qualified_ca, given_name="Pēteris", surname="Ozols", personal_code="150370-10003",
        not_before=now - years(4), not_after=now - years(1),
    )
    revoked_person = make_natural_person(
        issuer=qualified_ca, given_name="Ilze", surname="Liepa", personal_code="220585-10004",
        not_before=now - years(1), not_after=now + years(4),
    )
    eseal = make_eseal(
        issuer=qualified_ca, organisation="Test Veikals SIA", registration="40003000001",
        not_before=now - years(1), not_after=now + years(2),
    )
    untrusted_person = make_natural_person(
        issuer=untrusted_ca, given_name="Maris", surname="Viltnieks", personal_code="010101-10005",
        not_before=now - years(1), not_after=now + years(2),
    )
    return TestPki(
        now=now, lotl_signer=lotl_signer, tl_signer=tl_signer, root=root, qualified_ca=qualified_ca,
        untrusted_ca=untrusted_ca, tsa=tsa, ocsp_responder=ocsp_responder, person=person,
        other_person=other_person, expired_person=expired_person, revoked_person=revoked_person,
        revoked_at=now - timedelta(days=30), eseal=eseal, untrusted_person=untrusted_person,
    )
