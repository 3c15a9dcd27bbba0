"""Every right carried out in the sample shop, as Līga (a verified customer) asks for it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from sqlalchemy import column, select, table

from rightsdesk.demo_kit.sample_shop import LIGA, NAMESAKE
from tests.integration.execution.conftest import ShopDesk
from workflows.domain.rights import Right

LIGA_KEPT_AFTER_ERASURE = {
    "orders": {(102,)},
    "order_lines": {(1002,), (1003,)},
    "invoices": {(102,)},
    "payments": {(101,), (102,)},
    "cctv_clips": {(1,)},
}
"""Inside their retention periods on the seed's day: claims 2 y (order 102 and its lines),
sales documents 5 y from the year's end (invoice 102), accounting 10 y (both payments),
CCTV 30 days (the clip of 10 days ago)."""


def _found_keys(desk: ShopDesk, identifiers: dict[str, str]) -> dict[str, set[tuple[object, ...]]]:
    found = desk.find(identifiers)
    return {name: set(rows.keys) for name, rows in found.tables.items() if rows.keys}


def test_erasure_leaves_only_rows_kept_under_a_retention_rule(desk: ShopDesk) -> None:
    desk.carry_out(LIGA, [Right.ERASURE])
    after = _found_keys(desk, LIGA.identifiers)
    for name, keys in after.items():
        assert keys <= LIGA_KEPT_AFTER_ERASURE.get(name, set()), name


def test_erasure_reply_names_exactly_the_rules_that_keep_rows(desk: ShopDesk) -> None:
    desk.carry_out(LIGA, [Right.ERASURE])
    (action,) = desk.actions()
    kept_rules = {k["retention_rule"] for k in action.preview["kept"]}
    assert kept_rules == {"consumer_claims", "sales_documents", "accounting_registers", "cctv_recordings"}
    (reply,) = desk.outbox("erasure_done")
    profile = desk.app.engine.profile
    for rule in profile.retention_rules:
        assert (rule.what["lv"] in reply.text) == (rule.id in kept_rules), rule.id


def test_erasure_does_not_touch_the_namesake(desk: ShopDesk) -> None:
    before = _found_keys(desk, NAMESAKE.identifiers)
    desk.carry_out(LIGA, [Right.ERASURE])
    assert _found_keys(desk, NAMESAKE.identifiers) == before


def test_export_holds_every_row_of_the_person_and_nobody_elses(desk: ShopDesk) -> None:
    expected = _found_keys(desk, LIGA.identifiers)
    desk.carry_out(LIGA, [Right.ACCESS])
    (action,) = desk.actions()
    path = Path(action.result["package"]["path"])
    with zipfile.ZipFile(path) as archive:
        exported = {
            name[: -len(".json")]: {(row["id"],) for row in json.loads(archive.read(name))["rows"]}
            for name in archive.namelist()
            if name.endswith(".json") and name != "manifest.json"
        }
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert exported == expected
    for foreign in (NAMESAKE.email, NAMESAKE.personal_code, NAMESAKE.phone):
        assert foreign.encode() not in everything


def test_access_reply_lists_the_categories_found(desk: ShopDesk) -> None:
    desk.carry_out(LIGA, [Right.ACCESS])
    (reply,) = desk.outbox("access_reply")
    assert "Videonovērošanas ieraksti veikalos" in reply.text  # her CCTV clips
    assert "SIA Omniva" in reply.text  # her parcel went to an Omniva terminal


def test_portability_exports_only_columns_the_person_provided(desk: ShopDesk) -> None:
    desk.carry_out(LIGA, [Right.PORTABILITY])
    (action,) = desk.actions()
    with zipfile.ZipFile(action.result["package"]["path"]) as archive:
        names = set(archive.namelist())
        customer_columns = json.loads(archive.read("customers.json"))["columns"]
    assert "segment" not in customer_columns  # derived, not provided (Art. 20)
    assert "invoices.json" not in names and "cctv_clips.json" not in names


def test_marketing_objection_applies_without_approval(desk: ShopDesk) -> None:
    reference = desk.open(LIGA, [Right.MARKETING_OBJECTION])
    desk.run_jobs()
    (action,) = desk.actions()
    assert (action.status, action.decided_by) == ("done", None)
    consents = table("marketing_consents", column("id"), column("email_opt_in"), column("sms_opt_in"))
    suppression = table("marketing_suppression", column("channel"))
    with desk.shop.connect() as connection:
        assert connection.execute(
            select(consents.c.email_opt_in, consents.c.sms_opt_in).where(consents.c.id == 1)
        ).one() == (False, False)
        channels = sorted(row.channel for row in connection.execute(select(suppression.c.channel)))
    assert channels == ["email", "sms"]
    assert desk.outbox("objection_applied")
    assert reference


def test_rectification_preview_shows_old_and_new_values(desk: ShopDesk) -> None:
    desk.open(LIGA, [Right.RECTIFICATION], details={"corrections": {"last_name": "Kalniņa"}})
    desk.run_jobs()
    (action,) = desk.actions()
    assert action.status == "awaiting_approval"
    assert action.preview["changes"] == [
        {
            "field": "last_name",
            "table": "customers",
            "column": "last_name",
            "old": "Bērziņa",
            "new": "Kalniņa",
            "rows": 1,
        }
    ]


def test_rectification_writes_the_new_value(desk: ShopDesk) -> None:
    desk.carry_out(LIGA, [Right.RECTIFICATION], details={"corrections": {"last_name": "Kalniņa"}})
    customers = table("customers", column("id"), column("last_name"))
    with desk.shop.connect() as connection:
        assert connection.execute(select(customers.c.last_name).where(customers.c.id == 1)).scalar_one() == "Kalniņa"
    assert desk.outbox("rectification_done")


def test_restriction_sets_the_flag_on_every_row_of_the_person(desk: ShopDesk) -> None:
    desk.carry_out(LIGA, [Right.RESTRICTION])
    found = desk.find(LIGA.identifiers)
    with desk.shop.connect() as connection:
        for name, rows in found.tables.items():
            flag = desk.data.datamap.table(name).restriction_flag
            if not rows.keys or flag is None:
                continue
            t = table(name, column("id"), column(flag))
            values = {v for (v,) in connection.execute(select(t.c[flag]).where(t.c.id.in_([k[0] for k in rows.keys])))}
            assert values == {True}, name


def test_erasure_notifies_the_recipients_that_must_be_told(desk: ShopDesk) -> None:
    desk.carry_out(LIGA, [Right.ERASURE])
    told = {row.recipient for row in desk.outbox("recipient_notice")}
    assert {"privacy@omniva.example", "privacy@dpd.example", "privacy@mailchimp.example"} <= told
    (action,) = desk.actions()
    assert "swedbank" in action.preview["recipients"]["exempt"]  # the profile says why not
