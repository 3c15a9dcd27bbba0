"""Find requests by what staff type: a reference, an e-mail address or part of a name.

One search for the CLI (``rightsdesk requests --search``) and the console's request list, so
the same words find the same cases everywhere:

- a reference (``DSR-2026-000123``, any case) is looked up exactly;
- anything with an ``@`` is an e-mail address, looked up whole in the claimed and the
  verified address, in any case (indexed, see migration 0012);
- anything else is part of the claimed or the verified name, found through a trigram index:
  an FTS5 table with the ``trigram`` tokenizer on SQLite (kept in step with ``requests`` by
  triggers, see migration 0012) and ``pg_trgm`` GIN indexes on ``lower(name)`` on PostgreSQL.

Case is folded for every letter, Latvian ones included ("šteins" finds "Šteins", "ēriks"
finds "ĒRIKS"), on every database: FTS5 folds Unicode case itself, PostgreSQL's ``lower()``
follows the database's locale, and SQLite's ``lower()`` is Python's (adapters.database).
Diacritics are *not* folded: "kalnina" does not find "Kalniņa". SQLite 3.40's trigram
tokenizer cannot drop diacritics (``remove_diacritics`` for it arrived in 3.45) and
PostgreSQL's ``unaccent()`` is not immutable, so it cannot be indexed as it is; folding on one
database and not the other would make the same search give different answers. Staff type a
name with its marks as the person wrote it (ņ, ā, š are separate letters of the alphabet).

On SQLite a term found in very many names (a common surname) is served by walking the newest
requests and testing each, which stops once a page is full, instead of fetching and sorting
every match; see :meth:`RequestSearch._common_on_sqlite`. PostgreSQL's planner makes that
choice itself from the index statistics.

A trigram cannot hold fewer than three characters, and two letters anywhere in a name match
too much to be useful, so a one- or two-letter term matches the *start of a word* (of the name,
or after a space or a hyphen): "Št" finds "Šteins" and "Anna Štāle", not "Ošta". Two letters
are served by the index (names are indexed after a space, so " št" is a trigram); a single
letter is the scan, newest first, which stops as soon as a page is full. Where there is no
index (SQLite older than 3.34, a PostgreSQL without ``pg_trgm``, a MariaDB) every name search
is that scan, and a warning says so once per process.
"""

from __future__ import annotations

import logging
import math
import re
import sqlite3
import threading
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, column, func, or_, select, table, text

from workflows.adapters.orm import requests

logger = logging.getLogger(__name__)

MIN_TRIGRAM_TERM = 3
"""A trigram index finds substrings of at least this many characters."""

SQLITE_TRIGRAM_VERSION = (3, 34, 0)
"""The first SQLite with FTS5's ``trigram`` tokenizer."""

SQLITE_SEARCH_TABLE = "request_name_search"
"""FTS5 table (SQLite): one row per request, rowid = ``request_name_keys.search_rowid``."""

SQLITE_SEARCH_KEYS = "request_name_keys"
"""Request id to a stable FTS rowid (SQLite rowids of ``requests`` may change on VACUUM)."""

SQLITE_TRIGGERS = ("request_name_search_insert", "request_name_search_update", "request_name_search_delete")

EMAIL_COLUMNS = ("claimed_email", "verified_email")

POSTGRES_TRIGRAM_INDEXES = ("ix_requests_claimed_name_trgm", "ix_requests_verified_name_trgm")

INDEX_OBJECTS = frozenset(
    {
        SQLITE_SEARCH_TABLE,
        SQLITE_SEARCH_KEYS,
        *(f"{SQLITE_SEARCH_TABLE}_{shadow}" for shadow in ("data", "idx", "content", "docsize", "config")),
        *POSTGRES_TRIGRAM_INDEXES,
        *(f"ix_requests_{column}_{kind}" for column in EMAIL_COLUMNS for kind in ("nocase", "lower")),
    }
)
"""Database objects of the search indexes that ``workflows.adapters.orm`` does not describe
(an FTS5 table is no SQLAlchemy table, the expression indexes differ per database); schema
comparisons skip them by name."""

