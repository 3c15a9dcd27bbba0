"""Errors of the identity routes: configuration and infrastructure faults only.

A failed verification is an :class:`~bot.identity.outcome.Outcome`, never an exception.
"""

from __future__ import annotations


class IdentityRouteError(Exception):
    """Root of every error ``bot.identity`` raises on purpose; structured fields in ``fields``."""

    permanent: bool = True

    def __init__(self, message: str, **fields: object) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    def __str__(self) -> str:
        return self.message


class IdentityConfigError(IdentityRouteError):
    """A route is configured wrongly (missing secret, bad issuer URL, unknown claim)."""


class ProviderUnavailable(IdentityRouteError):
    """The OpenID provider could not be reached or answered nonsense; retrying may help."""

    permanent = False
