"""The SQL of carrying out a right: the same code previews and applies, idempotently.

Each function works on the person's rows (primary keys per table from the subject finder)
over open connections, one per controller database, whose transactions the caller owns
(``executor``: one transaction per database). Every statement is idempotent, so running an
executed action again changes nothing:

* delete only rows still present (``DELETE ... WHERE key IN (...)``);
* anonymise only values not yet anonymised (``col IS NOT NULL``, ``col <> replacement``; a
  value that is already a keyed hash is never hashed again);
* rectify only where the old value is still there (``col = old``);
* set a flag only where it is not set yet, clear a consent only where it is given;
* add a suppression entry only when it is not there.

SQL is built with SQLAlchemy Core on lightweight table clauses named by the data map, so it
runs on SQLite, PostgreSQL and MariaDB alike.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from hashlib import sha256
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    MetaData,
    Table,
    and_,
    column,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    table,
    true,
    update,
)
from sqlalchemy.sql.expression import ColumnElement, TableClause

from workflows.adapters.connectors.subject_finder import SubjectRows
from workflows.domain import datamap as dm
from workflows.domain.plans import ColumnTreatment, FlagChange, KeptRows, TableAnonymisation, TableRows, ValueChange
from workflows.domain.profile import ControllerProfile

KEY_BATCH = 500
"""Keys per statement: well under every backend's parameter limit."""

_HEX_DIGEST = re.compile(r"^[0-9a-f]{64}$")

Key = tuple[Any, ...]
Connections = Mapping[str, Connection]
"""An open connection per data-map database name."""


# -- SQL helpers ---------------------------------------------------------------------------------


def clause(t: dm.Table) -> TableClause:
    """A table clause with every column the data map names for ``t``."""
    names: dict[str, None] = dict.fromkeys(t.key)
    names.update(dict.fromkeys(t.column_names))
    names.update(dict.fromkeys(i.column for i in t.identity))
    for link in t.links:
        names.update(dict.fromkeys(link.columns))
    if t.retention is not None:
        names[t.retention.date_column] = None
    if t.restriction_flag:
        names[t.restriction_flag] = None
    names.update(dict.fromkeys(t.consents.values()))
    return table(t.name, *(column(n) for n in names))


def key_condition(t: dm.Table, tc: TableClause, keys: Sequence[Key]) -> ColumnElement[bool]:
    if len(t.key) == 1:
        return tc.c[t.key[0]].in_([k[0] for k in keys])
    if not keys:
        return false()
    return or_(*(and_(*(tc.c[c] == v for c, v in zip(t.key, k, strict=True))) for k in keys))


def batches(keys: Sequence[Key], size: int = KEY_BATCH) -> Iterator[Sequence[Key]]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


def keys_of(found: SubjectRows, table_name: str) -> list[Key]:
    rows = found.tables.get(table_name)
    return list(rows.keys) if rows is not None else []


def _add(counter: dict[str, int], key: str, value: int) -> None:
    if value > 0:
        counter[key] = counter.get(key, 0) + value


def keyed_value_hash(secret: bytes, t: dm.Table, column_name: str, value: Any) -> str:
    """HMAC of a value: an identity column hashes like the suppression list (same person,
    same hash); any other column is keyed by its table and column."""
    for identity in t.identity:
        if identity.column == column_name:
            return dm.keyed_hash(secret, identity.kind, str(value))
    return hmac.new(secret, f"{t.name}.{column_name}:{value}".encode(), sha256).hexdigest()


def contact_identifiers(
    datamap: dm.DataMap, found: SubjectRows, connections: Connections
) -> list[tuple[dm.IdentifierKind, str]]:
    """The e-mail addresses and phone numbers on the person's rows (for the suppression list)."""
    wanted = (dm.IdentifierKind.EMAIL, dm.IdentifierKind.PHONE)
    values: dict[tuple[dm.IdentifierKind, str], None] = {}
    for name in datamap.link_order():
        keys = keys_of(found, name)
        t = datamap.table(name)
        for identity in t.identity:
            if identity.kind not in wanted or not keys:
                continue
            tc = clause(t)
            col = tc.c[identity.column]
            for chunk in batches(keys):
                query = select(col).where(key_condition(t, tc, chunk), col.is_not(None)).distinct()
                for (value,) in connections[t.database].execute(query):
                    if value and not _HEX_DIGEST.match(str(value)):
                        values[(identity.kind, dm.normalise_identifier(identity.kind, str(value)))] = None
    return list(values)


