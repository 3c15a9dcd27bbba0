"""How fast anyone may try staff passwords: per source, per account, never a lock-out.

Design (NIST SP 800-63B §5.2.2 rate limiting; OWASP Authentication and "Slow Down Online
Guessing Attacks with Device Cookies"; GDPR Art. 32(1)(b)). Two things must both hold:
online guessing of a password stays slow however many addresses the attacker has, and
nobody can keep a staff member out by typing wrong passwords for their account.

- **Per source.** A source is the address the request comes from (an IPv6 address counts by
  its /64, which one subscriber usually holds whole), or a *recognised browser*: one showing
  a device token issued to this account at an earlier successful sign-in. Its first
  ``source_free_failures`` failures within ``window`` cost nothing; after that each attempt must
  wait ``first_delay`` doubled per further failure (1 s, 2 s, 4 s…) after its last failure,
  at most ``max_delay``. A refused attempt is answered 429 with Retry-After without checking
  the password, and is not counted, so the wait ends on time however often one knocks.
- **Per account.** Failures on one username from many sources (``account_free_failures`` in
  ``window`` from at least ``account_min_sources`` sources) slow, with the same growing delay
  after the account's last failure, the attempts on that account from *unrecognised* sources
  only: neither a recognised browser nor an address this account signed in from within
  ``recognised_for`` is slowed by them. One address alone never triggers it (its own per-source
  limit already holds it), so wrong passwords from one address never stop the owner elsewhere.
  A guessing network is limited to about one try per ``max_delay`` on the account, while its
  owner signs in from their usual browser or network at once.

Why delays and not a lock (NIST SP 800-63B §5.2.2 asks for at most 100 consecutive failures per
account): a lock after N failures is exactly the weapon this must not hand out, so instead the
failures are remembered for a day and the delay is capped at 15 minutes, which holds one source,
or a whole guessing network against unrecognised browsers, to about a hundred tries a day.
A recognised browser's count starts again after each of its successful sign-ins (its owner's
typos are forgiven); an address's does not, or a colleague could reset it with their own account.

Unknown usernames are throttled exactly like real ones: the answers do not tell which exist.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, distinct, func, select

from workflows.adapters.staff_tables import staff_login_attempts

Throttled = Literal["address", "device", "account"]


@dataclass(frozen=True)
class ThrottlePolicy:
    window: timedelta = timedelta(days=1)
    """Failures older than this are forgotten."""
    source_free_failures: int = 5
    account_free_failures: int = 10
    account_min_sources: int = 3
    first_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=15)
    recognised_for: timedelta = timedelta(days=90)
    """How long an address a staff member signed in from, and a browser token, stay recognised."""

    def delay_after(self, failures: int, free: int) -> timedelta:
        """The wait after the last of ``failures``: none within ``free``, then doubling, capped."""
        if failures < free:
            return timedelta(0)
        doublings = min(failures - free, 40)  # 2**40 s is far beyond any cap; no overflow
        delay: timedelta = min(self.first_delay * (2**doublings), self.max_delay)
        return delay


@dataclass(frozen=True)
class Wait:
    by: Throttled
    until: datetime

    def seconds(self, now: datetime) -> int:
        """Whole seconds for Retry-After (RFC 9110 §10.2.3), at least one."""
        return max(1, math.ceil((self.until - now).total_seconds()))


def source_of(address: str) -> str:
    """The throttled source for a client address: itself for IPv4, its /64 for IPv6."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address[:100]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def wait_for(
    connection: Any,
    policy: ThrottlePolicy,
    *,
    username: str,
    source: str,
    device: str | None,
    now: datetime,
) -> Wait | None:
    """The wait this attempt must sit out, or None when it may be checked now."""
    attempts = staff_login_attempts.c
    since = now - policy.window
    failed = (attempts.at > since, attempts.succeeded.is_(False))
    mine: tuple[ColumnElement[bool], ...]
    if device is not None:
        last_success = connection.execute(
            select(func.max(attempts.at)).where(attempts.device == device, attempts.succeeded.is_(True))
        ).scalar()
        mine = (attempts.device == device, attempts.at > last_success) if last_success else (attempts.device == device,)
        by: Throttled = "device"
    else:
        mine = (attempts.client == source, attempts.device.is_(None))
        by = "address"
    count, last = connection.execute(select(func.count(), func.max(attempts.at)).where(*mine, *failed)).one()
    wait = _wait(by, int(count), last, policy.source_free_failures, policy, now)
    if wait is not None or device is not None:
        return wait
    if _recognised_address(connection, policy, username=username, source=source, now=now):
        return None
    # The owner's own typos in a recognised browser are not evidence of an attack on the account.
    on_account = (attempts.username == username, attempts.device.is_(None), *failed)
    count, sources, last = connection.execute(
        select(func.count(), func.count(distinct(attempts.client)), func.max(attempts.at)).where(*on_account)
    ).one()
    if int(sources) < policy.account_min_sources:
        return None
    return _wait("account", int(count), last, policy.account_free_failures, policy, now)


def _wait(
    by: Throttled, failures: int, last: datetime | None, free: int, policy: ThrottlePolicy, now: datetime
) -> Wait | None:
    delay = policy.delay_after(failures, free)
    if last is None or not delay:
        return None
    until = last + delay
    return Wait(by, until) if until > now else None


def _recognised_address(connection: Any, policy: ThrottlePolicy, *, username: str, source: str, now: datetime) -> bool:
    attempts = staff_login_attempts.c
    row = connection.execute(
        select(attempts.id)
        .where(
            attempts.username == username,
            attempts.client == source,
            attempts.succeeded.is_(True),
            attempts.at > now - policy.recognised_for,
        )
        .limit(1)
    ).first()
    return row is not None
