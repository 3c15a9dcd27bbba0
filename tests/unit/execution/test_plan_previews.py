"""Plan previews are JSON that staff read, and read back to exactly the same plan."""

from __future__ import annotations

import json
from datetime import date

import pytest

from workflows.domain.datamap import ErasureMethod
from workflows.domain.plans import (
    ColumnTreatment,
    ErasurePreview,
    ExportPreview,
    FlagChange,
    KeptRows,
    OptOutPreview,
    PlanError,
    Preview,
    RecipientsToNotify,
    RectificationPreview,
    RestrictionPreview,
    TableAnonymisation,
    TableRows,
    ValueChange,
    preview_from_json,
)

EXAMPLES: list[Preview] = [
    ExportPreview(portable=True, tables=(TableRows("customers", 1, ("email",)), TableRows("orders", 12))),
    RectificationPreview(
        (ValueChange("email", "customers", "email", "old@example.lv", "new@example.lv", 1),),
        RecipientsToNotify(("omniva",), ("swedbank",)),
    ),
    ErasurePreview(
        deleted=(TableRows("newsletter_consents", 1),),
        anonymised=(TableAnonymisation("customers", 1, (ColumnTreatment("email", ErasureMethod.KEYED_HASH),)),),
        kept=(KeptRows("invoices", 3, "sales_documents", date(2031, 12, 31)),),
        categories=("contact",),
        suppression=("email",),
    ),
    RestrictionPreview((FlagChange("customers", "restricted", True, 1),), ("identity",)),
    OptOutPreview(("marketing_consent",), (FlagChange("newsletter_consents", "subscribed", False, 1),), ("email",)),
]


@pytest.mark.parametrize("preview", EXAMPLES, ids=lambda p: p.type)
def test_preview_round_trips_through_json(preview: Preview) -> None:
    stored = json.loads(json.dumps(preview.to_json()))
    assert preview_from_json(stored) == preview


def test_export_preview_counts_rows_per_table_and_in_total() -> None:
    stored = EXAMPLES[0].to_json()
    assert stored["total_rows"] == 13
    assert [t["rows"] for t in stored["tables"]] == [1, 12]


def test_erasure_preview_holds_no_values_only_counts_and_names() -> None:
    text = json.dumps(EXAMPLES[2].to_json())
    assert "@" not in text


def test_unknown_preview_type_is_a_plan_error() -> None:
    with pytest.raises(PlanError):
        preview_from_json({"type": "teleport"})


def test_malformed_preview_is_a_plan_error() -> None:
    with pytest.raises(PlanError):
        preview_from_json({"type": "erasure", "kept": [{"table": "x"}]})
