"""A demo PKI and EU-style trusted list for ``rightsdesk demo``, so that a signed request can be
verified end to end without a real eParaksts card.

It uses :mod:`rightsdesk.demo_kit` (a root CA, a qualified eID issuing CA, a qualified TSA and
OCSP responder, a signed list of trusted lists and a signed Latvian trusted list), the same
generator the tests use, so it works from an installed package as well as from a checkout.

The certificates are made for the demo's own trust directory and are trusted nowhere else:
``[signature] trust_dir`` of the demo points at it, never at the real EU lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rightsdesk.demo_kit import asice
from rightsdesk.demo_kit.pki import Issued, TestPki, build_pki, make_natural_person, write_trust_directory


@dataclass
class DemoPki:
    """The generated PKI and the signer of the demo's signed request."""

    pki: TestPki
    signer: Issued
    trust_dir: Path

    def signed_container(self, files: dict[str, bytes]) -> bytes:
        """An ``.edoc`` (ASiC-E, XAdES level LT: time-stamp and OCSP inside) signed by :attr:`signer`."""
        return asice.edoc(self.pki, self.signer, files)


def load_demo_pki(
    trust_dir: Path, *, given_name: str, surname: str, personal_code: str, email: str
) -> DemoPki:
    """Generate the PKI, a qualified certificate for the named person, and the trust directory."""
    now = datetime.now(UTC).replace(microsecond=0)
    pki = build_pki(now)
    signer = make_natural_person(
        issuer=pki.qualified_ca,
        given_name=given_name,
        surname=surname,
        personal_code=personal_code,
        not_before=now - timedelta(days=365),
        not_after=now + timedelta(days=4 * 365),
        email=email,
    )
    trust_dir.mkdir(parents=True, exist_ok=True)
    write_trust_directory(pki, trust_dir)
    return DemoPki(pki=pki, signer=signer, trust_dir=trust_dir)
