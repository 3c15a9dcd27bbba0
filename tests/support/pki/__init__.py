"""A generated test PKI and trusted lists for signature tests; the code lives in
:mod:`rightsdesk.demo_kit.pki` (the demo uses it too) and is re-exported here.

Use the pytest fixtures in :mod:`tests.support.pki.fixtures` (import them in a
conftest) or call :func:`build_pki` and :func:`write_trust_directory` directly.
"""

from __future__ import annotations

from .authority import TestPki, build_pki, to_asn1_cert, to_asn1_key
from .certs import Issued
from .trustlist import write_trust_directory

__all__ = ["Issued", "TestPki", "build_pki", "to_asn1_cert", "to_asn1_key", "write_trust_directory"]
