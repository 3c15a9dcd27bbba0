"""The database schema (SQLAlchemy Core). Alembic migrations are generated from it.

Mapping to domain objects is explicit in :mod:`workflows.adapters.repository`: the
domain stays free of the ORM, and every column is visible here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
    }
)


class _UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC on every backend; naive ones are refused.

    SQLite keeps no time zone, so without this a Riga-local time would silently
    become a different instant when read back.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: rightsdesk stores only aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


Id = String(36)
UtcDateTime = _UtcDateTime()

requests = Table(
    "requests",
    metadata,
    Column("id", Id, primary_key=True),
    Column("reference", String(32), nullable=False, unique=True),
    Column("rights", String(200), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("language", String(5), nullable=False),
    Column("state", String(30), nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("received_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),
    Column("extended_due_on", Date),
    Column("extension_notice_sent_on", Date),
    Column("extension_reasons", JSON),
    # Denormalised: the date staff must meet, so due-soon and overdue lists use one index.
    Column("effective_due_on", Date, nullable=False),
    Column("required_tier", Integer, nullable=False),
    Column("claimed_name", String(200)),
    Column("claimed_email", String(320)),
    Column("claimed_phone", String(40)),
    Column("claimed_personal_code", String(40)),
    Column("claimed_customer_ref", String(100)),
    Column("claimed_chat_id", String(64)),
    Column("verified_method", String(40)),
    Column("verified_at", UtcDateTime),
    Column("verified_by", String(100)),
    Column("verified_evidence_ref", String(200)),
    Column("verified_name", String(200)),
    Column("verified_personal_code", String(40)),
    Column("verified_email", String(320)),
    Column("verified_phone", String(40)),
    Column("verified_document", String(100)),
    Column("details", JSON, nullable=False),
    Column("attention", Text),
    Column("closed_at", UtcDateTime),
    Column("outcome_note", Text),
    Column("version", Integer, nullable=False),
    Index(
        "ix_requests_open_due",
        "effective_due_on",
        sqlite_where=text("closed_at IS NULL"),
        postgresql_where=text("closed_at IS NULL"),
    ),
    Index("ix_requests_state", "state"),
    # Partial: with most cases closed, a full index on closed_at looks near-unique to SQLite's
    # planner, which then picks it for "closed_at IS NULL" instead of the open-due index.
    Index(
        "ix_requests_closed_at",
        "closed_at",
        sqlite_where=text("closed_at IS NOT NULL"),
        postgresql_where=text("closed_at IS NOT NULL"),
    ),
    Index("ix_requests_claimed_email", "claimed_email"),
    Index("ix_requests_received_at", "received_at"),
)

reference_counters = Table(
    "reference_counters",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("last_number", Integer, nullable=False),
)

actions = Table(
    "actions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("request_id", Id, ForeignKey("requests.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("status", String(30), nullable=False, index=True),
    Column("planned_by", String(100), nullable=False),
    Column("planned_at", UtcDateTime, nullable=False),
    Column("requested_by", String(100)),
    Column("preview", JSON, nullable=False),
    Column("decided_by", String(100)),
    Column("decided_at", UtcDateTime),
    Column("decision_reason", Text),
    Column("executed_at", UtcDateTime),
    Column("result", JSON, nullable=False),
    Column("version", Integer, nullable=False),
)

messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True),
    Column("request_id", Id, ForeignKey("requests.id", ondelete="CASCADE"), index=True),
    Column("direction", String(5), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("subject", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text),
    Column("counterpart", String(320)),
    Column("kind", String(50)),
    Column("external_id", String(500), index=True),
    Column("headers", JSON, nullable=False),
    Column("attachments", JSON),
)

# The audit log: a few hash chains (a case's events always in the same one), so that
# commands on different cases do not queue behind one lock. ``data`` and ``data_salt`` are erased when a
# case is purged; ``data_digest`` stays, so the chain still verifies (see adapters.audit).
events = Table(
    "events",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("chain", Integer, nullable=False),
    Column("chain_seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    # The global number of the event before it in its chain: names a removed event.
    Column("prev_seq", BigInteger().with_variant(Integer, "sqlite")),
    Column("request_id", Id, index=True),
    Column("type", String(50), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
    Column("data", JSON),
    Column("data_salt", String(32)),
    Column("data_digest", String(64), nullable=False),
    Column("redacted", Boolean, nullable=False, default=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("chain", "chain_seq"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
    Column("last_hash", String(64), nullable=False),
    Column("last_event", BigInteger().with_variant(Integer, "sqlite"), nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("kind", String(50), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(20), nullable=False),
    Column("run_after", UtcDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("locked_by", String(100)),
    Column("locked_until", UtcDateTime),
    Column("last_error", Text),
    Column("dedupe_key", String(200), unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Index("ix_jobs_ready", "status", "run_after"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id, primary_key=True),
    Column("request_id", Id, ForeignKey("requests.id", ondelete="SET NULL"), index=True),
    Column("message_id", Id, nullable=False),
    Column("channel", String(20), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("kind", String(50), nullable=False),
    Column("subject", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text),
    Column("headers", JSON, nullable=False),
    Column("attachments", JSON),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("claimed_by", String(100)),
    Column("claimed_until", UtcDateTime),
    Column("sent_at", UtcDateTime),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_outbox_ready", "status", "next_attempt_at"),
)

# Raw inbound e-mail, stored before the SMTP server answers 250 and processed by the
# worker. A message that cannot be processed stays here, quarantined, with its reason.
inbound_mail = Table(
    "inbound_mail",
    metadata,
    Column("id", Id, primary_key=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("peer", String(100)),
    Column("mail_from", String(320), nullable=False),
    Column("rcpt_to", JSON, nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("raw", LargeBinary().with_variant(LargeBinary(2**32 - 1), "mysql"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("reason", Text),
    Column("message_id", String(500)),
    Column("request_id", Id, ForeignKey("requests.id", ondelete="SET NULL"), index=True),
    Column("processed_at", UtcDateTime),
    Index("ix_inbound_mail_status", "status", "received_at"),
)

# Anonymous statistics kept after a case is purged: counts only, no identifiers.
statistics = Table(
    "statistics",
    metadata,
    Column("month", String(7), primary_key=True),
    Column("right_asked", String(40), primary_key=True),
    Column("channel", String(20), primary_key=True),
    Column("outcome", String(30), primary_key=True),
    Column("cases", Integer, nullable=False),
    Column("days_to_close_total", Integer, nullable=False),
    Column("overdue_cases", Integer, nullable=False),
)
# The bot, identity-route (signed evidence uses too) and staff console tables share this metadata.
from workflows.adapters import bot_tables, evidence_uses, identity_tables, staff_tables  # noqa: E402, F401
