"""Re-export: the PKI lives in :mod:`rightsdesk.demo_kit.pki.authority` (the demo uses it too)."""

from __future__ import annotations

from rightsdesk.demo_kit.pki.authority import TestPki, build_pki, to_asn1_cert, to_asn1_key

__all__ = ["TestPki", "build_pki", "to_asn1_cert", "to_asn1_key"]
