"""Re-export: the trusted lists are written by :mod:`rightsdesk.demo_kit.pki.trustlist` (the demo uses it too)."""

from __future__ import annotations

from rightsdesk.demo_kit.pki.trustlist import (
    LOTL_LOCATION,
    TL_LOCATION,
    lotl_xml,
    national_tl_xml,
    sign_list,
    write_trust_directory,
)

__all__ = ["LOTL_LOCATION", "TL_LOCATION", "lotl_xml", "national_tl_xml", "sign_list", "write_trust_directory"]
