"""Find every row in the controller's databases that links to one data subject.

The right of access (Art. 15), portability (Art. 20), erasure (Art. 17), restriction (Art. 18)
and rectification (Art. 16) all start here: which rows are this person's? The answer must be
complete (an export missing rows breaches Art. 15) and exact (another customer's rows in an
export is a breach of its own, Art. 5(1)(f)).

Public API
----------
``find_subject_rows(datamap, identifiers, *, connections, hash_secret=None) -> SubjectRows``
    ``identifiers`` maps an :class:`~workflows.domain.datamap.IdentifierKind` value ("email",
    "phone", "personal_code", "customer_id", "loyalty_card", "login") to what the person gave;
    values are normalised with :func:`~workflows.domain.datamap.normalise_identifier`.
    ``connections`` maps each database name of the data map to an open SQLAlchemy
    ``Connection`` (the caller owns the transaction, e.g. the executor's). Only keys are read:
    per table the primary keys of the person's rows and, where the table has retention, the
    date its retention period runs from (``TableRows.retention_starts``). With ``hash_secret``,
    identity columns erased by keyed hash also match the hashed identifier (kept rows after a
    partial erasure stay findable).
``iter_subject_rows(datamap, found, table, *, connections, columns=None, batch_size=500)``
    Streams the full rows of one table as dicts, ``batch_size`` keys per query, so an export
    never holds more than one batch in memory.

How (see the data map's module docstring for what "links" means): rows matching an identity
column are found first (one indexed equality lookup per column); links marked
``identifies_parent`` then add their parent rows; then, in link order (parents before children),
each table's rows whose link columns hold a found parent key (indexed ``IN`` lookups in chunks).
Links are never followed from a child to its parent otherwise, so a parcel addressed to the
person never pulls in the customer who sent it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, MetaData, Select, TableClause, column, false, select, table, tuple_
from sqlalchemy import Table as SqlTable
from sqlalchemy.sql.elements import ColumnElement

from workflows.domain.datamap import DataMap, ErasureMethod, IdentifierKind, Table, keyed_hash, normalise_identifier
from workflows.domain.errors import WorkflowError

Key = tuple[object, ...]
CHUNK = 500
"""Keys per ``IN`` list: small enough for every backend's parameter limit, large enough to be fast."""


class UnknownIdentifierKind(WorkflowError):
    """The caller passed an identifier kind the data map does not know."""

    def __init__(self, kind: str) -> None:
        allowed = ", ".join(k.value for k in IdentifierKind)
        super().__init__(f"unknown identifier kind {kind!r}; use one of {allowed}", kind=kind)
        self.kind = kind


class MissingConnection(WorkflowError):
    """``connections`` lacks a database the data map uses."""

    def __init__(self, database: str) -> None:
        super().__init__(f"no connection given for database {database!r}", database=database)
        self.database = database


@dataclass(frozen=True)
class TableRows:
    """The person's rows in one table: keys only, plus when each row's retention began."""

    table: str
    database: str
    key_columns: tuple[str, ...]
    keys: tuple[Key, ...]
    """Primary keys, sorted."""
    retention_starts: Mapping[Key, date | None] = field(default_factory=dict)
    """Per key, the date the table's (effective) retention period runs from; empty when the
    table has no retention. ``None`` when the date column is empty or the parent is unknown."""

    @property
    def count(self) -> int:
        return len(self.keys)


@dataclass(frozen=True)
class SubjectRows:
    """Every mapped table (including empty ones), in link order (parents first)."""

    tables: Mapping[str, TableRows]

    def rows(self, table: str) -> TableRows:
        return self.tables[table]

    @property
    def counts(self) -> dict[str, int]:
        return {name: rows.count for name, rows in self.tables.items()}

    @property
    def total(self) -> int:
        return sum(rows.count for rows in self.tables.values())

    @property
    def is_empty(self) -> bool:
        return self.total == 0


@dataclass
class _Found:
    """Working state for one table: key -> (values of each link, retention start)."""

    links: dict[Key, tuple[Key | None, ...]] = field(default_factory=dict)
    starts: dict[Key, date | None] = field(default_factory=dict)
    direct: set[Key] = field(default_factory=set)


