"""Generate a large sample shop for benchmarks: up to millions of customers and orders.

``generate(engine, customers=N, orders=M, seed=..., today=...)`` creates the schema if needed,
adds the personas of :mod:`~rightsdesk.demo_kit.sample_shop.schema` (so a benchmark always
has Līga to look up) and then N customers with M orders spread among them, each order with one
line and, with ``documents=True``, an invoice, a payment and (e-shop orders) a delivery; every
second customer has a loyalty card and every third a marketing consent row.

Fast: rows are built as tuples and written in batches through the driver -- PostgreSQL ``COPY``
(psycopg), ``executemany`` on SQLite (synchronous writes off during the load) and MariaDB
(PyMySQL folds it into multi-row INSERTs) -- then the tables are ANALYZEd so the planners use the
indexes. Generated ids start at 10,000 and generated identifiers (``@example.test`` e-mails,
``+37121...`` phones, ``28...`` cards) never collide with the personas'. Deterministic for a
given ``seed``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine, select, text

from rightsdesk.demo_kit.sample_shop import schema as shop

FIRST_ID = 10_000
"""Generated ids start here; the personas of the sample shop use ids below it."""
BATCH = 20_000
FIRST_NAMES = ("Jānis", "Andris", "Mārtiņš", "Edgars", "Anna", "Kristīne", "Inese", "Laura", "Ivan", "Olga")
LAST_NAMES = ("Kalniņš", "Liepa", "Krūmiņš", "Ozoliņa", "Vītola", "Jansone", "Ivanovs", "Smirnova", "Zariņš")
CITIES = (("Rīga", "LV-1050"), ("Daugavpils", "LV-5401"), ("Liepāja", "LV-3401"), ("Jelgava", "LV-3001"))
PRODUCTS = (
    ("BK-1", "Grāmata", 1599),
    ("TEA-1", "Tēja", 399),
    ("TV-1", "Televizors", 49900),
    ("PEN-1", "Pildspalva", 199),
)

Row = tuple[object, ...]


@dataclass(frozen=True)
class GeneratedShop:
    """Counts of generated rows per table (personas not included)."""

    counts: dict[str, int]


def generate(
    engine: Engine,
    *,
    customers: int,
    orders: int,
    seed: int = 1,
    today: date,
    documents: bool = True,
    progress: Callable[[str, int], None] | None = None,
) -> GeneratedShop:
    """Fill ``engine``'s database with a shop of ``customers`` customers and ``orders`` orders."""
    shop.create_schema(engine)
    with engine.connect() as connection:
        has_personas = connection.execute(select(shop.customers.c.id).where(shop.customers.c.id == 1)).first()
    if has_personas is None:
        shop.seed(engine, today=today)
    rng = random.Random(seed)
    writer = _writer(engine)
    counts: dict[str, int] = {}
    start = datetime.combine(today, time(12)) - timedelta(days=8 * 365)
    span = 8 * 365 * 86400

    def write(table: str, columns: Sequence[str], rows: Iterator[Row]) -> None:
        counts[table] = writer(table, columns, rows, progress)

    write("customers", _CUSTOMER_COLUMNS, (_customer(i, rng, start, span) for i in range(customers)))
    write("loyalty_cards", _CARD_COLUMNS, (_card(i, start) for i in range(0, customers, 2)))
    write("marketing_consents", _CONSENT_COLUMNS, (_consent(n, i, start) for n, i in enumerate(range(0, customers, 3))))
    # Orders are drawn once per batch and reused by their dependent tables, so memory stays at
    # one batch while every table sees the same customer, date and total for an order.
    order_columns: dict[str, Sequence[str]] = {"orders": _ORDER_COLUMNS, "order_lines": _LINE_COLUMNS}
    if documents:
        order_columns |= {"invoices": _INVOICE_COLUMNS, "payments": _PAYMENT_COLUMNS, "deliveries": _DELIVERY_COLUMNS}
    for name in order_columns:
        counts[name] = 0
    for first in range(0, orders, BATCH):
        batch = [_order_seed(rng, customers, span) for _ in range(min(BATCH, orders - first))]
        tables = _order_rows(first, batch, start, documents)
        for name, columns in order_columns.items():
            counts[name] += writer(name, columns, iter(tables[name]), None)
        if progress is not None and (first + len(batch)) % 1_000_000 < BATCH:
            progress("orders", first + len(batch))
    _analyse(engine)
    return GeneratedShop(counts)


