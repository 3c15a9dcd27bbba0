"""Staff accounts, throttled sign-in, server-side sessions, and the staff audit trail.

Sign-in is slowed, never locked (Art. 32(1)(b); NIST SP 800-63B §5.2.2): see
:mod:`staff.sign_in_throttle` for the rule. A successful sign-in hands the browser a device
token (a random value; the table keeps its SHA-256 digest) that makes it a recognised browser
for that account: failures that others cause on the account do not slow it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update

from staff.errors import LockedOut, SignInRefused, StaffUserExists, UnknownStaffUser
from staff.passwords import Passwords
from staff.roles import Role
from staff.sign_in_throttle import ThrottlePolicy, source_of, wait_for
from workflows.adapters.staff_tables import (
    staff_audit,
    staff_devices,
    staff_login_attempts,
    staff_sessions,
    staff_users,
)

log = logging.getLogger(__name__)

PRUNE_EVERY_SECONDS = 600.0
"""Old attempts and forgotten browsers are deleted at most this often (per process)."""


@dataclass(frozen=True)
class StaffUser:
    username: str
    display_name: str
    role: Role
    active: bool


@dataclass(frozen=True)
class Session:
    """A signed-in staff member as the console sees them on each request."""

    token: str
    username: str
    display_name: str
    role: Role
    csrf_token: str
    expires_at: datetime
    device_token: str = field(default="", repr=False)
    """Set only on the session a sign-in opened: the browser's (new) device token to store."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _serialise(connection: Any, *keys: str) -> None:
    """Hold, until the transaction ends, a lock per key, always taken in the order given.

    SQLite needs nothing: every transaction of the writing engine already holds the database's
    write lock. PostgreSQL gets transaction-scoped advisory locks, which also cover usernames
    and addresses that have no row to lock."""
    if connection.dialect.name != "postgresql":
        return
    for key in keys:
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        connection.execute(select(func.pg_advisory_xact_lock(number)))


