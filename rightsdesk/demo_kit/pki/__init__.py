"""A generated PKI and EU-style trusted lists (see :mod:`.authority`), for the demo and the tests.

Call :func:`build_pki` and :func:`write_trust_directory`; :func:`.certs.make_natural_person` issues
a qualified certificate for someone else. The certificates are made for a trust directory of their
own and are trusted nowhere else.
"""

from __future__ import annotations

from .authority import TestPki, build_pki, to_asn1_cert, to_asn1_key
from .certs import Issued, make_natural_person
from .trustlist import write_trust_directory

__all__ = [
    "Issued",
    "TestPki",
    "build_pki",
    "make_natural_person",
    "to_asn1_cert",
    "to_asn1_key",
    "write_trust_directory",
]
