"""A demo PKI and EU-style trusted list for ``rightsdesk demo``, so that a signed request can be
verified end to end without a real eParaksts card.

It reuses the generated test PKI of the checkout (``tests/support/pki``: a root CA, a qualified
eID issuing CA, a qualified TSA and OCSP responder, a signed list of trusted lists and a signed
Latvian trusted list) rather than a second copy of it. ``tests/`` is not part of the installed
distribution, so this works from a source checkout (``pip install -e .`` of a clone) only; from
an installed wheel :func:`load_demo_pki` says why it is unavailable and the demo goes on without
the signed request.

The certificates are made for the demo's own trust directory and are trusted nowhere else:
``[signature] trust_dir`` of the demo points at it, never at the real EU lists.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


class DemoPkiUnavailable(Exception):
    """The test PKI cannot be imported here (no source checkout next to the package)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _checkout_root() -> Path:
    return Path(__file__).resolve().parents[1]


def _import_test_support() -> tuple[Any, Any, Any]:
    root = _checkout_root()
    if not (root / "tests" / "support" / "pki" / "__init__.py").is_file():
        raise DemoPkiUnavailable(f"no source checkout at {root} (tests/support/pki is missing)")
    # Only the checkout's own folder goes on the path, and only for this import.
    if str(root) not in sys.path:
        sys.path.append(str(root))
    try:
        pki = importlib.import_module("tests.support.pki")
        certs = importlib.import_module("tests.support.pki.certs")
        asice = importlib.import_module("tests.support.samples.asice")
    except ImportError as error:
        raise DemoPkiUnavailable(f"the checkout's test PKI cannot be imported: {error}") from error
    return pki, certs, asice


@dataclass
class DemoPki:
    """The generated PKI and the signer of the demo's signed request."""

    _pki: Any
    _asice: Any
    signer: Any
    trust_dir: Path

    def signed_container(self, files: dict[str, bytes]) -> bytes:
        """An ``.edoc`` (ASiC-E, XAdES level LT: time-stamp and OCSP inside) signed by :attr:`signer`."""
        data: bytes = self._asice.edoc(self._pki, self.signer, files)
        return data


def load_demo_pki(
    trust_dir: Path, *, given_name: str, surname: str, personal_code: str, email: str
) -> DemoPki:
    """Generate the PKI, a qualified certificate for the named person, and the trust directory.

    :raises DemoPkiUnavailable: not running from a source checkout.
    """
    pki_module, certs, asice = _import_test_support()
    now = datetime.now(UTC).replace(microsecond=0)
    pki = pki_module.build_pki(now)
    signer = certs.make_natural_person(
        issuer=pki.qualified_ca,
        given_name=given_name,
        surname=surname,
        personal_code=personal_code,
        not_before=now - timedelta(days=365),
        not_after=now + timedelta(days=4 * 365),
        email=email,
    )
    trust_dir.mkdir(parents=True, exist_ok=True)
    pki_module.write_trust_directory(pki, trust_dir)
    return DemoPki(_pki=pki, _asice=asice, signer=signer, trust_dir=trust_dir)
