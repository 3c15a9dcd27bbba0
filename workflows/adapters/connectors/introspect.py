"""Check a data map against the live databases (``rightsdesk datamap check``).

``check_datamap(datamap, *, engines=None, environ=None) -> list[str]`` connects to each
database of the map (SQLAlchemy ``inspect``) and returns every problem at once, each naming the
data-map key and what is wrong; an empty list means the map matches the databases:

* the database is reachable (its URL, or the environment variable holding it, is set);
* every table and every mapped column exists; the key is the primary key or a unique index;
* every link resolves: the parent table exists, the link columns' types match the parent key's;
* every link and identity column is indexed (otherwise finding one person scans the table,
  which at a million customers is too slow to plan within the Art. 12(3) month comfortably);
* erasure can work: ``set_null`` only on nullable columns, ``keyed_hash`` only where 64 hex
  characters fit;
* the suppression list's table and columns exist.

Engines it builds itself are disposed before it returns.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, inspect
from sqlalchemy.engine import Inspector
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from workflows.domain.datamap import DataMap, ErasureMethod, Table

HASH_LENGTH = 64
"""Hex characters of an HMAC-SHA256 keyed hash."""


@dataclass(frozen=True)
class _LiveTable:
    columns: Mapping[str, Mapping[str, Any]]
    primary_key: tuple[str, ...]
    unique: frozenset[tuple[str, ...]]
    indexed_prefixes: frozenset[tuple[str, ...]]
    """Leading columns of every index (and the primary key): a lookup on these is indexed."""


def check_datamap(
    datamap: DataMap, *, engines: Mapping[str, Engine] | None = None, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Every mismatch between ``datamap`` and the databases it names (empty when none)."""
    environment = os.environ if environ is None else environ
    problems: list[str] = []
    owned: list[Engine] = []
    live: dict[str, dict[str, _LiveTable | None]] = {}
    try:
        for ref in datamap.databases:
            engine = engines.get(ref.name) if engines is not None else None
            if engine is None:
                url = ref.url if ref.url is not None else environment.get(ref.url_env or "")
                if not url:
                    problems.append(f"databases.{ref.name}.url_env: the environment variable {ref.url_env} is not set")
                    continue
                try:
                    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
                except (ArgumentError, NoSuchModuleError) as exc:
                    problems.append(f"databases.{ref.name}: not a usable SQLAlchemy URL ({type(exc).__name__})")
                    continue
                owned.append(engine)
            wanted = [t.name for t in datamap.tables if t.database == ref.name]
            if datamap.suppression is not None and datamap.suppression.database == ref.name:
                wanted.append(datamap.suppression.table)
            try:
                with engine.connect() as connection:
                    inspector = inspect(connection)
                    existing = set(inspector.get_table_names())
                    live[ref.name] = {name: _read(inspector, name) if name in existing else None for name in wanted}
            except SQLAlchemyError as exc:
                # The driver's message may echo the URL; name only the kind of failure.
                problems.append(f"databases.{ref.name}: cannot connect ({type(exc).__name__})")
    finally:
        for engine in owned:
            engine.dispose()
    for mapped in datamap.tables:
        if mapped.database in live:
            problems.extend(_check_table(datamap, mapped, live))
    problems.extend(_check_suppression(datamap, live))
    return problems


def _read(inspector: Inspector, name: str) -> _LiveTable:
    columns = {column["name"]: dict(column) for column in inspector.get_columns(name)}
    primary_key = tuple(inspector.get_pk_constraint(name).get("constrained_columns") or ())
    indexes = inspector.get_indexes(name)
    unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)}
    unique |= {tuple(str(c) for c in i["column_names"]) for i in indexes if i.get("unique")}
    if primary_key:
        unique.add(primary_key)
    prefixes: set[tuple[str, ...]] = set()
    for columns_of_index in [*(tuple(str(c) for c in i["column_names"]) for i in indexes), *unique]:
        prefixes.update(columns_of_index[:length] for length in range(1, len(columns_of_index) + 1))
    return _LiveTable(columns, primary_key, frozenset(unique), frozenset(prefixes))


