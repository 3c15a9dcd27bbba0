"""The data map: where the controller keeps personal data and what each right does to it.

A data map describes the controller's own databases so that requests can be
carried out there: which rows belong to a data subject, what category and purpose each
column serves (Art. 15(1)(a),(b)), whether the person provided it (Art. 20), what erasure
does to it (Art. 17), how long it must be kept despite erasure (Art. 17(3)(b),(e)), how
processing is restricted (Art. 18) and where marketing consent lives (Art. 7(3), 21(3)).

Standard library only. Loaded from TOML by ``workflows.adapters.datamap_loader.load_datamap``;
rows are found by ``workflows.adapters.connectors.subject_finder.find_subject_rows``.

How rows link to a person
-------------------------
A table row belongs to the data subject when

* one of its identity columns (:class:`IdentityColumn`) equals an identifier the person gave
  (e-mail, phone, personal code, customer id, loyalty card number, e-shop login), compared
  after :func:`normalise_identifier`; or
* one of its links (:class:`Link`, a foreign key to the *key* of another mapped table) points
  at a row that belongs to the person -- several hops deep (order_lines -> orders -> customers);
* or, only for links marked ``identifies_parent``, a row of the *child* table matched directly
  and the link points at the parent row (a loyalty card number identifies its customer).
  Links are not followed upwards otherwise: a delivery to someone's phone must never pull in
  the customer who ordered the parcel.

Retention
---------
A table either has its own :class:`TableRetention` (a rule id from the controller profile,
counted from a date column of the table, from the date itself or from the end of that
financial year), or follows a linked parent table (``retention_follows``): its rows are kept
exactly as long as the parent row is (order lines with their order). Rows still inside their
period are kept by erasure and restricted; rows past it are erased.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from hashlib import sha256

from workflows.domain.errors import WorkflowError
from workflows.domain.profile import Period


class IdentifierKind(StrEnum):
    """Kinds of identifier a person can be found by; keys of the ``identifiers`` mapping."""

    EMAIL = "email"
    PHONE = "phone"
    PERSONAL_CODE = "personal_code"
    """Latvian personal identity code, normalised to ``DDMMYY-NNNNN``."""
    CUSTOMER_ID = "customer_id"
    LOYALTY_CARD = "loyalty_card"
    LOGIN = "login"
    """E-shop user name."""


class ErasureMethod(StrEnum):
    """What erasure (Art. 17) does to a column."""

    DELETE_ROW = "delete_row"
    """Delete the whole row; any column with this method makes the row deleted."""
    SET_NULL = "set_null"
    REPLACE = "replace"
    """Overwrite with a fixed value (``ErasureRule.replacement``), e.g. "dzēsts"."""
    KEYED_HASH = "keyed_hash"
    """HMAC-SHA256 with a secret from the environment: the same person still matches for
    suppression (Art. 21(3)) but the value cannot be read back."""
    KEEP = "keep"
    """Leave the value; with ``legal_hold`` it is kept under that hold (Art. 17(3)(e))."""


class RetentionStart(StrEnum):
    """From when a retention period is counted."""

    DATE = "date"
    """From the date in the column itself (e.g. 2 years from the date of purchase)."""
    END_OF_YEAR = "end_of_year"
    """From the end of that financial year (Accounting Law s.28; calendar year assumed)."""


class MarketingChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True)
class DatabaseRef:
    """A database reached through SQLAlchemy; the URL never holds a password in the file.

    Exactly one of ``url`` (a password-less URL, e.g. SQLite) and ``url_env`` (the name of an
    environment variable holding the URL) is set.
    """

    name: str
    url: str | None = None
    url_env: str | None = None


@dataclass(frozen=True)
class ErasureRule:
    method: ErasureMethod
    replacement: str | None = None
    """The fixed value for ``REPLACE``."""
    legal_hold: str | None = None
    """For ``KEEP``: the id of a legal hold in the controller profile."""


@dataclass(frozen=True)
class Column:
    """A column holding personal data (or a key the export must show)."""

    name: str
    category: str
    """Id of a data category in the controller profile (Art. 15(1)(b))."""
    purposes: tuple[str, ...]
    """Ids of purposes in the controller profile (Art. 15(1)(a))."""
    provided: bool
    """Provided by the person or observed from their use (Art. 20 portability); derived
    data such as scores or segments is not."""
    erasure: ErasureRule


@dataclass(frozen=True)
class IdentityColumn:
    """A column that identifies the person directly, holding a normalised identifier."""

    column: str
    kind: IdentifierKind


@dataclass(frozen=True)
class Link:
    """A foreign key from ``columns`` of this table to the key of mapped table ``table``."""

    columns: tuple[str, ...]
    table: str
    identifies_parent: bool = False
    """A direct match on this table also identifies the parent row (card -> customer)."""


@dataclass(frozen=True)
class TableRetention:
    """Rows are kept for the profile's rule ``rule`` counted from ``date_column``."""

    rule: str
    date_column: str
    start: RetentionStart = RetentionStart.DATE


