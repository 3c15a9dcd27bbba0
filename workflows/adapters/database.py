"""Engines for the supported databases, with the settings each one needs.

SQLite (the embedded default) runs in WAL mode with foreign keys on, and every
transaction begins IMMEDIATE so that concurrent writers queue on the lock instead of
failing half-way. PostgreSQL is the production database; MariaDB is supported for
the controller's own data (data connectors).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, *, echo: bool = False, read_only: bool = False, **kwargs: Any) -> Engine:
    """An engine for ``url``. ``read_only`` engines serve queries: on SQLite their
    transactions begin DEFERRED, so a page or a health check never waits for a writer."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo, read_only=read_only, **kwargs)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Plain postgresql:// means psycopg 3 here, the driver we ship as the extra.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(parsed, echo=echo, pool_pre_ping=True, **kwargs)


def _sqlite_engine(url: str, *, echo: bool, read_only: bool, **kwargs: Any) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo, connect_args={"timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # FULL: a commit is on disk before we answer (SMTP 250, a chat reply). NORMAL
        # would survive a process crash but not a power cut; the legal clock deserves more.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        # SQLite's own lower() folds only A-Z, so a search for "šteins" missed "Šteins" and
        # "ēriks" missed "Ēriks" (Latvian names often start with Š, Ž, Ē, Ķ…). Python's
        # lower() folds every letter, as PostgreSQL's and MariaDB's LOWER() do.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    begin = "BEGIN" if read_only else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)

    return engine


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value