class StaffAccounts:
    def __init__(
        self,
        database: Engine,
        now: Callable[[], datetime],
        *,
        passwords: Passwords | None = None,
        throttle: ThrottlePolicy | None = None,
        session_lifetime: timedelta = timedelta(hours=10),
        reader: Engine | None = None,
    ) -> None:
        self._db = database
        # Reads on their own engine: on SQLite every transaction of the writing engine takes
        # the write lock (BEGIN IMMEDIATE), and a page view must not queue behind a worker.
        self._reader = reader or database
        self._now = now
        self.passwords = passwords or Passwords()
        self.throttle = throttle or ThrottlePolicy()
        self.session_lifetime = session_lifetime
        self._pruned_at = float("-inf")

    # -- accounts -------------------------------------------------------------------------

    def add(self, username: str, role: Role, password: str, *, display_name: str | None = None, by: str) -> None:
        hashed = self.passwords.hash(password)
        now = self._now()
        with self._db.begin() as connection:
            exists = connection.execute(select(staff_users.c.username).where(staff_users.c.username == username))
            if exists.first() is not None:
                raise StaffUserExists(f"staff user {username} already exists", username=username)
            connection.execute(
                insert(staff_users).values(
                    username=username,
                    display_name=display_name or username,
                    role=str(role),
                    password_hash=hashed,
                    active=True,
                    created_at=now,
                    password_changed_at=now,
                )
            )
            self._audit(connection, by, "staff_added", target=username, detail={"role": str(role)})

    def get(self, username: str) -> StaffUser:
        with self._reader.connect() as connection:
            row = connection.execute(select(staff_users).where(staff_users.c.username == username)).first()
        if row is None:
            raise UnknownStaffUser(f"no staff user {username}", username=username)
        return StaffUser(row.username, row.display_name, Role(row.role), bool(row.active))

    def everyone(self) -> list[StaffUser]:
        with self._reader.connect() as connection:
            rows = connection.execute(select(staff_users).order_by(staff_users.c.username)).all()
        return [StaffUser(r.username, r.display_name, Role(r.role), bool(r.active)) for r in rows]

    def disable(self, username: str, *, by: str) -> None:
        """Disable the account and end its sessions at once."""
        with self._db.begin() as connection:
            changed = connection.execute(
                update(staff_users).where(staff_users.c.username == username).values(active=False)
            ).rowcount
            if not changed:
                raise UnknownStaffUser(f"no staff user {username}", username=username)
            connection.execute(delete(staff_sessions).where(staff_sessions.c.username == username))
            connection.execute(delete(staff_devices).where(staff_devices.c.username == username))
            self._audit(connection, by, "staff_disabled", target=username)

    def reset(self, username: str, password: str, *, by: str) -> None:
        """Set a new password, re-enable the account, clear its failures, end its sessions and
        forget its recognised browsers (a reset may follow a compromise)."""
        hashed = self.passwords.hash(password)
        with self._db.begin() as connection:
            changed = connection.execute(
                update(staff_users)
                .where(staff_users.c.username == username)
                .values(password_hash=hashed, active=True, password_changed_at=self._now())
            ).rowcount
            if not changed:
                raise UnknownStaffUser(f"no staff user {username}", username=username)
            connection.execute(delete(staff_sessions).where(staff_sessions.c.username == username))
            connection.execute(delete(staff_devices).where(staff_devices.c.username == username))
            connection.execute(
                delete(staff_login_attempts).where(
                    staff_login_attempts.c.username == username, staff_login_attempts.c.succeeded.is_(False)
                )
            )
            self._audit(connection, by, "staff_reset", target=username)

    # -- signing in -----------------------------------------------------------------------

    def sign_in(self, username: str, password: str, *, client: str, device_token: str = "") -> Session:
        """Check the password under the throttle and open a session.

        ``client`` is the client address, ``device_token`` the browser's device cookie (may be
        empty). Raises :class:`LockedOut` before checking anything while this attempt must wait
        (``retry_after_seconds``, ``by``: address, device or account), and
        :class:`SignInRefused` for a wrong name, password or disabled account.
        """
        username = username.strip()[:64]
        client = client[:100]
        source = source_of(client)
        now = self._now()
        self._prune(now)
        # The throttle is checked and the attempt recorded (as failed until the password proves
        # otherwise) in one serialised write, so a burst of parallel guesses, in one process or
        # many, cannot all pass the check before the first of them is counted.
        with self._db.begin() as connection:
            _serialise(connection, f"source:{source}", f"account:{username}")
            device = self._recognised_device(connection, username, device_token, now)
            wait = wait_for(connection, self.throttle, username=username, source=source, device=device, now=now)
            if wait is None:
                recorded = connection.execute(
                    insert(staff_login_attempts).values(
                        at=now, username=username, client=source, device=device, succeeded=False
                    )
                )
                attempt = recorded.inserted_primary_key[0] if recorded.inserted_primary_key else None
            else:
                detail = {"by": wait.by, "retry_after": wait.seconds(now)}
                self._audit(connection, username, "sign_in_throttled", client=client, detail=detail)
        if wait is not None:
            log.warning("staff sign-in slowed (%s), retry in %s s", wait.by, wait.seconds(now))
            raise LockedOut("too many failed sign-ins", retry_after_seconds=wait.seconds(now), by=wait.by)
        with self._reader.connect() as connection:
            row = connection.execute(select(staff_users).where(staff_users.c.username == username)).first()
        if row is None:
            self.passwords.burn(password)
            ok = False
        else:
            ok = self.passwords.verify(row.password_hash, password) and bool(row.active)
        with self._db.begin() as connection:
            if ok:
                connection.execute(
                    update(staff_login_attempts).where(staff_login_attempts.c.id == attempt).values(succeeded=True)
                )
            if row is None or not ok:
                self._audit(connection, username, "sign_in_failed", client=client)
            else:
                token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
                expires = now + self.session_lifetime
                connection.execute(
                    insert(staff_sessions).values(
                        token_digest=_digest(token),
                        username=username,
                        csrf_token=csrf,
                        created_at=now,
                        expires_at=expires,
                        client=client,
                    )
                )
                new_device = self._remember_device(connection, username, device, now)
                self._audit(connection, username, "signed_in", client=client)
                if self.passwords.needs_rehash(row.password_hash):
                    connection.execute(
                        update(staff_users)
                        .where(staff_users.c.username == username)
                        .values(password_hash=self.passwords.hash(password))
                    )
                return Session(token, username, row.display_name, Role(row.role), csrf, expires, new_device)
        log.info("staff sign-in refused from %s", client)
        raise SignInRefused("wrong username or password", client=client)

    def _recognised_device(self, connection: Any, username: str, device_token: str, now: datetime) -> str | None:
        """The digest of the browser's device token when it was issued to ``username`` and is live."""
        if not device_token:
            return None
        digest = _digest(device_token)
        found = connection.execute(
            select(staff_devices.c.token_digest).where(
                staff_devices.c.token_digest == digest,
                staff_devices.c.username == username,
                staff_devices.c.last_used_at > now - self.throttle.recognised_for,
            )
        ).first()
        return digest if found is not None else None

    def _remember_device(self, connection: Any, username: str, device: str | None, now: datetime) -> str:
        """Refresh a recognised browser, or issue a new device token; returns the token to set ("" = keep)."""
        if device is not None:
            connection.execute(
                update(staff_devices).where(staff_devices.c.token_digest == device).values(last_used_at=now)
            )
            return ""
        token = secrets.token_urlsafe(32)
        connection.execute(
            insert(staff_devices).values(
                token_digest=_digest(token), username=username, created_at=now, last_used_at=now
            )
        )
        return token

    def _prune(self, now: datetime) -> None:
        """Forget failures past the window, successes and browsers past ``recognised_for``."""
        if time.monotonic() - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = time.monotonic()
        attempts = staff_login_attempts.c
        with self._db.begin() as connection:
            connection.execute(
                delete(staff_login_attempts).where(
                    attempts.succeeded.is_(False), attempts.at < now - self.throttle.window
                )
            )
            connection.execute(delete(staff_login_attempts).where(attempts.at < now - self.throttle.recognised_for))
            connection.execute(
                delete(staff_devices).where(staff_devices.c.last_used_at < now - self.throttle.recognised_for)
            )

    def session(self, token: str) -> Session | None:
        """The live session for a cookie token, or None (expired, signed out, account disabled)."""
        if not token:
            return None
        query = (
            select(staff_sessions, staff_users.c.display_name, staff_users.c.role, staff_users.c.active)
            .join(staff_users, staff_users.c.username == staff_sessions.c.username)
            .where(staff_sessions.c.token_digest == _digest(token))
        )
        with self._reader.connect() as connection:
            row = connection.execute(query).first()
        if row is None or not row.active or row.expires_at <= self._now():
            return None
        return Session(token, row.username, row.display_name, Role(row.role), row.csrf_token, row.expires_at)

    def sign_out(self, token: str, *, client: str | None = None) -> None:
        with self._db.begin() as connection:
            row = connection.execute(
                select(staff_sessions.c.username).where(staff_sessions.c.token_digest == _digest(token))
            ).first()
            connection.execute(delete(staff_sessions).where(staff_sessions.c.token_digest == _digest(token)))
            if row is not None:
                self._audit(connection, row.username, "signed_out", client=client)

    # -- audit ----------------------------------------------------------------------------

    def audit(
        self,
        username: str,
        action: str,
        *,
        target: str | None = None,
        client: str | None = None,
        detail: Mapping[str, Any] | None = None,
        outcome: str | None = None,
    ) -> None:
        """Record a staff action (what, on what, from where, and how it ended)."""
        with self._db.begin() as connection:
            self._audit(connection, username, action, target=target, client=client, detail=detail, outcome=outcome)

    def recent_audit(self, limit: int = 100) -> list[dict[str, Any]]:
        with self._reader.connect() as connection:
            rows = connection.execute(select(staff_audit).order_by(staff_audit.c.id.desc()).limit(limit)).all()
        return [dict(r._mapping) for r in rows]

    def _audit(
        self,
        connection: Any,
        username: str,
        action: str,
        *,
        target: str | None = None,
        client: str | None = None,
        detail: Mapping[str, Any] | None = None,
        outcome: str | None = None,
    ) -> None:
        connection.execute(
            insert(staff_audit).values(
                at=self._now(),
                username=username[:64],
                client=client[:100] if client else None,
                action=action,
                target=target,
                detail=dict(detail or {}),
                outcome=outcome,
            )
        )
