"""Staff roles and what each may do.

Separation of duties (Art. 32(1), Art. 5(1)(f)): agents handle requests, approvers release
actions that disclose or destroy data, admins manage accounts. One role per account; the
four-eyes rule itself lives in the domain (``Action.approve``).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    """Handles requests: replies, in-store intake, in-person verification, extensions, refusals."""
    APPROVER = "approver"
    """Approves or rejects queued actions that disclose or destroy data."""
    ADMIN = "admin"
    """Manages staff accounts and configuration."""


class Permission(StrEnum):
    VIEW = "view"
    HANDLE = "handle"
    APPROVE = "approve"
    MANAGE_STAFF = "manage_staff"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.AGENT: frozenset({Permission.VIEW, Permission.HANDLE}),
    Role.APPROVER: frozenset({Permission.VIEW, Permission.APPROVE}),
    Role.ADMIN: frozenset({Permission.VIEW, Permission.MANAGE_STAFF}),
}


def allows(role: Role, permission: Permission) -> bool:
    return permission in _GRANTS[role]


def actor_name(username: str) -> str:
    """The ``actor`` the engine records for a staff member's commands (events, four-eyes)."""
    return f"staff:{username}"
