"""The subject finder on the seeded sample shop, on SQLite, PostgreSQL and MariaDB.

Personas (rightsdesk/demo_kit/sample_shop/schema.py): Līga, the verified customer; her
namesake, another Līga Bērziņa whose rows must never appear in Līga's; Jānis with a warranty
claim. Keys below are the seed's.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, delete, update

from rightsdesk.demo_kit.sample_shop import JANIS, LIGA, NAMESAKE
from rightsdesk.demo_kit.sample_shop.schema import customers, loyalty_cards, orders
from workflows.adapters.connectors.subject_finder import (
    UnknownIdentifierKind,
    find_subject_rows,
    iter_subject_rows,
)
from workflows.domain.datamap import DataMap, keyed_hash

LIGAS_ROWS = {
    "customers": {(1,)},
    "loyalty_cards": {(1,)},
    "marketing_consents": {(1,)},
    "orders": {(101,), (102,)},
    "order_lines": {(1001,), (1002,), (1003,)},
    "invoices": {(101,), (102,)},
    "deliveries": {(101,), (102,)},
    "payments": {(101,), (102,)},
    "support_tickets": {(1,)},
    "cctv_clips": {(1,), (2,)},
    "eshop_logins": {(1,)},
    "warranty_claims": set(),
}


def _found(datamap: DataMap, engine: Engine, identifiers: dict[str, str]) -> dict[str, set[tuple[object, ...]]]:
    with engine.connect() as connection:
        rows = find_subject_rows(datamap, identifiers, connections={"shop": connection})
    return {name: set(table.keys) for name, table in rows.tables.items()}


def test_finder_returns_exactly_the_verified_customers_rows(shop_datamap: DataMap, shop_engine: Engine) -> None:
    assert _found(shop_datamap, shop_engine, LIGA.identifiers) == LIGAS_ROWS


def test_finder_never_returns_the_namesakes_rows(shop_datamap: DataMap, shop_engine: Engine) -> None:
    ligas = _found(shop_datamap, shop_engine, LIGA.identifiers)
    namesakes = _found(shop_datamap, shop_engine, NAMESAKE.identifiers)
    assert all(not (ligas[table] & namesakes[table]) for table in ligas)


def test_loyalty_card_number_alone_finds_the_card_holders_account(shop_datamap: DataMap, shop_engine: Engine) -> None:
    assert LIGA.loyalty_card is not None
    assert _found(shop_datamap, shop_engine, {"loyalty_card": LIGA.loyalty_card}) == LIGAS_ROWS


def test_guest_order_is_found_by_its_contact_email(shop_datamap: DataMap, shop_engine: Engine) -> None:
    found = _found(shop_datamap, shop_engine, {"email": NAMESAKE.email})
    assert (402,) in found["orders"] and (4002,) in found["order_lines"] and (402,) in found["invoices"]


def test_identifiers_are_compared_after_normalising(shop_datamap: DataMap, shop_engine: Engine) -> None:
    written_loosely = {"email": "  Liga.Berzina@EXAMPLE.lv ", "phone": "2000 0001"}
    assert _found(shop_datamap, shop_engine, written_loosely) == LIGAS_ROWS


def test_customer_id_given_as_text_finds_the_account(shop_datamap: DataMap, shop_engine: Engine) -> None:
    found = _found(shop_datamap, shop_engine, {"customer_id": str(JANIS.customer_id)})
    assert found["customers"] == {(2,)} and found["warranty_claims"] == {(1,)}


def test_person_not_on_file_has_no_rows(shop_datamap: DataMap, shop_engine: Engine) -> None:
    found = _found(shop_datamap, shop_engine, {"email": "nobody@example.lv", "personal_code": "010101-19999"})
    assert not any(found.values())


def test_order_lines_carry_their_orders_retention_start(shop_datamap: DataMap, shop_engine: Engine) -> None:
    with shop_engine.connect() as connection:
        rows = find_subject_rows(shop_datamap, LIGA.identifiers, connections={"shop": connection})
    orders, lines = rows.rows("orders").retention_starts, rows.rows("order_lines").retention_starts
    assert lines[(1001,)] == orders[(101,)] and lines[(1002,)] == orders[(102,)]
    assert isinstance(orders[(101,)], date)


def test_streamed_rows_are_the_persons_rows_with_typed_values(shop_datamap: DataMap, shop_engine: Engine) -> None:
    with shop_engine.connect() as connection:
        found = find_subject_rows(shop_datamap, LIGA.identifiers, connections={"shop": connection})
        streamed = list(
            iter_subject_rows(shop_datamap, found, "deliveries", connections={"shop": connection}, batch_size=1)
        )
    assert [row["id"] for row in streamed] == [101, 102]
    assert all(row["processing_restricted"] is False for row in streamed)


def test_unknown_identifier_kind_is_refused(shop_datamap: DataMap, shop_engine: Engine) -> None:
    with shop_engine.connect() as connection, pytest.raises(UnknownIdentifierKind):
        find_subject_rows(shop_datamap, {"passport": "LV1234567"}, connections={"shop": connection})


def test_kept_rows_are_found_through_a_keyed_hash_after_erasure(shop_datamap: DataMap, shop_engine: Engine) -> None:
    secret = b"test-secret"
    with shop_engine.begin() as connection:
        connection.execute(
            update(customers)
            .where(customers.c.id == LIGA.customer_id)
            .values(email=keyed_hash(secret, "email", LIGA.email), phone=None, personal_code=None)
        )
        connection.execute(delete(loyalty_cards).where(loyalty_cards.c.customer_id == LIGA.customer_id))
        connection.execute(update(orders).where(orders.c.customer_id == LIGA.customer_id).values(contact_email=None))
    with shop_engine.connect() as connection:
        rows = find_subject_rows(shop_datamap, LIGA.identifiers, connections={"shop": connection}, hash_secret=secret)
    assert set(rows.rows("invoices").keys) == {(101,), (102,)}