def find_subject_rows(
    datamap: DataMap,
    identifiers: Mapping[str, str],
    *,
    connections: Mapping[str, Connection],
    hash_secret: bytes | None = None,
) -> SubjectRows:
    """Every row of every mapped table that links to the person ``identifiers`` describe.

    With ``hash_secret`` (the data map's keyed-hash secret), identity columns whose erasure is
    ``keyed_hash`` also match the person's hashed identifier: after a partial erasure the rows
    kept under a retention rule are still found through the anonymised account (Art. 17(3)).
    """
    given = _normalised(identifiers)
    found: dict[str, _Found] = {name: _Found() for name in datamap.link_order()}
    for mapped in datamap.tables:
        for identity in mapped.identity:
            if identity.kind not in given:
                continue
            values = [given[identity.kind]]
            hashed = mapped.column(identity.column).erasure.method is ErasureMethod.KEYED_HASH
            if hashed and hash_secret is not None:
                values.append(keyed_hash(hash_secret, identity.kind, str(given[identity.kind])))
            for value in values:
                condition = column(identity.column) == value
                for key in _collect(datamap, mapped, condition, found[mapped.name], connections):
                    found[mapped.name].direct.add(key)
    _follow_identifying_links(datamap, found, connections)
    for name in datamap.link_order():
        mapped = datamap.table(name)
        for link in mapped.links:
            parent_keys = sorted(found[link.table].links, key=_sort_key) if link.table != name else []
            for chunk in _chunks(parent_keys):
                _collect(datamap, mapped, _key_in(link.columns, chunk), found[name], connections)
    _resolve_followed_starts(datamap, found, connections)
    return SubjectRows(
        MappingProxyType(
            {
                name: TableRows(
                    table=name,
                    database=datamap.table(name).database,
                    key_columns=datamap.table(name).key,
                    keys=tuple(sorted(state.links, key=_sort_key)),
                    retention_starts=MappingProxyType(dict(state.starts)),
                )
                for name, state in found.items()
            }
        )
    )


def iter_subject_rows(
    datamap: DataMap,
    found: SubjectRows,
    table_name: str,
    *,
    connections: Mapping[str, Connection],
    columns: Sequence[str] | None = None,
    batch_size: int = CHUNK,
) -> Iterator[dict[str, object]]:
    """Stream the person's full rows of ``table_name`` (mapped columns only), key order."""
    mapped = datamap.table(table_name)
    names = tuple(columns) if columns is not None else mapped.column_names
    connection = _connection(connections, mapped.database)
    # Reflected once per table so values come back typed (dates, booleans) on every backend.
    source = SqlTable(mapped.name, MetaData(), autoload_with=connection)
    keys = found.rows(table_name).keys
    # MariaDB reflects BOOLEAN as TINYINT; the flags the map names are booleans everywhere.
    flags = [f for f in (mapped.restriction_flag, *mapped.consents.values()) if f is not None and f in names]
    for start in range(0, len(keys), batch_size):
        chunk = keys[start : start + batch_size]
        query = select(*(source.c[n] for n in names)).where(_key_in(mapped.key, chunk))
        query = query.order_by(*(source.c[k] for k in mapped.key))
        for row in connection.execute(query).mappings():
            values = dict(row)
            for flag in flags:
                if isinstance(values.get(flag), int):
                    values[flag] = bool(values[flag])
            yield values


# --- internals -----------------------------------------------------------------------------


def _normalised(identifiers: Mapping[str, str]) -> dict[IdentifierKind, object]:
    given: dict[IdentifierKind, object] = {}
    for kind_name, value in identifiers.items():
        try:
            kind = IdentifierKind(kind_name)
        except ValueError as exc:
            raise UnknownIdentifierKind(kind_name) from exc
        if not value or not value.strip():
            continue
        text = normalise_identifier(kind, value)
        # Customer ids are integer keys in most schemas; comparing an integer column to text
        # fails on PostgreSQL, so a numeric id is passed as a number.
        given[kind] = int(text) if kind is IdentifierKind.CUSTOMER_ID and text.isdigit() else text
    return given


def _clause(mapped: Table, names: Sequence[str]) -> TableClause:
    return table(mapped.name, *(column(n) for n in dict.fromkeys(names)))


def _connection(connections: Mapping[str, Connection], database: str) -> Connection:
    if database not in connections:
        raise MissingConnection(database)
    return connections[database]