# -- erasure (Art. 17) ---------------------------------------------------------------------------


@dataclass
class TableErasure:
    table: dm.Table
    delete: list[Key]
    anonymise: list[Key]
    kept: list[Key]
    kept_until: date | None
    rule: str | None
    """The retention rule keeping ``kept`` (the table's own or the one it follows)."""

    @property
    def treatments(self) -> tuple[ColumnTreatment, ...]:
        return tuple(
            ColumnTreatment(c.name, c.erasure.method)
            for c in self.table.columns
            if c.erasure.method in (dm.ErasureMethod.SET_NULL, dm.ErasureMethod.REPLACE, dm.ErasureMethod.KEYED_HASH)
        )


@dataclass
class ErasureWork:
    """Art. 17 for one person: per table, rows deleted, anonymised, or kept until a date
    under a retention rule (Art. 17(3)(b)); kept rows are restricted to that purpose."""

    tables: list[TableErasure]
    suppression: list[tuple[dm.IdentifierKind, str]]

    def preview_parts(self) -> tuple[tuple[TableRows, ...], tuple[TableAnonymisation, ...], tuple[KeptRows, ...]]:
        deleted = tuple(TableRows(e.table.name, len(e.delete)) for e in self.tables if e.delete)
        anonymised = tuple(
            TableAnonymisation(e.table.name, len(e.anonymise), e.treatments) for e in self.tables if e.anonymise
        )
        kept = tuple(
            KeptRows(e.table.name, len(e.kept), e.rule, e.kept_until)
            for e in self.tables
            if e.kept and e.kept_until is not None and e.rule is not None
        )
        return deleted, anonymised, kept

    def erased_categories(self) -> tuple[str, ...]:
        categories: dict[str, None] = {}
        for e in self.tables:
            if e.delete:
                categories.update(dict.fromkeys(c.category for c in e.table.columns))
            if e.anonymise:
                categories.update(dict.fromkeys(e.table.column(x.column).category for x in e.treatments))
        return tuple(categories)


def plan_erasure(
    datamap: dm.DataMap,
    profile: ControllerProfile,
    found: SubjectRows,
    today: date,
    suppression: Sequence[tuple[dm.IdentifierKind, str]],
) -> ErasureWork:
    """Which rows go and which stay. A row stays while its retention period runs (counted
    from the date the finder read, own or of the parent it follows); a row whose start date
    is unknown is erased, because no rule can be shown for keeping it."""
    work: list[TableErasure] = []
    for name in reversed(datamap.link_order()):  # children before parents: deletes respect keys
        keys = keys_of(found, name)
        if not keys:
            continue
        t = datamap.table(name)
        retention = datamap.effective_retention(name)
        until: dict[Key, date] = {}
        if retention is not None:
            period = profile.retention_rule(retention.rule).period
            starts = found.tables[name].retention_starts
            until = {k: dm.kept_until(s, period, retention.start) for k, s in starts.items() if s is not None}
        kept = [k for k in keys if k in until and until[k] >= today]
        kept_set = set(kept)
        gone = [k for k in keys if k not in kept_set]
        work.append(
            TableErasure(
                table=t,
                delete=gone if t.deletes_rows else [],
                anonymise=[] if t.deletes_rows else gone,
                kept=kept,
                kept_until=max((until[k] for k in kept), default=None),
                rule=retention.rule if retention else None,
            )
        )
    return ErasureWork(work, list(suppression))


def apply_erasure(
    datamap: dm.DataMap, work: ErasureWork, connections: Connections, secret: bytes, now: datetime
) -> dict[str, dict[str, int]]:
    """Delete, anonymise, restrict what is kept, add suppression entries; counts per table."""
    counts: dict[str, dict[str, int]] = {"deleted": {}, "anonymised": {}, "restricted": {}}
    for e in work.tables:
        t, tc = e.table, clause(e.table)
        connection = connections[t.database]
        for chunk in batches(e.delete):
            result = connection.execute(delete(tc).where(key_condition(t, tc, chunk)))
            _add(counts["deleted"], t.name, result.rowcount)
        for chunk in batches(e.anonymise):
            _add(counts["anonymised"], t.name, _anonymise(connection, t, tc, chunk, secret))
        if e.kept and t.restriction_flag:
            _add(counts["restricted"], t.name, set_flag(connection, t, t.restriction_flag, True, e.kept))
    added = add_suppression(datamap, work.suppression, connections, secret, now)
    if added:
        counts["suppression_entries_added"] = {"entries": added}
    return counts