_REFERENCE = re.compile(r"^[A-Za-z]{2,5}-\d{4}-\d{1,9}$")

_search_table = table(SQLITE_SEARCH_TABLE, column("rowid"))
_search_keys = table(SQLITE_SEARCH_KEYS, column("search_rowid"), column("request_id"))


def sqlite_has_trigram(version: str = sqlite3.sqlite_version) -> bool:
    return tuple(int(part) for part in version.split(".")[:3]) >= SQLITE_TRIGRAM_VERSION


def include_name(name: str | None, type_: str, _parent_names: Any = None) -> bool:
    """An Alembic ``include_name`` hook: leave the name index's own objects alone."""
    return not (type_ in {"table", "index"} and name in INDEX_OBJECTS)


def _escaped(needle: str) -> str:
    return needle.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _name_like(needle: str) -> ColumnElement[bool]:
    """The name condition by ``LIKE`` on ``lower(name)``: what pg_trgm's indexes serve, and the
    scan everywhere else. ``lower`` folds every letter (see the module docstring). A term
    shorter than a trigram matches the start of a word (after a space or a hyphen)."""
    term = _escaped(needle)
    patterns = [f"%{term}%"] if len(needle) >= MIN_TRIGRAM_TERM else [f"{term}%", f"% {term}%", f"%-{term}%"]
    return or_(
        *(
            func.lower(name).like(pattern, escape="\\")
            for name in (requests.c.claimed_name, requests.c.verified_name)
            for pattern in patterns
        )
    )


def _fts_phrase(needle: str) -> str:
    """An FTS5 phrase: the term as one string (quotes doubled), so no query syntax applies."""
    return '"' + needle.replace('"', '""') + '"'


def _fts_query(needle: str) -> str | None:
    """The FTS5 query for a name term, or ``None`` if the index cannot serve it. Names are
    stored after a space (migration 0012), so a two-letter word start is a trigram too."""
    if len(needle) >= MIN_TRIGRAM_TERM:
        return _fts_phrase(needle)
    if len(needle) == MIN_TRIGRAM_TERM - 1:
        return f"{_fts_phrase(' ' + needle)} OR {_fts_phrase('-' + needle)}"
    return None


def _sqlite_names(fts_query: str) -> ColumnElement[bool]:
    matches = (
        select(_search_keys.c.request_id)
        .join(_search_table, _search_table.c.rowid == _search_keys.c.search_rowid)
        .where(text(f"{SQLITE_SEARCH_TABLE} MATCH :name_query").bindparams(name_query=fts_query))
    )
    return requests.c.id.in_(matches)


_COMMON_FACTOR = 70
_MIN_COMMON = 200
# The FTS rowids are an INTEGER PRIMARY KEY: max() is one b-tree descent, and close to the row
# count (deleted cases leave gaps, which only err towards the index).
_approximate_rows = text("SELECT max(search_rowid) FROM request_name_keys")
_bounded_match_count = text(
    "SELECT count(*) FROM (SELECT 1 FROM request_name_search WHERE request_name_search MATCH :query LIMIT :limit)"
)


def _email(needle: str, dialect: str) -> ColumnElement[bool]:
    """Either address, in any case, through migration 0012's e-mail indexes. Domains are
    case-insensitive (RFC 5321 §2.4); a local part may in principle be case-sensitive, but
    mailbox providers treat it as not, and a staff search that shows both spellings only
    shows more cases to check: it answers no one."""
    columns = (requests.c.claimed_email, requests.c.verified_email)
    if dialect == "sqlite":
        # NOCASE folds ASCII only; the exact and lower-case spellings catch other letters.
        # "IS NOT NULL" spelt out: SQLite's indexes are partial.
        spellings = sorted({needle, needle.lower()})
        return or_(*(and_(c.is_not(None), c.collate("NOCASE").in_(spellings)) for c in columns))
    return or_(*(func.lower(c) == needle.lower() for c in columns))


