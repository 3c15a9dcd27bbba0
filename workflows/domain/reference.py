"""Public case references: ``DSR-2026-000123``.

A reference is what a person quotes back to us; it carries no personal data.
"""

from __future__ import annotations

import re

_REFERENCE = re.compile(r"\bDSR-(\d{4})-(\d{6,})\b", re.IGNORECASE)


def format_reference(year: int, number: int) -> str:
    return f"DSR-{year:04d}-{number:06d}"


def find_reference(text: str) -> str | None:
    """The first reference in a subject line or message, normalised to upper case."""
    match = _REFERENCE.search(text)
    if match is None:
        return None
    return format_reference(int(match.group(1)), int(match.group(2)))
