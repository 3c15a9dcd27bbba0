"""The hash-chained audit log (Art. 5(2) accountability).

Each event row carries ``hash = SHA-256(prev_hash | seq | request | type | actor | time
| data_digest)``, where ``data_digest = SHA-256(salt | canonical JSON of data)``. The
``audit_head`` row holds the last sequence number and hash, so removing events from
the end is noticed too. Appending locks the head row (``FOR UPDATE``; SQLite's
IMMEDIATE transactions do the same), which orders all appends into one chain.

Purging a closed case erases ``data`` and ``salt`` but keeps the digest: the chain
still verifies, and the random salt means the digest reveals nothing about the
erased personal data. A redaction is only legitimate for a case a later
``CasesPurged`` event names; :func:`verify_chain` checks that too.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from workflows.adapters.orm import audit_head, events
from workflows.domain.events import Event, EventType

GENESIS_HASH = "0" * 64
_HEAD_ID = 1


def canonical_json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable)


def _jsonable(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return str(value)


def _digest(salt: str, data: Mapping[str, Any]) -> str:
    return hashlib.sha256((salt + canonical_json(data)).encode()).hexdigest()


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def chain_hash(
    prev_hash: str, seq: int, request_id: str | None, type_: str, actor: str, occurred_at: datetime, digest: str
) -> str:
    header = "\x1f".join([prev_hash, str(seq), request_id or "", type_, actor, _timestamp(occurred_at), digest])
    return hashlib.sha256(header.encode()).hexdigest()


def ensure_genesis(connection: Connection) -> None:
    """Create the chain head if the log is new (called by the initial migration)."""
    if connection.execute(select(audit_head.c.id)).first() is None:
        connection.execute(insert(audit_head).values(id=_HEAD_ID, last_seq=0, last_hash=GENESIS_HASH))


def append(connection: Connection, new_events: Sequence[Event], *, recorded_at: datetime) -> None:
    """Append events to the chain inside the caller's transaction."""
    if not new_events:
        return
    head = connection.execute(
        select(audit_head.c.last_seq, audit_head.c.last_hash).where(audit_head.c.id == _HEAD_ID).with_for_update()
    ).one()
    seq, prev_hash = int(head.last_seq), str(head.last_hash)
    rows = []
    for event in new_events:
        seq += 1
        data = json.loads(canonical_json(event.data))
        salt = secrets.token_hex(16)
        digest = _digest(salt, data)
        link = chain_hash(prev_hash, seq, event.request_id, str(event.type), event.actor, event.occurred_at, digest)
        rows.append(
            {
                "seq": seq,
                "request_id": event.request_id,
                "type": str(event.type),
                "actor": event.actor,
                "occurred_at": event.occurred_at,
                "recorded_at": recorded_at,
                "data": data,
                "data_salt": salt,
                "data_digest": digest,
                "redacted": False,
                "prev_hash": prev_hash,
                "hash": link,
            }
        )
        prev_hash = link
    connection.execute(insert(events), rows)
    connection.execute(update(audit_head).where(audit_head.c.id == _HEAD_ID).values(last_seq=seq, last_hash=prev_hash))


def redact_case_events(connection: Connection, request_ids: Iterable[str]) -> int:
    """Erase the personal data of purged cases from their events; the links stay."""
    ids = list(request_ids)
    if not ids:
        return 0
    result = connection.execute(
        update(events)
        .where(events.c.request_id.in_(ids), events.c.redacted.is_(False))
        .values(data=None, data_salt=None, redacted=True)
    )
    return int(result.rowcount or 0)


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"event #{self.seq}: {self.problem}"


@dataclass(frozen=True, slots=True)
class ChainReport:
    events_checked: int
    last_seq: int
    problems: tuple[ChainProblem, ...] = field(default_factory=tuple)

    @property
    def intact(self) -> bool:
        return not self.problems


def _rows(connection: Connection, batch: int = 5000) -> Iterator[Any]:
    after = 0
    while True:
        chunk = connection.execute(select(events).where(events.c.seq > after).order_by(events.c.seq).limit(batch)).all()
        if not chunk:
            return
        yield from chunk
        after = int(chunk[-1].seq)


def verify_chain(connection: Connection) -> ChainReport:
    """Recompute every link; name each event that was changed, removed or reordered."""
    problems: list[ChainProblem] = []
    seen_hashes: dict[str, int] = {}
    redacted: dict[int, str | None] = {}
    purged_ids: set[str] = set()
    prev_hash, expected, checked = GENESIS_HASH, 1, 0
    for row in _rows(connection):
        checked += 1
        seq = int(row.seq)
        if seq != expected:
            problems.append(ChainProblem(expected, f"missing: the log jumps from #{expected - 1} to #{seq}"))
        if row.prev_hash != prev_hash:
            problems.append(ChainProblem(seq, _broken_link(row.prev_hash, seen_hashes, seq)))
        if row.redacted:
            redacted[seq] = row.request_id
        elif row.data is None or row.data_salt is None or _digest(row.data_salt, row.data) != row.data_digest:
            problems.append(ChainProblem(seq, "changed: its content no longer matches its digest"))
        recomputed = chain_hash(
            row.prev_hash, seq, row.request_id, row.type, row.actor, row.occurred_at, row.data_digest
        )
        if recomputed != row.hash:
            problems.append(ChainProblem(seq, _changed_header(row)))
        if row.type == EventType.CASES_PURGED and row.data is not None:
            purged_ids.update(row.data.get("request_ids", []))
        seen_hashes[row.hash] = seq
        prev_hash, expected = row.hash, seq + 1
    for seq, request_id in redacted.items():
        if request_id not in purged_ids:
            problems.append(ChainProblem(seq, "redacted, but no recorded purge names its case"))
    head = connection.execute(select(audit_head.c.last_seq, audit_head.c.last_hash)).one_or_none()
    last_seq = expected - 1
    if head is not None and (int(head.last_seq) != last_seq or head.last_hash != prev_hash):
        problems.append(
            ChainProblem(
                int(head.last_seq),
                f"missing: the chain head records #{head.last_seq} but the log ends at #{last_seq}"
                " (events were removed from the end, or the head was changed)",
            )
        )
    return ChainReport(checked, last_seq, tuple(sorted(problems, key=lambda p: p.seq)))


def _broken_link(prev_hash: str, seen_hashes: Mapping[str, int], seq: int) -> str:
    follows = seen_hashes.get(prev_hash)
    if follows is not None:
        return f"out of order: it was written after #{follows}, not after #{seq - 1}"
    return "does not follow the event before it: events before it were changed, removed or reordered"


def _changed_header(row: Any) -> str:
    for candidate in range(max(1, int(row.seq) - 50), int(row.seq) + 51):
        if candidate != row.seq and row.hash == chain_hash(
            row.prev_hash, candidate, row.request_id, row.type, row.actor, row.occurred_at, row.data_digest
        ):
            return f"out of order: it was written as #{candidate} (events were reordered)"
    return "changed: its recorded fields no longer match its hash"