# --- row builders --------------------------------------------------------------------------

_CUSTOMER_COLUMNS = [
    "id",
    "personal_code",
    "first_name",
    "last_name",
    "email",
    "phone",
    "address_street",
    "address_city",
    "address_postcode",
    "preferred_language",
    "segment",
    "created_at",
    "last_activity_at",
    "processing_restricted",
]
_CARD_COLUMNS = ["id", "customer_id", "card_number", "points", "issued_at", "last_used_at", "processing_restricted"]
_CONSENT_COLUMNS = [
    "id",
    "customer_id",
    "email",
    "phone",
    "email_opt_in",
    "sms_opt_in",
    "consent_source",
    "updated_at",
    "processing_restricted",
]
_ORDER_COLUMNS = [
    "id",
    "customer_id",
    "placed_at",
    "sales_channel",
    "shop_code",
    "contact_email",
    "contact_phone",
    "status",
    "total_cents",
    "processing_restricted",
]
_LINE_COLUMNS = [
    "id",
    "order_id",
    "product_sku",
    "product_name",
    "quantity",
    "unit_price_cents",
    "processing_restricted",
]
_INVOICE_COLUMNS = [
    "id",
    "order_id",
    "invoice_number",
    "issued_at",
    "buyer_name",
    "buyer_address",
    "total_cents",
    "vat_cents",
    "processing_restricted",
]
_PAYMENT_COLUMNS = [
    "id",
    "order_id",
    "method",
    "payer_name",
    "payer_iban_masked",
    "card_masked",
    "paid_at",
    "amount_cents",
    "processing_restricted",
]
_DELIVERY_COLUMNS = [
    "id",
    "order_id",
    "method",
    "carrier",
    "terminal_code",
    "recipient_name",
    "recipient_phone",
    "address",
    "status",
    "delivered_at",
    "processing_restricted",
]


def _name(customer_id: int) -> str:
    return f"{FIRST_NAMES[customer_id % len(FIRST_NAMES)]} {LAST_NAMES[customer_id % len(LAST_NAMES)]}"


def _email(customer_id: int) -> str:
    return f"customer{customer_id}@example.test"


def _phone(customer_id: int) -> str:
    return f"+3712{1_000_000 + customer_id:07d}"


def _customer(index: int, rng: random.Random, start: datetime, span: int) -> Row:
    customer_id = FIRST_ID + index
    created = start + timedelta(seconds=rng.randrange(span))
    city, postcode = CITIES[customer_id % len(CITIES)]
    born = date(1950, 1, 1) + timedelta(days=customer_id % 18_000)
    code = f"{born:%d%m%y}-{20000 + customer_id % 80000:05d}"
    return (
        customer_id,
        code,
        FIRST_NAMES[customer_id % len(FIRST_NAMES)],
        LAST_NAMES[customer_id % len(LAST_NAMES)],
        _email(customer_id),
        _phone(customer_id),
        f"Iela {customer_id % 200}-{customer_id % 50}",
        city,
        postcode,
        ("lv", "lv", "lv", "ru", "en")[customer_id % 5],
        ("frequent", "occasional", None)[customer_id % 3],
        created,
        created + timedelta(days=rng.randrange(365)),
        False,
    )


def _card(index: int, start: datetime) -> Row:
    customer_id = FIRST_ID + index
    return (customer_id, customer_id, f"28{customer_id:011d}", customer_id % 997, start, start, False)


def _consent(row: int, index: int, start: datetime) -> Row:
    customer_id = FIRST_ID + index
    return (FIRST_ID + row, customer_id, _email(customer_id), None, True, index % 2 == 0, "eshop", start, False)


