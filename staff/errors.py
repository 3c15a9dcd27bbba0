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
    """Too many failed sign-ins from this address or browser, or on this account from many
    addresses: this attempt was not checked; wait and retry (staff.sign_in_throttle).

    ``retry_after_seconds`` says how long the wait still runs; ``fields["by"]`` which limit it is.
    """

    def __init__(self, message: str, *, retry_after_seconds: int, **fields: object) -> None:
        super().__init__(message, retry_after_seconds=retry_after_seconds, **fields)
        self.retry_after_seconds = retry_after_seconds