def _key_in(columns: Sequence[str], keys: Sequence[Key]) -> ColumnElement[bool]:
    if len(columns) == 1:
        return column(columns[0]).in_([k[0] for k in keys])
    if not keys:
        return false()
    return tuple_(*(column(c) for c in columns)).in_(keys)


def _chunks(keys: Sequence[Key]) -> Iterator[Sequence[Key]]:
    for start in range(0, len(keys), CHUNK):
        yield keys[start : start + CHUNK]


def _sort_key(key: Key) -> tuple[Any, ...]:
    # Keys of one table share types, but NULL-free ordering across ints and strings needs care.
    return tuple((part is None, type(part).__name__, part if part is not None else 0) for part in key)


def _retention_column(mapped: Table) -> str | None:
    return mapped.retention.date_column if mapped.retention is not None else None


def _collect(
    datamap: DataMap,
    mapped: Table,
    condition: ColumnElement[bool],
    state: _Found,
    connections: Mapping[str, Connection],
) -> list[Key]:
    """Read key, link values and retention date of matching rows into ``state``."""
    key_width = len(mapped.key)
    link_columns = [c for link in mapped.links for c in link.columns]
    date_column = _retention_column(mapped)
    wanted = (*mapped.key, *link_columns, *((date_column,) if date_column else ()))
    source = _clause(mapped, wanted)
    query: Select[tuple[object, ...]] = select(*(source.c[n] for n in wanted)).where(condition)
    query = query.select_from(source)
    keys: list[Key] = []
    for row in _connection(connections, mapped.database).execute(query):
        values = tuple(row)
        key = values[:key_width]
        position, link_values = key_width, []
        for link in mapped.links:
            part = values[position : position + len(link.columns)]
            link_values.append(None if any(v is None for v in part) else part)
            position += len(link.columns)
        state.links[key] = tuple(link_values)
        if date_column is not None:
            state.starts[key] = _as_date(values[position])
        keys.append(key)
    return keys


def _follow_identifying_links(
    datamap: DataMap, found: dict[str, _Found], connections: Mapping[str, Connection]
) -> None:
    """A directly matched card or login identifies its holder's row (``identifies_parent``)."""
    pending = True
    while pending:
        pending = False
        for mapped in datamap.tables:
            state = found[mapped.name]
            for index, link in enumerate(mapped.links):
                if not link.identifies_parent:
                    continue
                parent = found[link.table]
                wanted = {
                    values[index]
                    for key, values in state.links.items()
                    if key in state.direct and values[index] is not None
                }
                missing = sorted((k for k in wanted if k is not None and k not in parent.links), key=_sort_key)
                for chunk in _chunks(missing):
                    target = datamap.table(link.table)
                    new = _collect(datamap, target, _key_in(target.key, chunk), parent, connections)
                    parent.direct.update(new)
                    pending = pending or bool(new)


def _resolve_followed_starts(datamap: DataMap, found: dict[str, _Found], connections: Mapping[str, Connection]) -> None:
    """Rows of a table with ``retention_follows`` share the start of their parent row."""
    for name in datamap.link_order():
        mapped = datamap.table(name)
        if mapped.retention is not None or mapped.retention_follows is None:
            continue
        index = next(i for i, link in enumerate(mapped.links) if link.table == mapped.retention_follows)
        parent_name = mapped.retention_follows
        parent = found[parent_name]
        state = found[name]
        unknown: set[Key] = set()
        for values in state.links.values():
            parent_key = values[index]
            if parent_key is not None and parent_key not in parent.starts:
                unknown.add(parent_key)
        missing = sorted(unknown, key=_sort_key)
        extra = _parent_starts(datamap, parent_name, missing, connections) if missing else {}
        for key, values in state.links.items():
            parent_key = values[index]
            state.starts[key] = None if parent_key is None else parent.starts.get(parent_key, extra.get(parent_key))


def _parent_starts(
    datamap: DataMap, parent_name: str, keys: Sequence[Key], connections: Mapping[str, Connection]
) -> dict[Key, date | None]:
    """Retention starts of parent rows that are not the person's (a row found only directly)."""
    parent = datamap.table(parent_name)
    if parent.retention is None:  # a chain of follows through rows outside the person's: unknown
        return {}
    state = _Found()
    for chunk in _chunks(keys):
        _collect(datamap, parent, _key_in(parent.key, chunk), state, connections)
    return state.starts


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return datetime.fromisoformat(value).date()
    return None
