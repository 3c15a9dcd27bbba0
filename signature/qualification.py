"""Who signed, and is the signature qualified? (ETSI TS 119 615, EN 319 412-1/-5).

Public API, shared by every format (XAdES here, PAdES and S/MIME elsewhere)::

    signer = signer_from_certificate(cert)            # Signer (identity from serialNumber)
    q = assess_qualification(cert, path_or_chain, at, store)          # Qualification
    d = assess_qualification_details(cert, path_or_chain, at, store)  # + reasons

``cert`` may be an asn1crypto or ``cryptography`` certificate or DER bytes;
``path_or_chain`` is a pyhanko-certvalidator ``ValidationPath`` or a sequence of
certificates (leaf first or not, the leaf is skipped); ``at`` is the best
signature time (time-stamp time when there is one).

Rules (TS 119 615 clause 4 / the CEF "DSS qualification" algorithm):
* the certificate must be qualified both at issuance (``notBefore``) and at
  ``at``, judged through a trusted-list CA/QC service that is *granted* at that
  moment (status history counts), whose ``ForeSignatures``/``ForeSeals``
  additional information covers the certificate type, with the TL's qualifiers
  applied over the certificate's own QC statements (pyHanko's
  ``QualificationAssessor`` implements exactly this per moment);
* QcCompliance + QcType esign + a QSCD (QcSSCD or TL ``QCWithSSCD``) of a
  natural person -> QESig; without QSCD -> AdESig-QC;
* e-seal certificates (QcType eseal, TL ``QCForESeal``/``QCForLegalPerson`` or a
  legal-person subject) -> QESeal / AdESeal-QC: they prove an organisation,
  never a person.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from asn1crypto import x509 as asn1_x509

from .report import Qualification, Signer
from .trust import TrustStore

# EN 319 412-1 clause 5.1.3: natural-person semantics identifiers.
_NATURAL_PREFIXES = ("PAS", "IDC", "PNO", "TIN")
_SEMANTICS_RE = re.compile(r"^(?P<kind>[A-Z]{3})(?P<country>[A-Z]{2})[-:](?P<ident>.+)$")
# Latvian personal code, as carried bare by pre-2017 certificates.
_LV_BARE_CODE_RE = re.compile(r"^\d{6}-?\d{5}$")
_OID_QC_TYPE = "0.4.0.1862.1.6"


def as_asn1_certificate(cert: Any) -> asn1_x509.Certificate:
    """Accept asn1crypto, ``cryptography`` or DER bytes; return asn1crypto."""
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    if isinstance(cert, bytes | bytearray):
        return asn1_x509.Certificate.load(bytes(cert))
    public_bytes = getattr(cert, "public_bytes", None)
    if public_bytes is not None:
        from cryptography.hazmat.primitives.serialization import Encoding

        return asn1_x509.Certificate.load(public_bytes(Encoding.DER))
    raise TypeError(f"not a certificate: {type(cert).__name__}")


def _qc_types(cert: asn1_x509.Certificate) -> set[str]:
    from pyhanko.sign.ades import qualified_asn1

    types: set[str] = set()
    try:
        for statement in qualified_asn1.get_qc_statements(cert):
            if statement["statement_id"].native == "qc_type":
                types.update(str(t.native) for t in statement["statement_info"])
    except Exception:
        return set()
    return types


def signer_from_certificate(cert: Any) -> Signer:
    """Identity as the certificate states it (EN 319 412-1 5.1.3, never the CN).

    ``PNOLV-110187-12529`` gives personal code ``110187-12529``; a pre-2017
    Latvian certificate's bare ``110187-12529`` gives the same personal code
    with no semantics identifier. A legal person is recognised by an
    ``organizationIdentifier`` (``NTRLV-…``) without a natural-person serial
    number, or by QcType eseal.
    """
    c = as_asn1_certificate(cert)
    subject = c.subject.native
    serial = str(subject.get("serial_number") or "").strip()
    org_ident = str(subject.get("organization_identifier") or "").strip() or None
    country = subject.get("country_name")
    given, surname = subject.get("given_name"), subject.get("surname")
    organisation = subject.get("organization_name")
    semantics: str | None = None
    personal_code: str | None = None
    natural_by_serial = False
    match = _SEMANTICS_RE.match(serial)
    if match and match["kind"] in _NATURAL_PREFIXES:
        semantics = serial
        natural_by_serial = True
        if match["kind"] == "PNO":
            personal_code = match["ident"]
    elif serial and _LV_BARE_CODE_RE.match(serial) and (country in (None, "LV")):
        personal_code = serial if "-" in serial else f"{serial[:6]}-{serial[6:]}"
        natural_by_serial = True
    is_natural = natural_by_serial or (org_ident is None and bool(given or surname))
    if "qct_eseal" in _qc_types(c):
        is_natural = False
    if not is_natural and semantics is None:
        semantics = org_ident
        personal_code = None
    if given or surname:
        name = " ".join(str(p) for p in (given, surname) if p)
    elif not is_natural and organisation:
        name = str(organisation)
    else:
        name = str(subject.get("common_name") or "")
    return Signer(
        name=name,
        country=str(country) if country else None,
        semantics_identifier=semantics,
        personal_code=personal_code,
        is_natural_person=is_natural,
        organisation=str(organisation) if organisation else None,
        certificate_sha256=hashlib.sha256(c.dump()).hexdigest(),
    )


@dataclass(frozen=True, slots=True)
class QualificationDetails:
    """Facts behind a :class:`Qualification` (for reports and tests)."""

    qualification: Qualification
    qualified_at_issuance: bool
    qualified_at_signing: bool
    qc_type: str | None
    qscd: bool
    service_name: str | None
    reasons: tuple[str, ...]


def _path_for(leaf: asn1_x509.Certificate, path_or_chain: Any, store: TrustStore) -> Any | None:
    from pyhanko_certvalidator.authority import CertTrustAnchor
    from pyhanko_certvalidator.path import ValidationPath

    if isinstance(path_or_chain, ValidationPath):
        return path_or_chain
    chain = [as_asn1_certificate(c) for c in (path_or_chain or [])]
    chain = [c for c in chain if c.sha256 != leaf.sha256]
    # Walk issuers from the leaf; stop at the first trusted-list CA.
    listed = {c.sha256 for c in store.qualified_ca_certs()}
    by_subject = {c.subject.dump(): c for c in [*chain, *store.qualified_ca_certs()]}
    interm: list[asn1_x509.Certificate] = []
    current = leaf
    for _ in range(10):
        issuer = by_subject.get(current.issuer.dump())
        if issuer is None or issuer.sha256 == current.sha256:
            return None
        if issuer.sha256 in listed:
            return ValidationPath(CertTrustAnchor(issuer), list(reversed(interm)), leaf)
        interm.append(issuer)
        current = issuer
    return None


def _status_at(store: TrustStore, path: Any, moment: datetime) -> Any:
    from pyhanko.sign.validation.qualified.assess import QualificationAssessor

    return QualificationAssessor(store.registry).check_entity_cert_qualified(path, moment)


def assess_qualification_details(
    signer_cert: Any, path_or_chain: Any, at: datetime, store: TrustStore
) -> QualificationDetails:
    """Qualification of a signature made with ``signer_cert`` at ``at`` (TS 119 615 4.3)."""
    cert = as_asn1_certificate(signer_cert)
    signer = signer_from_certificate(cert)
    reasons: list[str] = []
    path = _path_for(cert, path_or_chain, store)
    seal_like = not signer.is_natural_person
    if path is None:
        reasons.append("no trusted-list CA/QC service on the certificate path")
        return QualificationDetails(
            Qualification.ADESEAL if seal_like else Qualification.ADESIG,
            False,
            False,
            None,
            False,
            None,
            tuple(reasons),
        )
    try:
        issued = _status_at(store, path, cert.not_valid_before)
        signing = _status_at(store, path, at)
    except (NotImplementedError, ValueError) as exc:
        reasons.append(f"qualification could not be determined ({type(exc).__name__})")
        return QualificationDetails(
            Qualification.INDETERMINATE, False, False, None, False, None, tuple(reasons)
        )
    q_issued, q_signing = issued.status.qualified, signing.status.qualified
    if not q_issued:
        reasons.append("not qualified at issuance per the trusted list")
    if not q_signing:
        reasons.append("not qualified at the signing time per the trusted list")
    status = signing.status if q_signing else issued.status
    qc_type = status.qc_type.value
    qscd = issued.status.qc_key_security.is_qscd and signing.status.qc_key_security.is_qscd
    if qc_type == "qct_eseal":
        seal_like = True
    service = signing.service_definition or issued.service_definition
    service_name = service.base_info.service_name if service is not None else None
    if not (q_issued and q_signing):
        qual = Qualification.ADESEAL if seal_like else Qualification.ADESIG
    elif qc_type == "qct_web":
        reasons.append("certificate qualified for website authentication only")
        qual = Qualification.ADESEAL if seal_like else Qualification.ADESIG
    elif seal_like:
        qual = Qualification.QESEAL if qscd else Qualification.ADESEAL_QC
    else:
        qual = Qualification.QESIG if qscd else Qualification.ADESIG_QC
    if not qscd and q_issued and q_signing:
        reasons.append("private key not declared in a QSCD")
    return QualificationDetails(qual, q_issued, q_signing, qc_type, qscd, service_name, tuple(reasons))


def assess_qualification(
    signer_cert: Any, path_or_chain: Sequence[Any] | Any, at: datetime, store: TrustStore
) -> Qualification:
    """Shorthand for :func:`assess_qualification_details` ``.qualification``."""
    return assess_qualification_details(signer_cert, path_or_chain, at, store).qualification
