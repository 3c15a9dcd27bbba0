"""search by part of a name through a trigram index, by e-mail address in any case

Staff find a request by part of a name (workflows.adapters.request_search). Before this, that
was a scan of every request.

- SQLite (3.34 or later): an FTS5 table with the ``trigram`` tokenizer holds the claimed and
  the verified name of each request; triggers on ``requests`` keep it in step on insert,
  update and delete, so a name changed or blanked by a purge leaves the index too. Its rowid
  comes from ``request_name_keys`` (an INTEGER PRIMARY KEY, which VACUUM never renumbers, as
  it may the implicit rowid of ``requests``). Note for later migrations: a batch migration
  that recreates ``requests`` on SQLite drops these triggers and must create them again; the
  search then falls back to the scan (it checks the triggers) rather than answer from a stale
  index.
- PostgreSQL: GIN ``gin_trgm_ops`` indexes on ``lower(claimed_name)`` and
  ``lower(verified_name)``, which serve ``lower(name) LIKE '%…%'``. ``pg_trgm`` is installed
  if missing (a trusted extension since PostgreSQL 13: a role with CREATE on the database may
  install it; otherwise it needs a superuser); without it the indexes are skipped with a warning and the search scans.
- Older SQLite, other databases: nothing; the search scans.
- E-mail addresses are looked up regardless of case through ``claimed_email COLLATE NOCASE``
  and ``verified_email COLLATE NOCASE`` indexes (SQLite) or ``lower(...)`` ones (PostgreSQL).

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op
from sqlalchemy.exc import DBAPIError, OperationalError

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

logger = logging.getLogger("workflows.migrations.0012")

_TRIGGERS = ("request_name_search_insert", "request_name_search_update", "request_name_search_delete")
_PG_INDEXES = {"ix_requests_claimed_name_trgm": "claimed_name", "ix_requests_verified_name_trgm": "verified_name"}

# Plain SQL, spelt out: a migration must not change when the code around it does.
# Each name is stored after a space, so that the start of a name is a word start like any
# other: a two-letter term ("Št") becomes the three-character phrase " št" (or "-št") that
# the trigram index can serve (workflows.adapters.request_search).
_SQLITE_UP = (
    "CREATE TABLE request_name_keys (search_rowid INTEGER PRIMARY KEY, request_id VARCHAR(32) NOT NULL UNIQUE)",
    "CREATE VIRTUAL TABLE request_name_search USING fts5(claimed_name, verified_name, tokenize = 'trigram')",
    "INSERT INTO request_name_keys (request_id) SELECT id FROM requests",
    """INSERT INTO request_name_search (rowid, claimed_name, verified_name)
    SELECT k.search_rowid, ' ' || r.claimed_name, ' ' || r.verified_name
    FROM requests r JOIN request_name_keys k ON k.request_id = r.id""",
    """CREATE TRIGGER request_name_search_insert AFTER INSERT ON requests BEGIN
        INSERT INTO request_name_keys (request_id) VALUES (new.id);
        INSERT INTO request_name_search (rowid, claimed_name, verified_name) VALUES (
            (SELECT search_rowid FROM request_name_keys WHERE request_id = new.id),
            ' ' || new.claimed_name, ' ' || new.verified_name);
    END""",
    # Only when a name (or the id) really changes: every save of a request rewrites its row.
    """CREATE TRIGGER request_name_search_update AFTER UPDATE OF id, claimed_name, verified_name ON requests
    WHEN old.id IS NOT new.id OR old.claimed_name IS NOT new.claimed_name
        OR old.verified_name IS NOT new.verified_name
    BEGIN
        UPDATE request_name_keys SET request_id = new.id WHERE request_id = old.id;
        UPDATE request_name_search SET claimed_name = ' ' || new.claimed_name, verified_name = ' ' || new.verified_name
            WHERE rowid = (SELECT search_rowid FROM request_name_keys WHERE request_id = new.id);
    END""",
    """CREATE TRIGGER request_name_search_delete AFTER DELETE ON requests BEGIN
        DELETE FROM request_name_search
            WHERE rowid = (SELECT search_rowid FROM request_name_keys WHERE request_id = old.id);
        DELETE FROM request_name_keys WHERE request_id = old.id;
    END""",
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_upgrade(bind)
    elif bind.dialect.name == "postgresql":
        _postgres_upgrade(bind)
    for column in ("claimed_email", "verified_email"):
        # SQLite: NOCASE, its own ASCII folding, so any tool opening the file reads the index
        # alike (an index on the project's Unicode lower() would not be); partial, since an
        # index full of NULLs (most requests have no verified address) makes its planner
        # expect every row from a lookup. PostgreSQL: lower(), on every row, since its planner
        # takes no statistics from a partial expression index and then misjudges the lookup.
        if bind.dialect.name == "sqlite":
            op.execute(
                f"CREATE INDEX ix_requests_{column}_nocase ON requests ({column} COLLATE NOCASE)"
                f" WHERE {column} IS NOT NULL"
            )
        elif bind.dialect.name == "postgresql":
            op.execute(f"CREATE INDEX ix_requests_{column}_lower ON requests (lower({column}))")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for trigger in _TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS request_name_search")
        op.execute("DROP TABLE IF EXISTS request_name_keys")
    elif bind.dialect.name == "postgresql":
        for name in _PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        # pg_trgm stays: extensions are per database and other schemas may use it.
    for column in ("claimed_email", "verified_email"):
        op.execute(f"DROP INDEX IF EXISTS ix_requests_{column}_nocase")
        op.execute(f"DROP INDEX IF EXISTS ix_requests_{column}_lower")


def _sqlite_upgrade(bind: sa.Connection) -> None:
    version = str(bind.exec_driver_sql("SELECT sqlite_version()").scalar())
    if tuple(int(part) for part in version.split(".")[:3]) < (3, 34, 0):
        logger.warning("SQLite %s has no FTS5 trigram tokenizer (3.34+): name search will scan", version)
        return
    try:
        bind.exec_driver_sql("CREATE VIRTUAL TABLE temp.trigram_probe USING fts5(x, tokenize = 'trigram')")
        bind.exec_driver_sql("DROP TABLE temp.trigram_probe")
    except OperationalError as exc:  # SQLite built without FTS5
        logger.warning("no FTS5 trigram tokenizer in this SQLite (%s): name search will scan", exc.orig)
        return
    for statement in _SQLITE_UP:
        bind.exec_driver_sql(statement)


def _trgm_schema(bind: sa.Connection) -> str | None:
    return bind.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
            " WHERE e.extname = 'pg_trgm'"
        )
    ).scalar()


def _postgres_upgrade(bind: sa.Connection) -> None:
    schema = _trgm_schema(bind)
    if schema is None:
        # Extensions are per database: put it where every schema's search_path finds it
        # (``public``), not in this schema, whose removal would take the extension along.
        target = bind.execute(
            sa.text("SELECT coalesce(to_regnamespace('public')::text, current_schema())")
        ).scalar()
        try:
            with bind.begin_nested():
                bind.exec_driver_sql(f'CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA "{target}"')
        except DBAPIError as exc:  # no privilege, or not shipped with this server
            problem = type(exc.orig).__name__
        else:
            problem = "not found after CREATE EXTENSION"
        schema = _trgm_schema(bind)  # also found if a concurrent migration installed it first
        if schema is None:
            logger.warning(
                "pg_trgm could not be installed (%s): name search will scan. A superuser can run "
                "CREATE EXTENSION pg_trgm, then CREATE INDEX ix_requests_claimed_name_trgm ON requests "
                "USING gin (lower(claimed_name) gin_trgm_ops) and the same for verified_name",
                problem,
            )
            return
    for name, column in _PG_INDEXES.items():
        bind.exec_driver_sql(f'CREATE INDEX {name} ON requests USING gin (lower({column}) "{schema}".gin_trgm_ops)')
