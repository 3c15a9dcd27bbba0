"""Loading a data map: the sample shop's loads; every problem is named, all at once."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from copy import deepcopy
from pathlib import Path
from typing import Any

import pytest

from workflows.adapters.datamap_loader import datamap_from_mapping, load_datamap
from workflows.adapters.profile_loader import load_profile
from workflows.domain.datamap import ErasureMethod, IdentifierKind, MarketingChannel, RetentionStart
from workflows.domain.errors import ConfigurationError
from workflows.domain.profile import ControllerProfile

ROOT = Path(__file__).resolve().parents[3]
SHOP_DATAMAP = ROOT / "rightsdesk" / "examples" / "shop" / "datamap.toml"
WHERE = "shop.toml"


@pytest.fixture(scope="module")
def profile() -> ControllerProfile:
    return load_profile(ROOT / "rightsdesk" / "examples" / "profiles" / "retail.toml")


@pytest.fixture
def raw() -> dict[str, Any]:
    return tomllib.loads(SHOP_DATAMAP.read_text(encoding="utf-8"))


def _problems(raw: dict[str, Any], profile: ControllerProfile) -> list[str]:
    with pytest.raises(ConfigurationError) as caught:
        datamap_from_mapping(raw, profile, WHERE)
    return caught.value.problems


@pytest.fixture
def broken(raw: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield deepcopy(raw)


def test_sample_shop_datamap_loads_against_the_retail_profile(profile: ControllerProfile) -> None:
    datamap = load_datamap(SHOP_DATAMAP, profile)
    orders = datamap.table("orders")
    assert orders.link_to("customers").columns == ("customer_id",)
    assert orders.retention is not None and orders.retention.rule == "consumer_claims"
    assert datamap.table("invoices").retention.start is RetentionStart.END_OF_YEAR  # type: ignore[union-attr]
    assert datamap.table("customers").column("email").erasure.method is ErasureMethod.KEYED_HASH
    assert datamap.table("marketing_consents").consents[MarketingChannel.SMS] == "sms_opt_in"
    assert IdentifierKind.LOYALTY_CARD in {i.kind for i in datamap.table("loyalty_cards").identity}


def test_columns_inherit_the_tables_defaults(profile: ControllerProfile) -> None:
    invoices = load_datamap(SHOP_DATAMAP, profile).table("invoices")
    assert invoices.column("total_cents").purposes == ("accounting",)
    assert invoices.column("total_cents").provided is False
    assert invoices.column("buyer_name").erasure.replacement == "dzēsts"


def test_order_lines_follow_the_retention_of_their_order(profile: ControllerProfile) -> None:
    datamap = load_datamap(SHOP_DATAMAP, profile)
    assert datamap.effective_retention("order_lines") == datamap.table("orders").retention


def test_link_order_puts_parents_before_children(profile: ControllerProfile) -> None:
    order = load_datamap(SHOP_DATAMAP, profile).link_order()
    assert order.index("customers") < order.index("orders") < order.index("order_lines")


def test_unknown_key_is_named_with_its_path(broken: dict[str, Any], profile: ControllerProfile) -> None:
    broken["tables"]["orders"]["retension"] = {}
    assert f"{WHERE}: tables.orders.retension: unknown key" in _problems(broken, profile)


def test_link_to_an_unmapped_table_is_reported(broken: dict[str, Any], profile: ControllerProfile) -> None:
    broken["tables"]["orders"]["links"][0]["table"] = "customer"
    problems = _problems(broken, profile)
    assert f"{WHERE}: tables.orders.links[0].table: links to 'customer', which is not a mapped table" in problems


def test_cycle_of_links_is_reported(broken: dict[str, Any], profile: ControllerProfile) -> None:
    broken["tables"]["customers"]["links"] = [{"columns": ["id"], "table": "order_lines"}]
    assert any("cycle of links" in p and "customers" in p and "order_lines" in p for p in _problems(broken, profile))


def test_unknown_profile_ids_are_reported(broken: dict[str, Any], profile: ControllerProfile) -> None:
    broken["tables"]["invoices"]["retention"]["rule"] = "sales_docs"
    broken["tables"]["orders"]["columns"]["contact_email"]["category"] = "contacts"
    broken["tables"]["payments"]["purposes"] = ["accounting", "bookkeeping"]
    problems = _problems(broken, profile)
    assert (
        f"{WHERE}: tables.invoices.retention.rule: unknown retention rule 'sales_docs' in the controller profile"
        in problems
    )
    assert (
        f"{WHERE}: tables.orders.columns.contact_email.category: unknown category 'contacts' in the controller profile"
        in problems
    )
    assert f"{WHERE}: tables.payments.purposes[1]: unknown purpose 'bookkeeping' in the controller profile" in problems


def test_rule_naming_a_column_missing_from_the_map_is_reported(
    broken: dict[str, Any], profile: ControllerProfile
) -> None:
    del broken["tables"]["orders"]["columns"]["placed_at"]
    problems = _problems(broken, profile)
    assert (
        f"{WHERE}: tables.orders.retention.date_column: column 'placed_at' is not listed in tables.orders.columns"
        in problems
    )


def test_replace_without_a_replacement_value_is_reported(broken: dict[str, Any], profile: ControllerProfile) -> None:
    del broken["tables"]["customers"]["columns"]["first_name"]["replacement"]
    problems = _problems(broken, profile)
    assert f"{WHERE}: tables.customers.columns.first_name.replacement: required when erasure is 'replace'" in problems


def test_password_in_a_database_url_is_refused(broken: dict[str, Any], profile: ControllerProfile) -> None:
    broken["databases"]["shop"] = {"url": "postgresql://shop:secret@db.example/shop"}
    problems = _problems(broken, profile)
    assert any(p.startswith(f"{WHERE}: databases.shop.url: holds a password") for p in problems)
    assert all("secret" not in p for p in problems)


def test_several_problems_are_reported_at_once(broken: dict[str, Any], profile: ControllerProfile) -> None:
    broken["tables"]["orders"]["links"][0]["table"] = "customer"
    broken["tables"]["deliveries"]["erasure"] = "shred"
    broken["tables"]["cctv_clips"]["retention"]["rule"] = "cctv"
    del broken["hash_secret_env"]
    problems = _problems(broken, profile)
    assert len(problems) >= 4
    assert f"{WHERE}: hash_secret_env: required key is missing" in problems
    assert any(p.startswith(f"{WHERE}: tables.deliveries.erasure: must be one of") for p in problems)


def test_table_without_any_way_to_a_person_is_reported(broken: dict[str, Any], profile: ControllerProfile) -> None:
    del broken["tables"]["deliveries"]["links"]
    problems = _problems(broken, profile)
    assert (
        f"{WHERE}: tables.deliveries: has neither identity columns nor links, so no row can be tied to a person"
        in problems
    )


def test_toml_syntax_error_names_the_file(tmp_path: Path, profile: ControllerProfile) -> None:
    path = tmp_path / "datamap.toml"
    path.write_text("[tables.orders\n", encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        load_datamap(path, profile)
    assert caught.value.problems[0].startswith(f"{path}: TOML syntax error")


def test_database_with_both_url_and_url_env_is_reported(broken: dict[str, Any], profile: ControllerProfile) -> None:
    broken["databases"]["shop"]["url"] = "sqlite:///shop.db"
    assert f"{WHERE}: databases.shop: give exactly one of url and url_env" in _problems(broken, profile)


def test_table_in_an_unknown_database_is_reported(broken: dict[str, Any], profile: ControllerProfile) -> None:
    broken["tables"]["cctv_clips"]["database"] = "cameras"
    assert f"{WHERE}: tables.cctv_clips.database: unknown database 'cameras'" in _problems(broken, profile)


def test_unknown_legal_hold_is_reported(broken: dict[str, Any], profile: ControllerProfile) -> None:
    broken["tables"]["invoices"]["columns"]["invoice_number"]["legal_hold"] = "lawsuit"
    problems = _problems(broken, profile)
    expected = (
        "tables.invoices.columns.invoice_number.legal_hold: unknown legal hold 'lawsuit' in the controller profile"
    )
    assert f"{WHERE}: {expected}" in problems


def test_retention_follows_a_table_it_does_not_link_to_is_reported(
    broken: dict[str, Any], profile: ControllerProfile
) -> None:
    broken["tables"]["order_lines"]["retention_follows"] = "customers"
    problems = _problems(broken, profile)
    assert f"{WHERE}: tables.order_lines.retention_follows: 'customers' is not a table this table links to" in problems


def test_link_with_more_columns_than_the_parent_key_is_reported(
    broken: dict[str, Any], profile: ControllerProfile
) -> None:
    broken["tables"]["deliveries"]["links"][0]["columns"] = ["order_id", "id"]
    problems = _problems(broken, profile)
    expected = "tables.deliveries.links[0].columns: 2 column(s) cannot match the key of 'orders' (1 column(s))"
    assert f"{WHERE}: {expected}" in problems


def test_overwriting_a_key_column_on_erasure_is_reported(broken: dict[str, Any], profile: ControllerProfile) -> None:
    broken["tables"]["customers"]["columns"]["id"]["erasure"] = "keyed_hash"
    problems = _problems(broken, profile)
    expected = "tables.customers.columns.id.erasure: a key column cannot be overwritten; use 'keep' or 'delete_row'"
    assert f"{WHERE}: {expected}" in problems


def test_one_broken_table_does_not_hide_problems_in_another(broken: dict[str, Any], profile: ControllerProfile) -> None:
    broken["tables"]["orders"]["key"] = "id"
    broken["tables"]["payments"]["retention"]["rule"] = "bank"
    problems = _problems(broken, profile)
    assert any(p.startswith(f"{WHERE}: tables.orders.key:") for p in problems)
    assert any(
        p.startswith(f"{WHERE}: tables.payments.retention.rule: unknown retention rule 'bank'") for p in problems
    )


def test_misspelt_column_option_is_an_unknown_key(broken: dict[str, Any], profile: ControllerProfile) -> None:
    broken["tables"]["orders"]["columns"]["contact_email"]["categry"] = "contact"
    assert f"{WHERE}: tables.orders.columns.contact_email.categry: unknown key" in _problems(broken, profile)
