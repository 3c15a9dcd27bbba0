"""Staff accounts, sign-in with lockout, server-side sessions, and the staff audit trail.

Lockout (Art. 32(1)(b), ENISA guidance on brute force): more than ``max_failures`` failed
sign-ins within ``window`` for one username, or from one client address, refuse further
attempts until the oldest failure leaves the window. A refused attempt during lockout is
not counted again, so a locked account unlocks on time even under a continued attack.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, update

from staff.errors import LockedOut, SignInRefused, StaffUserExists, UnknownStaffUser
from staff.passwords import Passwords
from staff.roles import Role
from workflows.adapters.staff_tables import staff_audit, staff_login_attempts, staff_sessions, staff_users

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)


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


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class StaffAccounts:
    def __init__(
        self,
        database: Engine,
        now: Callable[[], datetime],
        *,
        passwords: Passwords | None = None,
        lockout: LockoutPolicy | None = None,
        session_lifetime: timedelta = timedelta(hours=10),
        reader: Engine | None = None,
    ) -> None:
        self._db = database
        # Reads on their own engine: on SQLite every transaction of the writing engine takes
        # the write lock (BEGIN IMMEDIATE), and a page view must not queue behind a worker.
        self._reader = reader or database
        self._now = now
        self.passwords = passwords or Passwords()
        self.lockout = lockout or LockoutPolicy()
        self.session_lifetime = session_lifetime

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
            self._audit(connection, by, "staff_disabled", target=username)

    def reset(self, username: str, password: str, *, by: str) -> None:
        """Set a new password, re-enable the account, clear its failures and end its sessions."""
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
            connection.execute(
                delete(staff_login_attempts).where(
                    staff_login_attempts.c.username == username, staff_login_attempts.c.succeeded.is_(False)
                )
            )
            self._audit(connection, by, "staff_reset", target=username)

    # -- signing in -----------------------------------------------------------------------

    def sign_in(self, username: str, password: str, *, client: str) -> Session:
        """Check the password under the lockout policy and open a session.

        Raises :class:`LockedOut` before checking anything when the account or the address
        is locked, and :class:`SignInRefused` for a wrong name, password or disabled account.
        """
        username = username.strip()[:64]
        client = client[:100]
        now = self._now()
        self._refuse_if_locked(username, client, now)
        with self._reader.connect() as connection:
            row = connection.execute(select(staff_users).where(staff_users.c.username == username)).first()
        if row is None:
            self.passwords.burn(password)
            ok = False
        else:
            ok = self.passwords.verify(row.password_hash, password) and bool(row.active)
        with self._db.begin() as connection:
            connection.execute(
                insert(staff_login_attempts).values(at=now, username=username, client=client, succeeded=ok)
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
                self._audit(connection, username, "signed_in", client=client)
                if self.passwords.needs_rehash(row.password_hash):
                    connection.execute(
                        update(staff_users)
                        .where(staff_users.c.username == username)
                        .values(password_hash=self.passwords.hash(password))
                    )
                return Session(token, username, row.display_name, Role(row.role), csrf, expires)
        log.info("staff sign-in refused from %s", client)
        raise SignInRefused("wrong username or password", client=client)

    def _refuse_if_locked(self, username: str, client: str, now: datetime) -> None:
        since = now - self.lockout.window
        locked: tuple[str, datetime] | None = None
        with self._reader.connect() as connection:
            for kind, column, value in (
                ("account", staff_login_attempts.c.username, username),
                ("address", staff_login_attempts.c.client, client),
            ):
                count, oldest = connection.execute(
                    select(func.count(), func.min(staff_login_attempts.c.at)).where(
                        column == value,
                        staff_login_attempts.c.at > since,
                        staff_login_attempts.c.succeeded.is_(False),
                    )
                ).one()
                if int(count) >= self.lockout.max_failures:
                    locked = (kind, oldest)
                    break
        # Audited after the read is closed: on SQLite a second writer would wait for the first.
        if locked is not None:
            kind, oldest = locked
            self.audit(username, "sign_in_locked_out", client=client, detail={"by": kind})
            log.warning("staff sign-in locked out (%s)", kind)
            retry = max(1, int((oldest + self.lockout.window - now).total_seconds()) + 1)
            raise LockedOut("too many failed sign-ins; try again later", retry_after_seconds=retry)

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