def _order_seed(rng: random.Random, customers: int, span: int) -> tuple[int, int, int, int]:
    """(customer id, seconds after start, product index, quantity) of one order."""
    return (FIRST_ID + rng.randrange(max(customers, 1)), rng.randrange(span), rng.randrange(len(PRODUCTS)), 1)


def _order_rows(
    first: int, batch: list[tuple[int, int, int, int]], start: datetime, documents: bool
) -> dict[str, list[Row]]:
    tables: dict[str, list[Row]] = {"orders": [], "order_lines": [], "invoices": [], "payments": [], "deliveries": []}
    for offset, (customer_id, seconds, product, quantity) in enumerate(batch):
        order_id = FIRST_ID + first + offset
        placed = start + timedelta(seconds=seconds)
        sku, product_name, price = PRODUCTS[product]
        total = price * quantity
        eshop = order_id % 2 == 0
        tables["orders"].append(
            (
                order_id,
                customer_id,
                placed,
                "eshop" if eshop else "shop",
                None if eshop else "RIX01",
                _email(customer_id) if eshop else None,
                _phone(customer_id) if eshop else None,
                "completed",
                total,
                False,
            )
        )
        tables["order_lines"].append((order_id, order_id, sku, product_name, quantity, price, False))
        if not documents:
            continue
        name = _name(customer_id)
        tables["invoices"].append(
            (order_id, order_id, f"G-{order_id:010d}", placed, name, None, total, total * 21 // 121, False)
        )
        tables["payments"].append(
            (order_id, order_id, "card", name, None, f"**** **** **** {order_id % 10000:04d}", placed, total, False)
        )
        if eshop:
            terminal = f"OMNIVA-{order_id % 400:03d}"
            tables["deliveries"].append(
                (order_id, order_id, "parcel_terminal", "omniva", terminal, name, _phone(customer_id), None,
                 "delivered", placed + timedelta(days=2), False)
            )  # fmt: skip
    return tables


# --- writers -------------------------------------------------------------------------------

Writer = Callable[[str, Sequence[str], Iterator[Row], Callable[[str, int], None] | None], int]


def _batches(rows: Iterator[Row]) -> Iterator[list[Row]]:
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _writer(engine: Engine) -> Writer:
    dialect = engine.dialect.name
    if dialect == "postgresql":
        return lambda table, columns, rows, progress: _copy_postgres(engine, table, columns, rows, progress)
    return lambda table, columns, rows, progress: _executemany(engine, table, columns, rows, progress)


def _copy_postgres(
    engine: Engine, table: str, columns: Sequence[str], rows: Iterator[Row], progress: Callable[[str, int], None] | None
) -> int:
    written = 0
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
                if progress is not None and written % 1_000_000 == 0:
                    progress(table, written)
        raw.commit()
    finally:
        raw.close()
    return written


def _executemany(
    engine: Engine, table: str, columns: Sequence[str], rows: Iterator[Row], progress: Callable[[str, int], None] | None
) -> int:
    sqlite = engine.dialect.name == "sqlite"
    marker = "?" if sqlite else "%s"
    statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(marker for _ in columns)})"  # noqa: S608 - names are this module's constants
    written = 0
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if sqlite:
            cursor.execute("PRAGMA synchronous = OFF")
        for batch in _batches(rows):
            cursor.executemany(statement, [_for_sqlite(row) for row in batch] if sqlite else batch)
            raw.commit()
            written += len(batch)
            if progress is not None and written % 1_000_000 < len(batch):
                progress(table, written)
        if sqlite:  # the connection goes back to the caller's pool: restore the default
            cursor.execute("PRAGMA synchronous = FULL")
        cursor.close()
    finally:
        raw.close()
    return written


def _for_sqlite(row: Row) -> Row:
    # SQLAlchemy's SQLite DATETIME reads back the format it writes; write that format.
    return tuple(v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v for v in row)


def _analyse(engine: Engine) -> None:
    keyword = "ANALYZE TABLE" if engine.dialect.name in ("mysql", "mariadb") else "ANALYZE"
    with engine.begin() as connection:
        for name in shop.PERSON_TABLES:
            connection.execute(text(f"{keyword} {name}"))
