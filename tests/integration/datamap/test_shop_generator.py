"""The large-shop generator, at a small size: consistent rows, personas untouched."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, func, select

from rightsdesk.demo_kit.sample_shop import LIGA
from rightsdesk.demo_kit.sample_shop import schema as shop
from rightsdesk.demo_kit.sample_shop.generator import generate
from tests.integration.datamap.shop_databases import TODAY
from workflows.adapters.connectors.subject_finder import find_subject_rows
from workflows.domain.datamap import DataMap

CUSTOMERS, ORDERS = 300, 2_000


@pytest.fixture
def generated(shop_url: str) -> Iterator[Engine]:
    engine = create_engine(shop_url)
    generate(engine, customers=CUSTOMERS, orders=ORDERS, seed=7, today=TODAY)
    yield engine
    engine.dispose()


def _count(engine: Engine, query: object) -> int:
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())  # type: ignore[call-overload]


def test_generator_makes_the_requested_numbers_of_rows(generated: Engine) -> None:
    personas = {"customers": 4, "orders": 6}
    assert _count(generated, select(func.count()).select_from(shop.customers)) == CUSTOMERS + personas["customers"]
    assert _count(generated, select(func.count()).select_from(shop.orders)) == ORDERS + personas["orders"]


def test_every_generated_order_belongs_to_an_existing_customer(generated: Engine) -> None:
    orphans = (
        select(func.count())
        .select_from(shop.orders.outerjoin(shop.customers, shop.orders.c.customer_id == shop.customers.c.id))
        .where(shop.orders.c.customer_id.is_not(None), shop.customers.c.id.is_(None))
    )
    assert _count(generated, orphans) == 0


def test_every_invoice_total_equals_its_orders_total(generated: Engine) -> None:
    mismatched = (
        select(func.count())
        .select_from(shop.invoices.join(shop.orders, shop.invoices.c.order_id == shop.orders.c.id))
        .where(shop.invoices.c.total_cents != shop.orders.c.total_cents)
    )
    assert _count(generated, mismatched) == 0


def test_generated_rows_never_link_to_the_verified_customer(generated: Engine, shop_datamap: DataMap) -> None:
    with generated.connect() as connection:
        found = find_subject_rows(shop_datamap, LIGA.identifiers, connections={"shop": connection})
    assert found.counts["orders"] == 2 and found.counts["order_lines"] == 3


def test_generator_is_deterministic_for_a_seed(tmp_path: object) -> None:
    totals = []
    for run in range(2):
        engine = create_engine(f"sqlite:///{tmp_path}/g{run}.db")
        generate(engine, customers=50, orders=200, seed=3, today=TODAY)
        totals.append(_count(engine, select(func.sum(shop.orders.c.total_cents * shop.orders.c.customer_id))))
        engine.dispose()
    assert totals[0] == totals[1]
