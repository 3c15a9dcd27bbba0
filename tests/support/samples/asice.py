"""Re-export: signed ASiC-E samples are built by :mod:`rightsdesk.demo_kit.asice` (the demo uses it too)."""

from __future__ import annotations

from rightsdesk.demo_kit.asice import edoc, timestamp_callback

__all__ = ["edoc", "timestamp_callback"]