def _anonymise(connection: Connection, t: dm.Table, tc: TableClause, keys: Sequence[Key], secret: bytes) -> int:
    """Anonymise the columns of ``keys``' rows; returns how many rows changed."""
    changed: set[Key] = set()
    key_cols = [tc.c[c] for c in t.key]
    where = key_condition(t, tc, keys)
    for c in t.columns:
        method, col = c.erasure.method, tc.c[c.name]
        if method is dm.ErasureMethod.SET_NULL:
            rows = connection.execute(select(*key_cols).where(where, col.is_not(None))).all()
            if rows:
                connection.execute(update(tc).where(where, col.is_not(None)).values({c.name: None}))
        elif method is dm.ErasureMethod.REPLACE:
            value = c.erasure.replacement or ""
            differs = or_(col.is_(None), col != value)
            rows = connection.execute(select(*key_cols).where(where, differs)).all()
            if rows:
                connection.execute(update(tc).where(where, differs).values({c.name: value}))
        elif method is dm.ErasureMethod.KEYED_HASH:
            rows = []
            for row in connection.execute(select(*key_cols, col).where(where, col.is_not(None))).all():
                if _HEX_DIGEST.match(str(row[-1])):
                    continue  # already a keyed hash: never hash twice
                digest = keyed_value_hash(secret, t, c.name, row[-1])
                connection.execute(update(tc).where(key_condition(t, tc, [tuple(row[:-1])])).values({c.name: digest}))
                rows.append(row)
        else:
            continue
        changed.update(tuple(r[: len(t.key)]) for r in rows)
    return len(changed)


# -- flags: restriction (Art. 18) and consents (Art. 7(3), 21(3)) --------------------------------


def _differs(col: ColumnElement[Any], value: bool) -> ColumnElement[bool]:
    return or_(col.is_(None), col == (false() if value else true())) if value else col == true()


def set_flag(connection: Connection, t: dm.Table, flag: str, value: bool, keys: Sequence[Key]) -> int:
    """Set boolean ``flag`` to ``value`` where it is not so yet; returns rows changed."""
    tc = clause(t)
    changed = 0
    for chunk in batches(keys):
        result = connection.execute(
            update(tc).where(key_condition(t, tc, chunk), _differs(tc.c[flag], value)).values({flag: value})
        )
        changed += max(result.rowcount, 0)
    return changed


def count_flag_changes(connection: Connection, t: dm.Table, flag: str, value: bool, keys: Sequence[Key]) -> int:
    tc = clause(t)
    total = 0
    for chunk in batches(keys):
        query = select(func.count()).select_from(tc).where(key_condition(t, tc, chunk), _differs(tc.c[flag], value))
        total += int(connection.execute(query).scalar_one())
    return total


def flag_changes(
    datamap: dm.DataMap, found: SubjectRows, targets: Sequence[tuple[str, str]], value: bool, connections: Connections
) -> tuple[FlagChange, ...]:
    """Per (table, flag column), the person's rows whose flag is not yet ``value``."""
    changes = []
    for table_name, flag in targets:
        t = datamap.table(table_name)
        rows = count_flag_changes(connections[t.database], t, flag, value, keys_of(found, table_name))
        changes.append(FlagChange(table_name, flag, value, rows))
    return tuple(changes)


def apply_flags(
    datamap: dm.DataMap, found: SubjectRows, targets: Sequence[tuple[str, str]], value: bool, connections: Connections
) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table_name, flag in targets:
        t = datamap.table(table_name)
        changed = set_flag(connections[t.database], t, flag, value, keys_of(found, table_name))
        _add(counts, f"{table_name}.{flag}", changed)
    return counts


_SUPPRESSION_CHANNEL: Mapping[dm.IdentifierKind, dm.MarketingChannel] = {
    dm.IdentifierKind.EMAIL: dm.MarketingChannel.EMAIL,
    dm.IdentifierKind.PHONE: dm.MarketingChannel.SMS,
}


def suppression_kinds(
    identifiers: Sequence[tuple[dm.IdentifierKind, str]], channels: Sequence[dm.MarketingChannel] | None = None
) -> list[tuple[dm.IdentifierKind, str]]:
    """The identifiers that go on the suppression list (for ``channels``, default all)."""
    return [
        (kind, value)
        for kind, value in identifiers
        if kind in _SUPPRESSION_CHANNEL and (channels is None or _SUPPRESSION_CHANNEL[kind] in channels)
    ]


