"""Staff accounts, sessions, sign-in attempts and the staff audit trail (SQLAlchemy Core).

Registered on :data:`workflows.adapters.orm.metadata` so that the Alembic migration test
compares them too. Passwords are stored only as argon2 hashes; session tokens only as their
SHA-256 digests, so a copy of the database does not let anyone sign in (Art. 32 security).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from workflows.adapters.orm import UtcDateTime, metadata

staff_users = Table(
    "staff_users",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("password_changed_at", UtcDateTime, nullable=False),
)

# Server-side sessions: the cookie holds a random token, the table its digest. Disabling an
# account or signing out ends the session at once, which a self-contained cookie cannot do.
staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_digest", String(64), primary_key=True),
    Column("username", String(64), ForeignKey("staff_users.username", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("client", String(100)),
)

# One row per checked sign-in (staff/sign_in_throttle.py): ``client`` is the throttled source
# (an IPv4 address or an IPv6 /64), ``device`` the digest of a recognised browser's token for
# that account, if it showed one (then the attempt is throttled by the browser, not the address).
staff_login_attempts = Table(
    "staff_login_attempts",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("username", String(64), nullable=False),
    Column("client", String(100), nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("device", String(64)),
    Index("ix_staff_login_attempts_username_at", "username", "at"),
    Index("ix_staff_login_attempts_client_at", "client", "at"),
    Index("ix_staff_login_attempts_device_at", "device", "at"),
)

# Browsers a staff member has signed in with (OWASP "device cookies"): the cookie holds a
# random token, the table its digest. A recognised browser is not slowed by failures that
# other browsers cause on the account, so guessing cannot be turned into a lock-out.
staff_devices = Table(
    "staff_devices",
    metadata,
    Column("token_digest", String(64), primary_key=True),
    Column("username", String(64), ForeignKey("staff_users.username", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime, nullable=False),
)

# Sign-ins, lockouts and account changes (Art. 5(2), 32). Staff work on requests is in the
# hash-chained audit log as events with actor "staff:<username>"; this table records it too.
staff_audit = Table(
    "staff_audit",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("username", String(64), nullable=False),
    Column("client", String(100)),
    Column("action", String(50), nullable=False),
    Column("target", String(100)),
    Column("detail", JSON, nullable=False),
    Column("outcome", Text),
    Index("ix_staff_audit_at", "at"),
)
