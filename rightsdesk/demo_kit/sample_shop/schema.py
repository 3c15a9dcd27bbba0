"""The sample shop: a small retailer's database used by tests, the demo and the benchmarks.

SQLAlchemy Core, portable to SQLite, PostgreSQL and MariaDB. Its data map is
rightsdesk/examples/shop/datamap.toml (consistent with rightsdesk/examples/profiles/retail.toml).

* ``create_schema(engine)`` creates every table, with an index on every link and identity
  column so one person is found by index lookups even in a shop of 1,000,000 customers.
* ``seed(engine, today=...)`` adds the personas below; dates are relative to ``today`` (time
  is injected) so "six years ago" stays past every retention period but accounting's.
* :func:`rightsdesk.demo_kit.sample_shop.generator.generate` adds bulk customers and orders.

Personas (ids below 10,000; generated rows start at 10,000)
-------------------------------------------------------------
* ``LIGA`` -- Līga Bērziņa: an order six years ago (past the claims and sales-document periods,
  inside accounting's 10 years for its payment) and one last month (inside all); loyalty card,
  newsletter and SMS consent, deliveries by DPD courier and to an Omniva terminal, a support
  ticket, an e-shop login, a recent CCTV clip and an old one.
* ``JANIS`` -- Jānis Ozols: an order eight months ago with a warranty claim (personal code).
* ``ANNA`` -- Anna Petrova: writes in Russian (support ticket), one order.
* ``NAMESAKE`` -- another Līga Bērziņa with other contacts: she must never appear in LIGA's
  rows. She also shops as a guest and subscribes to the newsletter without an account.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
)

from rightsdesk.demo_kit.sample_shop.personas import persona_rows

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only treats INTEGER PRIMARY KEY as the rowid; elsewhere ids are 64-bit.
Id = BigInteger().with_variant(Integer(), "sqlite")


def _id() -> Column[int]:
    return Column("id", Id, primary_key=True, autoincrement=False)


def _ref(name: str, target: str, *, nullable: bool = False) -> Column[int]:
    return Column(name, Id, ForeignKey(f"{target}.id"), nullable=nullable, index=True)


def _restricted() -> Column[bool]:
    return Column("processing_restricted", Boolean, nullable=False, default=False)


customers = Table(
    "customers",
    metadata,
    _id(),
    Column("personal_code", String(12), index=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("email", String(254), index=True),
    Column("phone", String(20), index=True),
    Column("address_street", String(200)),
    Column("address_city", String(100)),
    Column("address_postcode", String(10)),
    Column("preferred_language", String(2), nullable=False),
    Column("segment", String(40)),
    Column("created_at", DateTime, nullable=False),
    Column("last_activity_at", DateTime, nullable=False),
    _restricted(),
)
loyalty_cards = Table(
    "loyalty_cards",
    metadata,
    _id(),
    _ref("customer_id", "customers"),
    Column("card_number", String(20), nullable=False, unique=True),
    Column("points", Integer, nullable=False),
    Column("issued_at", DateTime, nullable=False),
    Column("last_used_at", DateTime, nullable=False),
    _restricted(),
)
marketing_consents = Table(
    "marketing_consents",
    metadata,
    _id(),
    _ref("customer_id", "customers", nullable=True),
    Column("email", String(254), index=True),
    Column("phone", String(20), index=True),
    Column("email_opt_in", Boolean, nullable=False),
    Column("sms_opt_in", Boolean, nullable=False),
    Column("consent_source", String(40), nullable=False),
    Column("updated_at", DateTime, nullable=False),
    _restricted(),
)
orders = Table(
    "orders",
    metadata,
    _id(),
    _ref("customer_id", "customers", nullable=True),  # NULL for a guest checkout
    Column("placed_at", DateTime, nullable=False),
    Column("sales_channel", String(10), nullable=False),
    Column("shop_code", String(10)),
    Column("contact_email", String(254), index=True),
    Column("contact_phone", String(20)),
    Column("status", String(20), nullable=False),
    Column("total_cents", Integer, nullable=False),
    _restricted(),
)
order_lines = Table(
    "order_lines",
    metadata,
    _id(),
    _ref("order_id", "orders"),
    Column("product_sku", String(20), nullable=False),
    Column("product_name", String(200), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price_cents", Integer, nullable=False),
    _restricted(),
)
invoices = Table(
    "invoices",
    metadata,
    _id(),
    _ref("order_id", "orders"),
    Column("invoice_number", String(20), nullable=False, unique=True),
    Column("issued_at", DateTime, nullable=False),
    Column("buyer_name", String(200), nullable=False),
    Column("buyer_address", String(300)),
    Column("total_cents", Integer, nullable=False),
    Column("vat_cents", Integer, nullable=False),
    _restricted(),
)
deliveries = Table(
    "deliveries",
    metadata,
    _id(),
    _ref("order_id", "orders"),
    Column("method", String(20), nullable=False),  # parcel_terminal | courier
    Column("carrier", String(20), nullable=False),  # omniva | dpd | latvijas_pasts
    Column("terminal_code", String(20)),
    Column("recipient_name", String(200), nullable=False),
    Column("recipient_phone", String(20)),
    Column("address", String(300)),
    Column("status", String(20), nullable=False),
    Column("delivered_at", DateTime),
    _restricted(),
)
payments = Table(
    "payments",
    metadata,
    _id(),
    _ref("order_id", "orders"),
    Column("method", String(20), nullable=False),  # bank_transfer | card
    Column("payer_name", String(200), nullable=False),
    Column("payer_iban_masked", String(40)),
    Column("card_masked", String(20)),
    Column("paid_at", DateTime, nullable=False),
    Column("amount_cents", Integer, nullable=False),
    _restricted(),
)
support_tickets = Table(
    "support_tickets",
    metadata,
    _id(),
    _ref("customer_id", "customers", nullable=True),
    Column("email", String(254), index=True),
    Column("language", String(2), nullable=False),
    Column("subject", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("opened_at", DateTime, nullable=False),
    Column("closed_at", DateTime),
    _restricted(),
)
warranty_claims = Table(
    "warranty_claims",
    metadata,
    _id(),
    _ref("customer_id", "customers"),
    _ref("order_id", "orders", nullable=True),
    Column("personal_code", String(12)),
    Column("product_sku", String(20), nullable=False),
    Column("description", Text, nullable=False),
    Column("purchased_at", DateTime, nullable=False),
    Column("submitted_at", DateTime, nullable=False),
    Column("status", String(20), nullable=False),
    _restricted(),
)
cctv_clips = Table(
    "cctv_clips",
    metadata,
    _id(),
    _ref("customer_id", "customers", nullable=True),  # set when a clip is tied to a customer
    Column("shop_code", String(10), nullable=False),
    Column("camera", String(40), nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Column("clip_ref", String(200), nullable=False),
    _restricted(),
)
eshop_logins = Table(
    "eshop_logins",
    metadata,
    _id(),
    _ref("customer_id", "customers"),
    Column("username", String(254), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    Column("last_login_at", DateTime),
    Column("last_login_ip", String(45)),
    _restricted(),
)
marketing_suppression = Table(
    "marketing_suppression",
    metadata,
    _id(),
    Column("identifier_hash", String(64), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("suppressed_at", DateTime, nullable=False),
    Index("ix_marketing_suppression_hash_channel", "identifier_hash", "channel", unique=True),
)
"""Minimal entries (keyed hash, channel, date) so an objector is never re-added (Art. 21(3))."""

PERSON_TABLES: tuple[str, ...] = tuple(t.name for t in metadata.sorted_tables if t.name != "marketing_suppression")
"""Every table that holds rows about a person, parents before children."""


def create_schema(engine: Engine) -> None:
    """Create every table of the sample shop (idempotent)."""
    metadata.create_all(engine)


def seed(engine: Engine, *, today: date) -> None:
    """Insert the personas' rows; dates are relative to ``today``."""
    rows = persona_rows(today)
    with engine.begin() as connection:
        for table in metadata.sorted_tables:
            if rows.get(table.name):
                connection.execute(insert(table), rows[table.name])