def add_suppression(
    datamap: dm.DataMap,
    identifiers: Sequence[tuple[dm.IdentifierKind, str]],
    connections: Connections,
    secret: bytes,
    now: datetime,
) -> int:
    """Minimal suppression entries (keyed hash, channel, date) so the person is never re-added
    to marketing (Art. 21(3); docs/law.md §Rights); only those not there yet. Returns entries added."""
    target = datamap.suppression
    if target is None:
        return 0
    tc = table(target.table, column(target.hash_column), column(target.channel_column), column(target.date_column))
    connection = connections[target.database]
    added = 0
    for kind, value in suppression_kinds(identifiers):
        channel = str(_SUPPRESSION_CHANNEL[kind])
        digest = dm.keyed_hash(secret, kind, value)
        there = connection.execute(
            select(func.count())
            .select_from(tc)
            .where(tc.c[target.hash_column] == digest, tc.c[target.channel_column] == channel)
        ).scalar_one()
        if not there:
            stamp = now.astimezone(UTC).replace(tzinfo=None)
            values: dict[str, Any] = {
                target.hash_column: digest,
                target.channel_column: channel,
                target.date_column: stamp,
            }
            values.update(_manual_key(connection, target))
            connection.execute(insert(table(target.table, *(column(name) for name in values))).values(values))
            added += 1
    return added


def _manual_key(connection: Connection, target: dm.SuppressionList) -> dict[str, Any]:
    """The next id when the suppression table's integer key has no database default (a plain
    BIGINT id on PostgreSQL or MariaDB); nothing when the database assigns it. Two writers
    taking the same number fail on the key and the job is retried."""
    if connection.dialect.name == "sqlite":
        return {}  # an INTEGER PRIMARY KEY is the rowid: SQLite numbers it
    reflected = Table(target.table, MetaData(), autoload_with=connection)
    key = list(reflected.primary_key.columns)
    named = {target.hash_column, target.channel_column, target.date_column}
    if len(key) != 1 or key[0].name in named or key[0].autoincrement is True or key[0].server_default is not None:
        return {}
    if not isinstance(key[0].type, Integer):
        return {}
    highest = connection.execute(select(func.max(key[0]))).scalar_one()
    return {key[0].name: int(highest or 0) + 1}


# -- rectification (Art. 16) ---------------------------------------------------------------------


def plan_rectification(
    datamap: dm.DataMap, found: SubjectRows, corrections: Mapping[str, str], connections: Connections
) -> tuple[ValueChange, ...]:
    """Per field, the columns that hold it (by identity kind or column name) and their current
    values on the person's rows: old -> new, with the row count."""
    changes: list[ValueChange] = []
    for name in datamap.link_order():
        keys = keys_of(found, name)
        if not keys:
            continue
        t = datamap.table(name)
        tc = clause(t)
        for field_name, new_value in corrections.items():
            for column_name, new in _columns_for_field(t, field_name, new_value):
                col = tc.c[column_name]
                olds: dict[Any, int] = {}
                for chunk in batches(keys):
                    query = (
                        select(col, func.count())
                        .where(key_condition(t, tc, chunk), or_(col.is_(None), col != new))
                        .group_by(col)
                    )
                    for old, count in connections[t.database].execute(query):
                        olds[old] = olds.get(old, 0) + int(count)
                for old, count in sorted(olds.items(), key=lambda item: str(item[0])):
                    changes.append(
                        ValueChange(field_name, name, column_name, None if old is None else str(old), new, count)
                    )
    return tuple(changes)


def _columns_for_field(t: dm.Table, field_name: str, new_value: str) -> list[tuple[str, str]]:
    found: dict[str, str] = {}
    for identity in t.identity:
        if identity.kind.value == field_name:
            found[identity.column] = dm.normalise_identifier(identity.kind, new_value)
    if field_name in t.column_names and field_name not in found:
        found[field_name] = new_value.strip()
    return list(found.items())


def apply_rectification(
    datamap: dm.DataMap, found: SubjectRows, changes: Sequence[ValueChange], connections: Connections
) -> dict[str, int]:
    """Write each new value where the old one is still there; returns rows changed per table."""
    counts: dict[str, int] = {}
    for change in changes:
        t = datamap.table(change.table)
        tc = clause(t)
        col = tc.c[change.column]
        still_old = col.is_(None) if change.old is None else col == change.old
        for chunk in batches(keys_of(found, change.table)):
            result = connections[t.database].execute(
                update(tc).where(key_condition(t, tc, chunk), still_old).values({change.column: change.new})
            )
            _add(counts, change.table, result.rowcount)
    return counts