@dataclass(frozen=True)
class Table:
    name: str
    database: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    identity: tuple[IdentityColumn, ...] = ()
    links: tuple[Link, ...] = ()
    retention: TableRetention | None = None
    retention_follows: str | None = None
    """Name of a linked table whose rows' retention these rows share."""
    restriction_flag: str | None = None
    """Boolean column set to true while processing is restricted (Art. 18)."""
    consents: Mapping[MarketingChannel, str] = field(default_factory=dict)
    """Boolean marketing-consent column per channel, cleared on objection or withdrawal."""

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise UnknownDataMapEntry("column", f"{self.name}.{name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def deletes_rows(self) -> bool:
        """Erasure deletes whole rows when any column says so."""
        return any(column.erasure.method is ErasureMethod.DELETE_ROW for column in self.columns)

    def link_to(self, table: str) -> Link:
        for link in self.links:
            if link.table == table:
                return link
        raise UnknownDataMapEntry("link", f"{self.name} -> {table}")


@dataclass(frozen=True)
class SuppressionList:
    """Where minimal suppression entries go (Art. 21(3), 17): keyed hash, channel, date."""

    database: str
    table: str
    hash_column: str
    channel_column: str
    date_column: str


@dataclass(frozen=True)
class DataMap:
    databases: tuple[DatabaseRef, ...]
    tables: tuple[Table, ...]
    hash_secret_env: str
    """Environment variable holding the HMAC secret for keyed hashes."""
    suppression: SuppressionList | None = None

    def table(self, name: str) -> Table:
        for table in self.tables:
            if table.name == name:
                return table
        raise UnknownDataMapEntry("table", name)

    def database(self, name: str) -> DatabaseRef:
        for database in self.databases:
            if database.name == name:
                return database
        raise UnknownDataMapEntry("database", name)

    def effective_retention(self, table_name: str) -> TableRetention | None:
        """The table's own retention, or that of the table it follows (transitively)."""
        table, seen = self.table(table_name), {table_name}
        while table.retention is None and table.retention_follows is not None:
            if table.retention_follows in seen:
                return None
            seen.add(table.retention_follows)
            table = self.table(table.retention_follows)
        return table.retention

    def link_order(self) -> tuple[str, ...]:
        """Table names with every link target before the tables linking to it."""
        ordered: list[str] = []
        placed: set[str] = set()
        remaining = list(self.tables)
        while remaining:
            ready = [t for t in remaining if all(link.table in placed or link.table == t.name for link in t.links)]
            if not ready:  # a cycle; the loader rejects these, keep the rest in file order
                ready = remaining[:1]
            for table in ready:
                ordered.append(table.name)
                placed.add(table.name)
                remaining.remove(table)
        return tuple(ordered)


class UnknownDataMapEntry(WorkflowError):
    """Code asked the data map for a table, column, link or database it does not define."""

    def __init__(self, kind: str, name: str) -> None:
        super().__init__(f"the data map has no {kind} {name!r}", kind=kind, name=name)
        self.kind = kind
        self.name = name


def kept_until(start: date, period: Period, counted_from: RetentionStart) -> date:
    """The last day a row must be kept: ``period`` after ``start`` or after its year's end."""
    if counted_from is RetentionStart.END_OF_YEAR:
        start = date(start.year, 12, 31)
    return period.add_to(start)


_PERSONAL_CODE = re.compile(r"^(\d{6})-?(\d{5})$")


def normalise_identifier(kind: IdentifierKind | str, value: str) -> str:
    """The form identity columns hold: e-mail and login lower-case, phone +371..., personal code
    DDMMYY-NNNNN, loyalty card digits without spaces; other kinds as given (trimmed)."""
    value = value.strip()
    match IdentifierKind(kind):
        case IdentifierKind.EMAIL:
            return value.lower()
        case IdentifierKind.PHONE:
            digits = re.sub(r"[\s\-().]", "", value)
            if digits.startswith("00"):
                digits = "+" + digits[2:]
            if re.fullmatch(r"[26]\d{7}", digits):  # a Latvian number written without +371
                digits = "+371" + digits
            return digits
        case IdentifierKind.PERSONAL_CODE:
            found = _PERSONAL_CODE.match(value.replace(" ", ""))
            return f"{found.group(1)}-{found.group(2)}" if found else value
        case IdentifierKind.LOGIN:
            return value.lower()
        case IdentifierKind.LOYALTY_CARD:
            return re.sub(r"[\s\-]", "", value)  # printed cards group digits with spaces
        case _:
            return value


def keyed_hash(secret: bytes, kind: IdentifierKind | str, value: str) -> str:
    """HMAC-SHA256 hex of the normalised identifier, used for erasure and suppression.

    The kind is part of the message so an e-mail and a phone never collide; the same person's
    identifier always gives the same hash, so a suppression entry still matches (Art. 21(3)).
    """
    kind = IdentifierKind(kind)
    message = f"{kind.value}:{normalise_identifier(kind, value)}".encode()
    return hmac.new(secret, message, sha256).hexdigest()
