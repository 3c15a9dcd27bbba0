"""Sliding-window rate limits kept in the database, so every bot process shares them.

Subjects are keyed digests (HMAC-SHA256 under the server secret) of e.g. a chat id or a
customer key: the throttle table names nobody.
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
