"""``check_datamap`` against the live sample shop: it passes, and names what is missing."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine, text

from workflows.adapters.connectors.introspect import check_datamap
from workflows.domain.datamap import Column, DataMap, ErasureMethod, Link


def _with_table(datamap: DataMap, name: str, **changes: object) -> DataMap:
    tables = tuple(replace(t, **changes) if t.name == name else t for t in datamap.tables)  # type: ignore[arg-type]
    return replace(datamap, tables=tables)


def test_sample_shop_matches_its_datamap(shop_datamap: DataMap, shop_engine: Engine) -> None:
    assert check_datamap(shop_datamap, engines={"shop": shop_engine}) == []


def test_missing_table_is_named(shop_datamap: DataMap, shop_engine: Engine) -> None:
    with shop_engine.begin() as connection:
        connection.execute(text("DROP TABLE cctv_clips"))
    problems = check_datamap(shop_datamap, engines={"shop": shop_engine})
    assert problems == ["tables.cctv_clips: table 'cctv_clips' does not exist in database 'shop'"]


def test_missing_column_is_named(shop_datamap: DataMap, shop_engine: Engine) -> None:
    orders = shop_datamap.table("orders")
    ghost = replace(orders.column("status"), name="coupon_code")
    datamap = _with_table(shop_datamap, "orders", columns=(*orders.columns, ghost))
    problems = check_datamap(datamap, engines={"shop": shop_engine})
    assert problems == ["tables.orders.columns.coupon_code: column does not exist in table 'orders'"]


def test_link_whose_types_do_not_match_is_named(shop_datamap: DataMap, shop_engine: Engine) -> None:
    # order_lines.product_sku (text) cannot hold an orders.id (integer).
    datamap = _with_table(shop_datamap, "order_lines", links=(Link(("product_sku",), "orders"),))
    problems = check_datamap(datamap, engines={"shop": shop_engine})
    assert (
        "tables.order_lines.links[0].columns: order_lines.product_sku (text) does not match orders.id (int)" in problems
    )


def test_link_without_an_index_is_named(shop_datamap: DataMap, shop_engine: Engine) -> None:
    lines = shop_datamap.table("order_lines")
    datamap = _with_table(shop_datamap, "order_lines", links=(Link(("quantity",), "orders"),))
    assert lines.column("quantity")  # a mapped integer column without an index
    problems = check_datamap(datamap, engines={"shop": shop_engine})
    assert problems == [
        "tables.order_lines.links[0].columns: no index on quantity; following this link would scan the whole table"
    ]


def test_set_null_on_a_not_null_column_is_named(shop_datamap: DataMap, shop_engine: Engine) -> None:
    orders = shop_datamap.table("orders")
    status = orders.column("status")
    nulled = replace(status, erasure=replace(status.erasure, method=ErasureMethod.SET_NULL))
    columns: tuple[Column, ...] = tuple(nulled if c.name == "status" else c for c in orders.columns)
    problems = check_datamap(_with_table(shop_datamap, "orders", columns=columns), engines={"shop": shop_engine})
    assert problems == ["tables.orders.columns.status.erasure: set_null on a NOT NULL column would fail"]


def test_unset_database_variable_is_named_without_connecting(shop_datamap: DataMap) -> None:
    problems = check_datamap(shop_datamap, environ={})
    assert problems == ["databases.shop.url_env: the environment variable SHOP_DATABASE_URL is not set"]


def test_missing_suppression_table_is_named(shop_datamap: DataMap, shop_engine: Engine) -> None:
    with shop_engine.begin() as connection:
        connection.execute(text("DROP TABLE marketing_suppression"))
    problems = check_datamap(shop_datamap, engines={"shop": shop_engine})
    assert problems == ["suppression.table: table 'marketing_suppression' does not exist in database 'shop'"]


def test_unreachable_database_is_named_without_its_url(shop_datamap: DataMap, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/no/such/folder/shop.db"
    problems = check_datamap(shop_datamap, environ={"SHOP_DATABASE_URL": url})
    assert problems == ["databases.shop: cannot connect (OperationalError)"]
