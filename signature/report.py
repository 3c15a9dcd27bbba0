"""The one validation report every format produces.

Modelled on ETSI EN 319 102-1 clause 5.1.3 (validation status indications) and
ETSI TS 119 615 (qualification determined from the EU trusted lists). Like
pyHanko's status objects, a report is a frozen dataclass of documented facts;
verdicts are properties. A bad signature is a *result*; an unreadable input is an
exception (:class:`signature.errors.UnusableInput`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Indication(StrEnum):
    """Main status indication, EN 319 102-1 Table 4."""

    TOTAL_PASSED = "TOTAL-PASSED"
    INDETERMINATE = "INDETERMINATE"
    TOTAL_FAILED = "TOTAL-FAILED"


class SubIndication(StrEnum):
    """Sub-indications, EN 319 102-1 Table 5 (the ones rightsdesk produces)."""

    FORMAT_FAILURE = "FORMAT_FAILURE"
    HASH_FAILURE = "HASH_FAILURE"
    SIG_CRYPTO_FAILURE = "SIG_CRYPTO_FAILURE"
    REVOKED = "REVOKED"
    SIG_CONSTRAINTS_FAILURE = "SIG_CONSTRAINTS_FAILURE"
    CHAIN_CONSTRAINTS_FAILURE = "CHAIN_CONSTRAINTS_FAILURE"
    CRYPTO_CONSTRAINTS_FAILURE = "CRYPTO_CONSTRAINTS_FAILURE"
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    POLICY_PROCESSING_ERROR = "POLICY_PROCESSING_ERROR"
    SIGNED_DATA_NOT_FOUND = "SIGNED_DATA_NOT_FOUND"
    NO_SIGNING_CERTIFICATE_FOUND = "NO_SIGNING_CERTIFICATE_FOUND"
    NO_CERTIFICATE_CHAIN_FOUND = "NO_CERTIFICATE_CHAIN_FOUND"
    REVOKED_NO_POE = "REVOKED_NO_POE"
    REVOKED_CA_NO_POE = "REVOKED_CA_NO_POE"
    OUT_OF_BOUNDS_NO_POE = "OUT_OF_BOUNDS_NO_POE"
    OUT_OF_BOUNDS_NOT_REVOKED = "OUT_OF_BOUNDS_NOT_REVOKED"
    CRYPTO_CONSTRAINTS_FAILURE_NO_POE = "CRYPTO_CONSTRAINTS_FAILURE_NO_POE"
    NO_POE = "NO_POE"
    TRY_LATER = "TRY_LATER"
    SIGNING_CERTIFICATE_NOT_VALID = "SIGNING_CERTIFICATE_NOT_VALID"
    GENERIC = "GENERIC"


class Qualification(StrEnum):
    """Signature qualification, ETSI TS 119 615 clause 4.3 / TS 119 172-4 vocabulary."""

    QESIG = "QESig"
    QESEAL = "QESeal"
    ADESIG_QC = "AdESig-QC"
    ADESEAL_QC = "AdESeal-QC"
    ADESIG = "AdESig"
    ADESEAL = "AdESeal"
    NOT_ADES = "Not-AdES"
    INDETERMINATE = "Indeterminate"


class SignatureFormat(StrEnum):
    XADES_ASICE = "XAdES (ASiC-E)"
    PADES = "PAdES"
    CADES_SMIME = "CAdES (S/MIME)"
    CADES_DETACHED = "CAdES (detached .p7s)"


@dataclass(frozen=True, slots=True)
class Signer:
    """Who the signing certificate says signed (EN 319 412-1 clause 5.1.3).

    Identity is taken from the subject serialNumber / semantics identifier
    (``PNOLV-110187-12529``), never from the common name or an e-mail header.
    """

    name: str
    country: str | None
    semantics_identifier: str | None
    personal_code: str | None
    is_natural_person: bool
    organisation: str | None = None
    certificate_sha256: str | None = None


@dataclass(frozen=True, slots=True)
class SignedFile:
    """A data object covered by a verified reference."""

    name: str
    digest_algorithm: str
    digest_hex: str
    size: int | None = None


@dataclass(frozen=True, slots=True)
class SignatureReport:
    """The verdict on one signature (EN 319 102-1 clause 5.1.3 validation report)."""

    format: SignatureFormat
    indication: Indication
    subindication: SubIndication | None
    qualification: Qualification
    signer: Signer | None
    signing_time: datetime | None
    signing_time_source: str | None
    signed_files: tuple[SignedFile, ...]
    reason: str
    warnings: tuple[str, ...] = ()
    signature_id: str | None = None
    checks: tuple[tuple[str, str], ...] = ()
    """Ordered (check, outcome) pairs for people: what was verified and how it ended."""

    @property
    def passed(self) -> bool:
        return self.indication is Indication.TOTAL_PASSED

    @property
    def proves_natural_person(self) -> bool:
        """Only a TOTAL-PASSED QESig of a natural person verifies a requester."""
        return (
            self.passed
            and self.qualification is Qualification.QESIG
            and self.signer is not None
            and self.signer.is_natural_person
        )


@dataclass(frozen=True, slots=True)
class ValidationReport:
    """The verdict on a file or message, which may carry several signatures."""

    source: str
    container: str
    signatures: tuple[SignatureReport, ...]
    unsigned_files: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    validated_at: datetime | None = None
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def best(self) -> SignatureReport | None:
        """The signature that best proves a natural person, else the first one."""
        for sig in self.signatures:
            if sig.proves_natural_person:
                return sig
        return self.signatures[0] if self.signatures else None

    @property
    def proves_natural_person(self) -> bool:
        return any(s.proves_natural_person for s in self.signatures) and not self.unsigned_files

    def extra_of(self, signature: SignatureReport, key: str) -> str | None:
        """A per-signature fact the validator left in :attr:`extra` as ``key.<position>``
        (e.g. ``signature_value_sha256``, ``claimed_signing_time``, ``signed_bytes_end``)."""
        position = next((i for i, s in enumerate(self.signatures) if s is signature), None)
        return None if position is None else self.extra.get(f"{key}.{position}")
