"""Errors of the signature package: an input that cannot be validated at all.

A signature that fails validation is not an error: it is a
:class:`signature.report.SignatureReport` with a failing indication.
"""

from __future__ import annotations


class SignatureError(Exception):
    """Root of every error raised by ``signature``."""


class UnusableInput(SignatureError):
    """The input cannot be read as any supported signed format (CLI exit 2)."""

    def __init__(self, message: str, *, format_hint: str | None = None) -> None:
        super().__init__(message)
        self.format_hint = format_hint


class UnsupportedFormat(UnusableInput):
    """A recognised format rightsdesk does not validate (e.g. legacy EDOC 1.x)."""


class TrustListError(SignatureError):
    """Trusted-list material is missing, malformed or fails its own signature check."""
