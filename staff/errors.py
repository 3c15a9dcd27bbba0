"""Errors of the staff console and CLI. One root, structured fields, no branching on message text."""

from __future__ import annotations


class StaffError(Exception):
    """Root of every error the staff package raises on purpose."""

    def __init__(self, message: str, **fields: object) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields

    def __str__(self) -> str:
        return self.message


class UnknownStaffUser(StaffError):
    """No staff account with that username."""


class StaffUserExists(StaffError):
    """A staff account with that username already exists."""


class WeakPassword(StaffError):
    """The password is too short or the two entries differ."""


class SignInRefused(StaffError):
    """Wrong username or password, or a disabled account (deliberately indistinguishable)."""


class LockedOut(StaffError):
    """Too many failed sign-ins for this account or from this address; wait and retry.

    ``retry_after_seconds`` says how long until the oldest counted failure leaves the window.
    """

    def __init__(self, message: str, *, retry_after_seconds: int, **fields: object) -> None:
        super().__init__(message, retry_after_seconds=retry_after_seconds, **fields)
        self.retry_after_seconds = retry_after_seconds
