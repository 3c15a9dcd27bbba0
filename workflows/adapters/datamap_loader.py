"""Load a data map from TOML, reporting every problem at once.

``load_datamap(path, profile)`` returns a :class:`workflows.domain.datamap.DataMap` or raises
``ConfigurationError`` whose ``problems`` lists each problem as ``<file>: <key path>: <problem>``,
e.g. ``datamap.toml: tables.orders.links[0].table: links to 'customer', which is not a mapped
table``. Unknown keys are errors. Besides the shape, it checks the ids against the controller
profile (categories, purposes, retention rules, legal holds) and the map against itself (links
to unmapped tables, link cycles, rules naming columns the map does not list).

The file (see rightsdesk/examples/shop/datamap.toml)::

    hash_secret_env = "SHOP_HASH_SECRET"          # HMAC secret for keyed hashes
    [databases.shop]
    url_env = "SHOP_DATABASE_URL"                  # or url = "sqlite:///shop.db" (no password)
    [suppression]
    database = "shop"; table = "marketing_suppression"
    hash_column = "identifier_hash"; channel_column = "channel"; date_column = "suppressed_at"
    [tables.orders]
    database = "shop"; key = ["id"]
    category = "purchases"; purposes = ["sales"]   # defaults for the columns below
    provided = true; erasure = "set_null"          # defaults for the columns below
    identity = { contact_email = "email" }         # column -> identifier kind
    retention = { rule = "consumer_claims", date_column = "placed_at", start = "date" }
    # or: retention_follows = "orders" (a linked table whose retention rows share)
    restriction_flag = "processing_restricted"
    consents = { email = "newsletter_email", sms = "newsletter_sms" }
    links = [{ columns = ["customer_id"], table = "customers" }]
    [tables.orders.columns]
    id = { erasure = "keep" }
    contact_email = { category = "contact", erasure = "keyed_hash" }
    total_cents = {}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from workflows.adapters.toml_files import key_path, read_toml
from workflows.domain.datamap import (
    Column,
    DatabaseRef,
    DataMap,
    ErasureMethod,
    ErasureRule,
    IdentifierKind,
    IdentityColumn,
    Link,
    MarketingChannel,
    RetentionStart,
    SuppressionList,
    Table,
    TableRetention,
)
from workflows.domain.errors import ConfigurationError
from workflows.domain.profile import ControllerProfile

Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatabaseSchema(_Section):
    url: str | None = None
    url_env: Name | None = None


class SuppressionSchema(_Section):
    database: Name
    table: Name
    hash_column: Name
    channel_column: Name
    date_column: Name


class ColumnSchema(_Section):
    category: Name | None = None
    purposes: list[Name] | None = None
    provided: bool | None = None
    erasure: ErasureMethod | None = None
    replacement: str | None = None
    legal_hold: Name | None = None


class LinkSchema(_Section):
    columns: list[Name] = Field(min_length=1)
    table: Name
    identifies_parent: bool = False


class RetentionSchema(_Section):
    rule: Name
    date_column: Name
    start: RetentionStart = RetentionStart.DATE


class TableSchema(_Section):
    database: Name
    key: list[Name] = Field(min_length=1)
    category: Name | None = None
    purposes: list[Name] = []
    provided: bool = True
    erasure: ErasureMethod = ErasureMethod.SET_NULL
    identity: dict[Name, IdentifierKind] = {}
    links: list[LinkSchema] = []
    retention: RetentionSchema | None = None
    retention_follows: Name | None = None
    restriction_flag: Name | None = None
    consents: dict[MarketingChannel, Name] = {}
    columns: dict[Name, ColumnSchema] = Field(min_length=1)


class DataMapSchema(_Section):
    hash_secret_env: Name
    databases: dict[Name, DatabaseSchema] = Field(min_length=1)
    suppression: SuppressionSchema | None = None
    # Tables are validated one by one so that one broken table does not hide the others.
    tables: dict[Name, dict[str, Any]] = Field(min_length=1)


def load_datamap(path: Path, profile: ControllerProfile) -> DataMap:
    """Read, validate and cross-check the data map at ``path`` against ``profile``.

    Raises ConfigurationError whose ``problems`` lists every problem found.
    """
    where = str(path)
    raw = read_toml(path)
    return datamap_from_mapping(raw, profile, where)


def datamap_from_mapping(raw: Mapping[str, object], profile: ControllerProfile, where: str = "<datamap>") -> DataMap:
    """Validate an already parsed data map; ``where`` prefixes every problem."""
    problems: list[str] = []
    document: DataMapSchema | None = None
    try:
        document = DataMapSchema.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_describe(error) for error in exc.errors(include_url=False))
    tables: dict[str, TableSchema] = {}
    raw_tables = raw.get("tables")
    if isinstance(raw_tables, Mapping):
        for name, body in raw_tables.items():
            try:
                tables[str(name)] = TableSchema.model_validate(body)
            except ValidationError as exc:
                problems.extend(_describe(error, ("tables", str(name))) for error in exc.errors(include_url=False))
    if document is not None:
        problems.extend(_check_databases(document))
    problems.extend(_check_tables(tables, set(raw_tables) if isinstance(raw_tables, Mapping) else set(), document))
    problems.extend(_check_profile(tables, profile))
    if problems or document is None:
        problems = [f"{where}: {problem}" for problem in problems]
        raise ConfigurationError(f"{where}: the data map has {len(problems)} problem(s)", problems=problems, path=where)
    return _to_domain(document, tables)


# --- plain-words pydantic errors -----------------------------------------------------------


def _describe(error: ErrorDetails, prefix: tuple[str, ...] = ()) -> str:
    loc = [*prefix, *(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))]
    key, kind, ctx = key_path(loc), error["type"], error.get("ctx", {})
    if kind == "extra_forbidden":
        return f"{key}: unknown key"
    if kind == "missing":
        return f"{key}: required key is missing"
    if kind == "enum":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"{key}: must be one of {expected} (got {error.get('input')!r})"
    if kind == "string_pattern_mismatch":
        return f"{key}: must be a plain SQL name (letters, digits, underscores) (got {error.get('input')!r})"
    return f"{key}: {error['msg']} (got {error.get('input')!r})"


# --- cross-checks --------------------------------------------------------------------------


def _check_databases(document: DataMapSchema) -> Iterator[str]:
    for name, database in document.databases.items():
        key = f"databases.{name}"
        if (database.url is None) == (database.url_env is None):
            yield f"{key}: give exactly one of url and url_env"
        elif database.url is not None:
            try:
                url = make_url(database.url)
            except ArgumentError:
                yield f"{key}.url: not a SQLAlchemy URL"
                continue
            if url.password is not None:
                yield f"{key}.url: holds a password; put the URL in an environment variable and name it in url_env"
    suppression = document.suppression
    if suppression is not None and suppression.database not in document.databases:
        yield f"suppression.database: unknown database {suppression.database!r}"


def _check_tables(
    tables: Mapping[str, TableSchema], all_names: set[str], document: DataMapSchema | None
) -> Iterator[str]:
    databases = set(document.databases) if document is not None else None
    for name, table in tables.items():
        key = f"tables.{name}"
        mapped = set(table.columns)
        if databases is not None and table.database not in databases:
            yield f"{key}.database: unknown database {table.database!r}"
        for where, column in _named_columns(table):
            if column not in mapped:
                yield f"{key}.{where}: column {column!r} is not listed in {key}.columns"
        yield from _check_links(key, table, tables, all_names, mapped)
        yield from _check_retention_follows(key, table, tables)
        yield from _check_erasure(key, table)
        if not table.identity and not table.links:
            yield f"{key}: has neither identity columns nor links, so no row can be tied to a person"
    yield from _check_cycles(tables)


def _named_columns(table: TableSchema) -> Iterator[tuple[str, str]]:
    """(key path, column) for every rule of the table that names one of its columns."""
    for index, column in enumerate(table.key):
        yield f"key[{index}]", column
    for column in table.identity:
        yield f"identity.{column}", column
    for channel, column in table.consents.items():
        yield f"consents.{channel.value}", column
    if table.restriction_flag is not None:
        yield "restriction_flag", table.restriction_flag
    if table.retention is not None:
        yield "retention.date_column", table.retention.date_column


def _check_links(
    key: str, table: TableSchema, tables: Mapping[str, TableSchema], all_names: set[str], mapped: set[str]
) -> Iterator[str]:
    for index, link in enumerate(table.links):
        where = f"{key}.links[{index}]"
        for position, column in enumerate(link.columns):
            if column not in mapped:
                yield f"{where}.columns[{position}]: column {column!r} is not listed in {key}.columns"
        if link.table not in all_names:
            yield f"{where}.table: links to {link.table!r}, which is not a mapped table"
            continue
        target = tables.get(link.table)
        if target is not None and len(target.key) != len(link.columns):
            yield (
                f"{where}.columns: {len(link.columns)} column(s) cannot match the key of {link.table!r} "
                f"({len(target.key)} column(s))"
            )


def _check_retention_follows(key: str, table: TableSchema, tables: Mapping[str, TableSchema]) -> Iterator[str]:
    follows = table.retention_follows
    if follows is None:
        return
    if table.retention is not None:
        yield f"{key}.retention_follows: give either retention or retention_follows, not both"
    elif follows not in {link.table for link in table.links}:
        yield f"{key}.retention_follows: {follows!r} is not a table this table links to"
    elif follows in tables and tables[follows].retention is None and tables[follows].retention_follows is None:
        yield f"{key}.retention_follows: {follows!r} has no retention of its own to follow"


def _check_erasure(key: str, table: TableSchema) -> Iterator[str]:
    for name, column in table.columns.items():
        where = f"{key}.columns.{name}"
        method = column.erasure or table.erasure
        if method is ErasureMethod.REPLACE and column.replacement is None:
            yield f"{where}.replacement: required when erasure is 'replace'"
        if column.replacement is not None and method is not ErasureMethod.REPLACE:
            yield f"{where}.replacement: only used when erasure is 'replace'"
        if column.legal_hold is not None and method is not ErasureMethod.KEEP:
            yield f"{where}.legal_hold: only used when erasure is 'keep'"
        if name in table.key and method in (ErasureMethod.SET_NULL, ErasureMethod.REPLACE, ErasureMethod.KEYED_HASH):
            yield f"{where}.erasure: a key column cannot be overwritten; use 'keep' or 'delete_row'"


def _check_cycles(tables: Mapping[str, TableSchema]) -> Iterator[str]:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    reported: set[frozenset[str]] = set()

    def visit(name: str, path: list[str]) -> Iterator[str]:
        state[name] = 1
        for link in tables[name].links:
            target = link.table
            if target not in tables:
                continue
            if target == name:
                yield f"tables.{name}.links: links to itself"
                continue
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                if frozenset(cycle) not in reported:
                    reported.add(frozenset(cycle))
                    yield f"tables.{name}.links: cycle of links {' -> '.join(cycle)}"
            elif target not in state:
                yield from visit(target, [*path, target])
        state[name] = 2

    for name in tables:
        if name not in state:
            yield from visit(name, [name])


def _check_profile(tables: Mapping[str, TableSchema], profile: ControllerProfile) -> Iterator[str]:
    categories = {c.id for c in profile.categories}
    purposes = {p.id for p in profile.purposes}
    rules = {r.id for r in profile.retention_rules}
    holds = {h.id for h in profile.legal_holds}
    for name, table in tables.items():
        key = f"tables.{name}"
        if table.category is not None and table.category not in categories:
            yield f"{key}.category: unknown category {table.category!r} in the controller profile"
        for index, purpose in enumerate(table.purposes):
            if purpose not in purposes:
                yield f"{key}.purposes[{index}]: unknown purpose {purpose!r} in the controller profile"
        if table.retention is not None and table.retention.rule not in rules:
            yield f"{key}.retention.rule: unknown retention rule {table.retention.rule!r} in the controller profile"
        for column_name, column in table.columns.items():
            where = f"{key}.columns.{column_name}"
            if column.category is None and table.category is None:
                yield f"{where}.category: required (or give a default category for the table)"
            elif column.category is not None and column.category not in categories:
                yield f"{where}.category: unknown category {column.category!r} in the controller profile"
            if column.purposes is None and not table.purposes:
                yield f"{where}.purposes: required (or give default purposes for the table)"
            for index, purpose in enumerate(column.purposes or ()):
                if purpose not in purposes:
                    yield f"{where}.purposes[{index}]: unknown purpose {purpose!r} in the controller profile"
            if column.legal_hold is not None and column.legal_hold not in holds:
                yield f"{where}.legal_hold: unknown legal hold {column.legal_hold!r} in the controller profile"


# --- conversion ----------------------------------------------------------------------------


def _to_domain(document: DataMapSchema, tables: Mapping[str, TableSchema]) -> DataMap:
    suppression = document.suppression
    return DataMap(
        databases=tuple(DatabaseRef(name, db.url, db.url_env) for name, db in document.databases.items()),
        tables=tuple(_table(name, table) for name, table in tables.items()),
        hash_secret_env=document.hash_secret_env,
        suppression=SuppressionList(**suppression.model_dump()) if suppression is not None else None,
    )


def _table(name: str, table: TableSchema) -> Table:
    columns = tuple(
        Column(
            name=column_name,
            category=column.category or table.category or "",
            purposes=tuple(column.purposes if column.purposes is not None else table.purposes),
            provided=column.provided if column.provided is not None else table.provided,
            erasure=ErasureRule(column.erasure or table.erasure, column.replacement, column.legal_hold),
        )
        for column_name, column in table.columns.items()
    )
    retention = table.retention
    return Table(
        name=name,
        database=table.database,
        key=tuple(table.key),
        columns=columns,
        identity=tuple(IdentityColumn(column, kind) for column, kind in table.identity.items()),
        links=tuple(Link(tuple(link.columns), link.table, link.identifies_parent) for link in table.links),
        retention=TableRetention(retention.rule, retention.date_column, retention.start) if retention else None,
        retention_follows=table.retention_follows,
        restriction_flag=table.restriction_flag,
        consents=MappingProxyType(dict(table.consents)),
    )
