"""Errors of the e-mail intake. Entry points turn them into SMTP replies or quarantine reasons."""

from __future__ import annotations


class IntakeError(Exception):
    """Root of every error the e-mail intake raises on purpose.

    ``smtp_code`` is what the SMTP server answers when the error happens during a session;
    ``permanent`` tells a retrying caller whether trying again can help.
    """

    smtp_code: int = 451
    permanent: bool = False

    def __init__(self, message: str, **fields: object) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields


class MalformedMessage(IntakeError):
    """The message cannot be understood as e-mail; it is quarantined with this reason."""

    smtp_code = 554
    permanent = True


class DeliveryFailed(IntakeError):
    """Sending through the relay failed; ``permanent`` says whether a retry can help."""
