"""ASiC-E (.edoc / .asice) containers signed with :mod:`signature.xades_sign` by a key of the generated PKI.

The demo signs its sample request with them; the tests use them as valid samples. A signed
document verifies only the request it carries (``workflows.domain.evidence_binding``), so the
sample request text names the controller of the built-in retail profile (:data:`CONTROLLER`)
and is signed now, or at ``signed_at`` for tests whose clock stands elsewhere.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from .pki.authority import TestPki
from .pki.certs import Issued

CONTROLLER = "SIA MonaOK"
"""The controller of the built-in ``retail`` profile, which the demo and the tests run."""


def addressed(text: str, *, to: str = CONTROLLER, reference: str | None = None) -> bytes:
    """A request text as a person signs it: addressed to the controller (and quoting a reference)."""
    quoted = f" (pieprasījums {reference})" if reference else ""
    return f"{to}{quoted}\n\n{text}".encode()


def timestamp_callback(pki: TestPki, *, at: datetime | None = None) -> Callable[[bytes], bytes]:
    """RFC 3161 token DER over ``data`` from the in-process qualified TSA (at ``at``, default now)."""
    stamper: Any = pki.timestamper(at=at)

    def stamp(data: bytes) -> bytes:
        token = asyncio.run(stamper.async_timestamp(hashlib.sha256(data).digest(), "sha256"))
        return bytes(token.dump())

    return stamp


def _fresh_ocsp(pki: TestPki, signer: Issued) -> bytes:
    """OCSP strictly after the time-stamp: ``cryptography`` stamps producedAt with whole seconds
    of the wall clock, so wait for the next second first."""
    now = datetime.now(UTC)
    time.sleep(1.01 - now.microsecond / 1_000_000)
    return pki.ocsp_response(signer, at=datetime.now(UTC) + timedelta(seconds=1))


def edoc(
    pki: TestPki,
    signer: Issued,
    files: Mapping[str, bytes] | None = None,
    *,
    flavour: str = "edoc",
    level: str = "LT",
    signed_at: datetime | None = None,
) -> bytes:
    """A signed container at level B, T or LT, signed now or at ``signed_at`` (time-stamp
    and claimed signing time alike; the OCSP response follows one second later)."""
    from signature.xades_sign import LocalKey, build_asice

    files = files or {"pieprasijums.txt": addressed("Lūdzu izsniegt manus datus.")}
    key = LocalKey(signer.key, pki.chain_of(signer))
    if signed_at is None:
        ocsp: Callable[[], list[bytes]] = lambda: [_fresh_ocsp(pki, signer)]  # noqa: E731
    else:
        ocsp = lambda: [pki.ocsp_response(signer, at=signed_at + timedelta(seconds=1))]  # noqa: E731
    return build_asice(
        files,
        key,
        flavour=flavour,
        signing_time=signed_at,
        timestamp=timestamp_callback(pki, at=signed_at) if level in ("T", "LT") else None,
        ocsp_der=ocsp if level == "LT" else (),
    )
