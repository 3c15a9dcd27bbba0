"""ASiC-E (.edoc / .asice) containers signed with :mod:`signature.xades_sign` by a key of the generated PKI.

The demo signs its sample request with them; the tests use them as valid samples.
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


def timestamp_callback(pki: TestPki) -> Callable[[bytes], bytes]:
    """RFC 3161 token DER over ``data`` from the in-process qualified TSA."""
    stamper: Any = pki.timestamper()

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
    pki: TestPki, signer: Issued, files: Mapping[str, bytes] | None = None, *, flavour: str = "edoc", level: str = "LT"
) -> bytes:
    """A signed container at level B, T or LT."""
    from signature.xades_sign import LocalKey, build_asice

    files = files or {"pieprasijums.txt": "Lūdzu izsniegt manus datus.".encode()}
    key = LocalKey(signer.key, pki.chain_of(signer))
    return build_asice(
        files,
        key,
        flavour=flavour,
        timestamp=timestamp_callback(pki) if level in ("T", "LT") else None,
        ocsp_der=(lambda: [_fresh_ocsp(pki, signer)]) if level == "LT" else (),
    )
