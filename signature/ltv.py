"""Certificate paths, revocation and time-stamps (EN 319 102-1 clauses 5.2.6, 5.4, 5.5).

Path building and RFC 5280 validation are pyhanko-certvalidator's; time-stamp
token checks are pyHanko's. This module only decides *when* and *with what*:

* the best signature time is the verified signature time-stamp's genTime
  (EN 319 102-1 5.6.2.1), else the validation time;
* the signer's path is validated at the best signature time with the embedded
  OCSP responses/CRLs (long-term validation: an expired certificate is fine
  when the time-stamp proves the signature existed while it was valid and the
  revocation data says it was not revoked then);
* freshness: revocation data older than the best signature time does not count
  (INDETERMINATE); data issued more than 15 minutes after it is a warning.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from asn1crypto import cms, crl, ocsp, tsp
from asn1crypto import x509 as asn1_x509

T = TypeVar("T")
FRESHNESS_WARNING = timedelta(minutes=15)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run a certvalidator coroutine from sync code, even inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


@dataclass
class PathOutcome:
    """Result of validating one certificate's path at one moment."""

    status: str  # ok | no_chain | revoked | no_revinfo | expired | not_yet_valid | invalid
    detail: str
    path: list[asn1_x509.Certificate] = field(default_factory=list)
    anchor_on_trusted_list: bool = False


def _context(
    roots: Sequence[asn1_x509.Certificate],
    others: Sequence[asn1_x509.Certificate],
    moment: datetime,
    ocsps: Sequence[ocsp.OCSPResponse],
    crls: Sequence[crl.CertificateList],
    *,
    hard_fail: bool,
    online: bool,
    check_revocation: bool = True,
) -> Any:
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.policy_decl import (
        CertRevTrustPolicy,
        RevocationCheckingPolicy,
        RevocationCheckingRule,
    )

    extra: dict[str, Any] = {}
    if not check_revocation:
        no_check = RevocationCheckingRule.NO_CHECK
        extra["revinfo_policy"] = CertRevTrustPolicy(RevocationCheckingPolicy(no_check, no_check))
    else:
        extra["revocation_mode"] = "hard-fail" if hard_fail else "soft-fail"
    return ValidationContext(
        trust_roots=list(roots),
        other_certs=list(others),
        moment=moment,
        best_signature_time=moment,
        ocsps=list(ocsps),
        crls=list(crls),
        retroactive_revinfo=True,  # OCSP obtained just after the time-stamp is the norm
        allow_fetching=online,
        **extra,
    )


async def _validate(cert: asn1_x509.Certificate, ctx: Any) -> list[asn1_x509.Certificate]:
    from pyhanko_certvalidator import CertificateValidator

    validator = CertificateValidator(cert, validation_context=ctx)
    path = await validator.async_validate_usage(key_usage=set())  # type: ignore[no-untyped-call]
    return [c for c in path if isinstance(c, asn1_x509.Certificate)]


def validate_path(
    cert: asn1_x509.Certificate,
    *,
    roots: Sequence[asn1_x509.Certificate],
    tl_anchors: Sequence[asn1_x509.Certificate],
    others: Sequence[asn1_x509.Certificate],
    moment: datetime,
    ocsps: Sequence[ocsp.OCSPResponse],
    crls: Sequence[crl.CertificateList],
    online: bool,
) -> PathOutcome:
    """RFC 5280 path validation at ``moment`` with revocation (hard-fail)."""
    from pyhanko_certvalidator import errors as cv

    tl_hashes = {c.sha256 for c in tl_anchors}

    def outcome(status: str, detail: str, path: list[asn1_x509.Certificate]) -> PathOutcome:
        return PathOutcome(status, detail, path, any(c.sha256 in tl_hashes for c in path))

    try:
        path = run_sync(
            _validate(cert, _context(roots, others, moment, ocsps, crls, hard_fail=True, online=online))
        )
        return outcome("ok", "certificate path and revocation status verified", path)
    except cv.RevokedError as exc:
        return outcome("revoked", f"certificate revoked ({type(exc).__name__})", [])
    except cv.InsufficientRevinfoError:
        # Find out whether the path itself is fine, to report exactly what verified.
        try:
            ctx = _context(
                roots, others, moment, ocsps, crls, hard_fail=False, online=online, check_revocation=False
            )
            path = run_sync(_validate(cert, ctx))
        except (cv.PathBuildingError, cv.PathValidationError, cv.ValidationError) as exc:
            return outcome("invalid", f"path invalid ({type(exc).__name__})", [])
        return outcome(
            "no_revinfo",
            f"certificate path verified, but no usable revocation information at {moment.isoformat()}",
            path,
        )
    except cv.PathBuildingError:
        return outcome("no_chain", "no certificate chain to a trust anchor", [])
    except cv.ExpiredError:
        return outcome(
            "expired", f"certificate expired at {moment.isoformat()} (no proof of existence earlier)", []
        )
    except cv.NotYetValidError:
        return outcome("not_yet_valid", f"certificate not yet valid at {moment.isoformat()}", [])
    except (cv.PathValidationError, cv.ValidationError) as exc:
        return outcome("invalid", f"path validation failed ({type(exc).__name__})", [])