class RequestSearch:
    """Turns a search term into a condition on ``requests``, using the name index this
    database has. Which index exists is looked up once, on the first name search."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._indexed: bool | None = None
        self._lock = threading.Lock()

    def condition(self, typed: str | None) -> ColumnElement[bool] | None:
        """The rows ``typed`` finds, or ``None`` for an empty term (no filter)."""
        needle = (typed or "").strip()
        if not needle:
            return None
        if _REFERENCE.match(needle):
            return requests.c.reference == needle.upper()
        if "@" in needle:
            return _email(needle, self._engine.dialect.name)
        fts_query = _fts_query(needle)
        if fts_query is not None and self._engine.dialect.name == "sqlite" and self.indexed():
            return _name_like(needle) if self._common_on_sqlite(fts_query) else _sqlite_names(fts_query)
        if self._engine.dialect.name == "postgresql":
            self.indexed()  # warns once when pg_trgm is missing; the query is the same
        return _name_like(needle)

    def _common_on_sqlite(self, fts_query: str) -> bool:
        """Whether so many names match ``fts_query`` that walking the newest requests and
        testing each is cheaper than fetching and sorting every match from the index.

        Lists are newest first (or by due date) and a page is ~50 rows. Through the index, the
        cost grows with the number of matches M (each is looked up and sorted); walking the
        list, with N/M (rows read per match found). Both cost the same at M ≈ √(70·N) on this
        SQLite (measured: ~2.5 µs per match sorted, ~3.5 µs per row tested, 51 rows a page),
        ~2,600 matches among 100,000 requests; either way a page then takes a few ms. Counting
        up to that many matches in the FTS index is cheap (under 1 ms)."""
        with self._engine.connect() as connection:
            rows = connection.execute(_approximate_rows).scalar() or 0
            threshold = max(_MIN_COMMON, math.isqrt(_COMMON_FACTOR * int(rows)))
            matches = connection.execute(
                _bounded_match_count, {"query": fts_query, "limit": threshold + 1}
            ).scalar_one()
        return int(matches) > threshold

    def indexed(self) -> bool:
        """Whether this database has the trigram name index (warns once if not)."""
        if self._indexed is None:
            with self._lock:
                if self._indexed is None:
                    self._indexed = self._look_up_index()
        return self._indexed

    def _look_up_index(self) -> bool:
        dialect = self._engine.dialect.name
        with self._engine.connect() as connection:
            if dialect == "sqlite":
                # The table and its triggers all start with the table's name.
                present = set(
                    connection.execute(
                        text("SELECT name FROM sqlite_master WHERE substr(name, 1, :length) = :name"),
                        {"length": len(SQLITE_SEARCH_TABLE), "name": SQLITE_SEARCH_TABLE},
                    ).scalars()
                )
                if SQLITE_SEARCH_TABLE not in present:
                    remedy = (
                        "run `rightsdesk db upgrade`"
                        if sqlite_has_trigram()
                        else "FTS5's trigram tokenizer needs SQLite 3.34 or later, then `rightsdesk db upgrade`"
                    )
                    logger.warning(
                        "name search scans every request: no FTS5 trigram index (SQLite %s; %s)",
                        sqlite3.sqlite_version,
                        remedy,
                    )
                    return False
                if not present.issuperset(SQLITE_TRIGGERS):
                    # A batch migration that recreated ``requests`` dropped them: the index is stale.
                    logger.warning(
                        "name search scans every request: the triggers that keep %s in step with "
                        "requests are missing (recreate them as migration 0012 does)",
                        SQLITE_SEARCH_TABLE,
                    )
                    return False
                return True
            if dialect == "postgresql":
                found = connection.execute(
                    text("SELECT to_regclass(:name)"), {"name": POSTGRES_TRIGRAM_INDEXES[0]}
                ).scalar()
                if found is None:
                    logger.warning(
                        "name search scans every request: no pg_trgm index on requests (the "
                        "pg_trgm extension was not available to migration 0012; have a superuser "
                        "run CREATE EXTENSION pg_trgm, then create the indexes as migration 0012 does)"
                    )
                return found is not None
        return False  # MariaDB and others: LIKE, as the engine's tables are not kept there
