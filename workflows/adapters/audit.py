"""The hash-chained audit log (Art. 5(2) accountability).

Events are appended to one of :data:`CHAINS` hash chains; all events of a case go to the
same chain (chosen from its id), events that belong to no case to chain 0. Each row
carries ``hash = SHA-256(prev_hash | chain | position | case | type | actor | time |
data_digest)`` with ``data_digest = SHA-256(salt | canonical JSON of data)``, and each
chain's head row (``audit_head``) holds its last position and hash, so removing events
from the end is noticed too. Appending locks the head rows involved (``FOR UPDATE``;
SQLite's IMMEDIATE transactions serialise anyway): commands on cases in different
chains commit side by side instead of queuing behind one lock. ``seq`` is a global
number for people and ordering; within a chain it must grow with the position.

Purging a closed case erases ``data`` and ``salt`` but keeps the digest: the chain
still verifies, and the random salt means the digest reveals nothing about the erased
personal data. A redaction is only legitimate for a case a ``CasesPurged`` event
names; :func:`verify_chain` checks that too.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from workflows.adapters.orm import audit_head, events
from workflows.domain.events import Event, EventType

GENESIS_HASH = "0" * 64
# Built once, values passed as parameters: SQLAlchemy reuses the compiled statements
# instead of coercing each value and hashing a fresh cache key per event.
_INSERT_EVENT = insert(events).returning(events.c.seq)
_LOCK_HEADS = (
    select(audit_head.c.id, audit_head.c.last_seq, audit_head.c.last_hash, audit_head.c.last_event)
    .where(audit_head.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(audit_head.c.id)
    .with_for_update()
)
_SET_HEAD = update(audit_head).where(audit_head.c.id == bindparam("w_id"))
CHAINS = 16
"""Number of chains; the initial migration creates their heads. Changing it is safe:
each chain verifies on its own, and a case simply continues in its new chain."""


def chain_of(request_id: str | None) -> int:
    return 0 if request_id is None else zlib.crc32(request_id.encode()) % CHAINS


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
    prev_hash: str,
    chain: int,
    position: int,
    request_id: str | None,
    type_: str,
    actor: str,
    occurred_at: datetime,
    digest: str,
) -> str:
    header = "\x1f".join(
        [prev_hash, str(chain), str(position), request_id or "", type_, actor, _timestamp(occurred_at), digest]
    )
    return hashlib.sha256(header.encode()).hexdigest()


def append(connection: Connection, new_events: Sequence[Event], *, recorded_at: datetime) -> None:
    """Append events to their chains inside the caller's transaction."""
    if not new_events:
        return
    by_chain: dict[int, list[Event]] = defaultdict(list)
    for event in new_events:
        by_chain[chain_of(event.request_id)].append(event)
    # Lock heads in ascending order: two transactions never wait on each other in a cycle.
    heads = {
        int(row.id): (int(row.last_seq), str(row.last_hash), int(row.last_event))
        for row in connection.execute(_LOCK_HEADS, {"ids": sorted(by_chain)})
    }
    for chain in sorted(by_chain):
        if chain not in heads:
            connection.execute(insert(audit_head).values(id=chain, last_seq=0, last_hash=GENESIS_HASH, last_event=0))
            heads[chain] = (0, GENESIS_HASH, 0)
        position, prev_hash, prev_seq = heads[chain]
        rows = []
        for event in by_chain[chain]:
            position += 1
            data = json.loads(canonical_json(event.data))
            salt = secrets.token_hex(16)
            digest = _digest(salt, data)
            link = chain_hash(
                prev_hash, chain, position, event.request_id, str(event.type), event.actor, event.occurred_at, digest
            )
            rows.append(
                {
                    "chain": chain,
                    "chain_seq": position,
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
        # One row at a time: the global seq grows with the position, and each row names
        # the seq of the one before it.
        for row in rows:
            inserted = connection.execute(_INSERT_EVENT, {"prev_seq": prev_seq or None, **row})
            prev_seq = int(inserted.scalar_one())
        connection.execute(
            _SET_HEAD, {"w_id": chain, "last_seq": position, "last_hash": prev_hash, "last_event": prev_seq}
        )


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


def _rows(connection: Connection, chain: int, batch: int = 5000) -> Iterator[Any]:
    after = 0
    while True:
        chunk = connection.execute(
            select(events)
            .where(events.c.chain == chain, events.c.chain_seq > after)
            .order_by(events.c.chain_seq)
            .limit(batch)
        ).all()
        if not chunk:
            return
        yield from chunk
        after = int(chunk[-1].chain_seq)


@dataclass
class _Walk:
    problems: list[ChainProblem] = field(default_factory=list)
    redacted: dict[int, str | None] = field(default_factory=dict)
    purged_ids: set[str] = field(default_factory=set)
    checked: int = 0
    last_seq: int = 0


def verify_chain(connection: Connection) -> ChainReport:
    """Recompute every link of every chain; name each event that was changed, removed or reordered."""
    walk = _Walk()
    heads = {
        int(r.id): (int(r.last_seq), str(r.last_hash), int(r.last_event))
        for r in connection.execute(select(audit_head))
    }
    chains = set(heads) | {int(c) for (c,) in connection.execute(select(events.c.chain).distinct())}
    for chain in sorted(chains):
        _verify_one(connection, chain, heads.get(chain), walk)
    for seq, request_id in walk.redacted.items():
        if request_id not in walk.purged_ids:
            walk.problems.append(ChainProblem(seq, "redacted, but no recorded purge names its case"))
    return ChainReport(walk.checked, walk.last_seq, tuple(sorted(walk.problems, key=lambda p: p.seq)))


def _verify_one(connection: Connection, chain: int, head: tuple[int, str, int] | None, walk: _Walk) -> None:
    seen_hashes: dict[str, int] = {}
    prev_hash, expected, prev_seq = GENESIS_HASH, 1, 0
    problems = walk.problems
    for row in _rows(connection, chain):
        walk.checked += 1
        seq, position = int(row.seq), int(row.chain_seq)
        walk.last_seq = max(walk.last_seq, seq)
        if position != expected:
            missing = int(row.prev_seq) if row.prev_seq is not None and int(row.prev_seq) != prev_seq else seq
            problems.append(
                ChainProblem(
                    missing,
                    f"missing: chain {chain} jumps from position {expected - 1} to {position} (before #{seq})",
                )
            )
        if seq <= prev_seq:
            problems.append(ChainProblem(seq, f"out of order: numbered before #{prev_seq}, which precedes it"))
        if row.prev_hash != prev_hash:
            problems.append(ChainProblem(seq, _broken_link(row.prev_hash, seen_hashes)))
        if row.redacted:
            walk.redacted[seq] = row.request_id
        elif row.data is None or row.data_salt is None or _digest(row.data_salt, row.data) != row.data_digest:
            problems.append(ChainProblem(seq, "changed: its content no longer matches its digest"))
        recomputed = chain_hash(
            row.prev_hash, chain, position, row.request_id, row.type, row.actor, row.occurred_at, row.data_digest
        )
        if recomputed != row.hash:
            problems.append(ChainProblem(seq, _changed_header(row, chain)))
        if row.type == EventType.CASES_PURGED and row.data is not None:
            walk.purged_ids.update(row.data.get("request_ids", []))
        seen_hashes[row.hash] = seq
        prev_hash, expected, prev_seq = row.hash, position + 1, seq
    last_position = expected - 1
    if head is not None and (head[0] != last_position or head[1] != prev_hash):
        problems.append(
            ChainProblem(
                head[2] if head[2] != prev_seq else prev_seq + 1,
                f"missing: chain {chain}'s head records position {head[0]} but the log ends at {last_position}"
                " (events were removed from the end, or the head was changed)",
            )
        )


def _broken_link(prev_hash: str, seen_hashes: Mapping[str, int]) -> str:
    follows = seen_hashes.get(prev_hash)
    if follows is not None:
        return f"out of order: it was written right after #{follows}"
    return "does not follow the event before it: events before it were changed, removed or reordered"


def _changed_header(row: Any, chain: int) -> str:
    position = int(row.chain_seq)
    for candidate in range(max(1, position - 50), position + 51):
        if candidate != position and row.hash == chain_hash(
            row.prev_hash, chain, candidate, row.request_id, row.type, row.actor, row.occurred_at, row.data_digest
        ):
            return f"out of order: it was written at position {candidate} of chain {chain} (events were reordered)"
    return "changed: its recorded fields no longer match its hash"
