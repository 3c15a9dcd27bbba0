"""Sliding-window rate limits and growing pauses kept in the database, so every bot
process shares them.

Subjects are keyed digests (HMAC-SHA256 under the server secret) of e.g. a chat id, a
customer key or a (customer, chat) pair: the throttle table names nobody.

Two kinds of limit:

- :class:`RateLimit`: at most ``count`` actions per ``window`` (codes sent, codes checked);
- :class:`GrowingPause`: after ``free`` failures the subject waits ``first``, then twice as
  long after each further failure, up to ``longest``; a failure is forgotten after ``memory``,
  and all of them at once on success. A failure typed during a pause is refused before it
  is counted, so nobody can keep a pause running by hammering it, and a pause is per subject:
  keyed by (contact, chat), a stranger's wrong codes pause only the stranger's own chat
  (OWASP Authentication Cheat Sheet, "account lockout": lock-outs must not become a denial
  of service against the real owner).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, func, insert, select

from workflows.adapters.identity_tables import identity_throttle


@dataclass(frozen=True, slots=True)
class GrowingPause:
    """``free`` failures, then a pause of ``first`` doubling with each further failure, at
    most ``longest``; a failure older than ``memory`` no longer counts."""

    free: int = 3
    first: timedelta = timedelta(minutes=1)
    longest: timedelta = timedelta(hours=1)
    memory: timedelta = timedelta(hours=24)

    def pause_after(self, failures: int) -> timedelta | None:
        """How long to wait after the ``failures``-th failure (None: no wait)."""
        if failures < self.free:
            return None
        doublings = min(failures - self.free, 20)  # 2**20 minutes is far past any sane cap
        grown: timedelta = self.first * (2**doublings)
        return min(grown, self.longest)

    def left_before_pause(self, failures: int) -> int:
        return max(self.free - failures, 0)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``count`` actions per ``window`` for one subject."""

    count: int
    window: timedelta


class Throttle:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def subject(self, kind: str, value: str) -> str:
        return hmac.new(self._secret, f"throttle:{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    def blocked_until(
        self, connection: Connection, subject: str, action: str, limit: RateLimit, *, now: datetime
    ) -> datetime | None:
        """When the subject may act again, or None if it may act now."""
        since = now - limit.window
        rows = connection.execute(
            select(identity_throttle.c.at)
            .where(
                identity_throttle.c.subject == subject,
                identity_throttle.c.action == action,
                identity_throttle.c.at > since,
            )
            .order_by(identity_throttle.c.at.desc())
            .limit(limit.count)
        ).scalars().all()
        if len(rows) < limit.count:
            return None
        oldest_counted: datetime = rows[-1]
        return oldest_counted + limit.window

    def note(self, connection: Connection, subject: str, action: str, *, now: datetime, keep: timedelta) -> None:
        """Count one action; forget this subject's actions older than ``keep``."""
        connection.execute(
            delete(identity_throttle).where(
                identity_throttle.c.subject == subject,
                identity_throttle.c.action == action,
                identity_throttle.c.at < now - keep,
            )
        )
        connection.execute(
            insert(identity_throttle).values(id=uuid.uuid4().hex, subject=subject, action=action, at=now)
        )

    def failures(
        self, connection: Connection, subject: str, action: str, pause: GrowingPause, *, now: datetime
    ) -> tuple[int, datetime | None]:
        """The failures of the last ``memory`` and when the latest was."""
        stamps = connection.execute(
            select(identity_throttle.c.at)
            .where(
                identity_throttle.c.subject == subject,
                identity_throttle.c.action == action,
                identity_throttle.c.at > now - pause.memory,
            )
            .order_by(identity_throttle.c.at.desc())
        ).scalars().all()
        latest: datetime | None = stamps[0] if stamps else None
        return len(stamps), latest

    def paused_until(
        self, connection: Connection, subject: str, action: str, pause: GrowingPause, *, now: datetime
    ) -> datetime | None:
        """When the subject may try again, or None if it may try now."""
        count, latest = self.failures(connection, subject, action, pause, now=now)
        wait = pause.pause_after(count)
        if latest is None or wait is None or latest + wait <= now:
            return None
        return latest + wait

    def fail(
        self, connection: Connection, subject: str, action: str, pause: GrowingPause, *, now: datetime
    ) -> tuple[int, datetime | None]:
        """Count one failure; the failures now remembered and the end of the pause it starts."""
        self.note(connection, subject, action, now=now, keep=pause.memory)
        count, _ = self.failures(connection, subject, action, pause, now=now)
        wait = pause.pause_after(count)
        return count, (now + wait if wait is not None else None)

    def forget(self, connection: Connection, subject: str, action: str) -> None:
        """A success: the subject's failures no longer count."""
        connection.execute(
            delete(identity_throttle).where(
                identity_throttle.c.subject == subject, identity_throttle.c.action == action
            )
        )

    def count(self, connection: Connection, subject: str, action: str, *, since: datetime) -> int:
        return int(
            connection.execute(
                select(func.count())
                .select_from(identity_throttle)
                .where(
                    identity_throttle.c.subject == subject,
                    identity_throttle.c.action == action,
                    identity_throttle.c.at > since,
                )
            ).scalar_one()
        )