@dataclass
class TimestampOutcome:
    gen_time: datetime | None
    imprint_ok: bool
    signature_ok: bool
    tsa_cert: asn1_x509.Certificate | None
    tsa_path_ok: bool
    tsa_anchor_on_trusted_list: bool
    detail: str
    tsa_chain: list[asn1_x509.Certificate] = field(default_factory=list)


def validate_timestamp(
    token_der: bytes,
    imprint_input: bytes,
    *,
    roots: Sequence[asn1_x509.Certificate],
    tl_anchors: Sequence[asn1_x509.Certificate],
    others: Sequence[asn1_x509.Certificate],
    at: datetime,
    ocsps: Sequence[ocsp.OCSPResponse],
    crls: Sequence[crl.CertificateList],
    online: bool,
) -> TimestampOutcome:
    """Validate an RFC 3161 token whose imprint must be a hash of ``imprint_input``."""
    import hashlib

    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import errors as cv

    try:
        info = cms.ContentInfo.load(token_der)
        signed = info["content"]
        tst_info = signed["encap_content_info"]["content"].parsed
        if not isinstance(tst_info, tsp.TSTInfo):
            raise ValueError("not a TSTInfo")
        gen_time = tst_info["gen_time"].native
    except Exception as exc:
        return TimestampOutcome(
            None, False, False, None, False, False, f"unreadable time-stamp token ({type(exc).__name__})"
        )

    def expected(algo: str) -> bytes:
        return hashlib.new(algo.replace("sha3_", "sha3_"), imprint_input).digest()

    # Soft-fail on the TSA's revocation: TSA certificates are validated at the
    # validation time, and a TSA on the trusted list is itself the anchor.
    ctx = _context(roots, others, at, ocsps, crls, hard_fail=False, online=online)
    try:
        kwargs = run_sync(validate_tst_signed_data(signed, ctx, expected))
    except (SignatureValidationError, cv.ValidationError, cv.PathError, ValueError) as exc:
        return TimestampOutcome(
            gen_time, False, False, None, False, False, f"time-stamp not verifiable ({type(exc).__name__})"
        )
    tsa_cert = kwargs.get("signing_cert")
    vpath = kwargs.get("validation_path")
    chain = [c for c in vpath if isinstance(c, asn1_x509.Certificate)] if vpath is not None else []
    tl_hashes = {c.sha256 for c in tl_anchors}
    intact = bool(kwargs.get("intact"))
    valid = bool(kwargs.get("valid"))
    trusted = kwargs.get("trust_problem_indic") is None and vpath is not None
    detail = (
        "time-stamp verified"
        if intact and valid and trusted
        else (
            "time-stamp imprint does not match the signature value"
            if not intact
            else "time-stamp signature invalid"
            if not valid
            else "time-stamp authority does not chain to a trust anchor"
        )
    )
    return TimestampOutcome(
        gen_time, intact, valid, tsa_cert, trusted, any(c.sha256 in tl_hashes for c in chain), detail, chain
    )


def revocation_times(ocsps: Sequence[ocsp.OCSPResponse], cert: asn1_x509.Certificate) -> list[datetime]:
    """producedAt of each embedded OCSP response concerning ``cert``."""
    times: list[datetime] = []
    for resp in ocsps:
        try:
            basic = resp["response_bytes"]["response"].parsed
            data = basic["tbs_response_data"]
            for single in data["responses"]:
                if single["cert_id"]["serial_number"].native == cert.serial_number:
                    times.append(data["produced_at"].native)
        except (KeyError, ValueError, TypeError, AttributeError):
            continue
    return times