def _check_table(datamap: DataMap, mapped: Table, live: Mapping[str, Mapping[str, _LiveTable | None]]) -> Iterator[str]:
    key = f"tables.{mapped.name}"
    found = live[mapped.database].get(mapped.name)
    if found is None:
        yield f"{key}: table {mapped.name!r} does not exist in database {mapped.database!r}"
        return
    for column in mapped.columns:
        if column.name not in found.columns:
            yield f"{key}.columns.{column.name}: column does not exist in table {mapped.name!r}"
    if all(c in found.columns for c in mapped.key) and tuple(mapped.key) not in found.unique:
        yield f"{key}.key: {', '.join(mapped.key)} is neither the primary key nor unique, so rows cannot be told apart"
    for identity in mapped.identity:
        if identity.column in found.columns and (identity.column,) not in found.indexed_prefixes:
            yield f"{key}.identity.{identity.column}: no index; finding a person would scan the whole table"
    for index, link in enumerate(mapped.links):
        yield from _check_link(f"{key}.links[{index}]", datamap, mapped, found, link.columns, link.table, live)
    yield from _check_erasure(key, mapped, found)


def _check_link(
    key: str,
    datamap: DataMap,
    mapped: Table,
    found: _LiveTable,
    columns: tuple[str, ...],
    parent_name: str,
    live: Mapping[str, Mapping[str, _LiveTable | None]],
) -> Iterator[str]:
    parent = datamap.table(parent_name)
    parent_live = live.get(parent.database, {}).get(parent_name)
    if parent_live is None:
        return  # the parent's own check reports the missing table (or its unreachable database)
    if any(c not in found.columns for c in columns):
        return  # reported as a missing column
    if tuple(columns) not in found.indexed_prefixes:
        yield f"{key}.columns: no index on {', '.join(columns)}; following this link would scan the whole table"
    for child_column, parent_column in zip(columns, parent.key, strict=False):
        if parent_column not in parent_live.columns:
            continue
        child_type = _kind(found.columns[child_column]["type"])
        parent_type = _kind(parent_live.columns[parent_column]["type"])
        if child_type != parent_type:
            yield (
                f"{key}.columns: {mapped.name}.{child_column} ({child_type}) does not match "
                f"{parent_name}.{parent_column} ({parent_type})"
            )


def _check_erasure(key: str, mapped: Table, found: _LiveTable) -> Iterator[str]:
    if mapped.deletes_rows:
        return  # the whole row goes; column rules do not run
    for column in mapped.columns:
        live_column = found.columns.get(column.name)
        if live_column is None:
            continue
        method = column.erasure.method
        if method is ErasureMethod.SET_NULL and not live_column.get("nullable", True):
            yield f"{key}.columns.{column.name}.erasure: set_null on a NOT NULL column would fail"
        if method is ErasureMethod.KEYED_HASH:
            length = getattr(live_column["type"], "length", None)
            if _kind(live_column["type"]) != "text" or (length is not None and length < HASH_LENGTH):
                yield f"{key}.columns.{column.name}.erasure: keyed_hash needs a text column of {HASH_LENGTH}+ chars"
    flag = mapped.restriction_flag
    if flag is not None and flag in found.columns and _kind(found.columns[flag]["type"]) not in ("bool", "int"):
        yield f"{key}.restriction_flag: {flag!r} is not a boolean column"


def _check_suppression(datamap: DataMap, live: Mapping[str, Mapping[str, _LiveTable | None]]) -> Iterator[str]:
    target = datamap.suppression
    if target is None or target.database not in live:
        return
    found = live[target.database].get(target.table)
    if found is None:
        yield f"suppression.table: table {target.table!r} does not exist in database {target.database!r}"
        return
    for field in ("hash_column", "channel_column", "date_column"):
        name = getattr(target, field)
        if name not in found.columns:
            yield f"suppression.{field}: column {name!r} does not exist in table {target.table!r}"


def _kind(sql_type: Any) -> str:
    """A coarse type family, so INTEGER matches BIGINT and VARCHAR(20) matches TEXT."""
    try:
        python_type = sql_type.python_type
    except NotImplementedError:
        return type(sql_type).__name__.lower()
    if python_type is bool:
        return "bool"
    if python_type is int:
        return "int"
    if python_type is str:
        return "text"
    return str(python_type.__name__)
