"""The export package: JSON and CSV per table, a tailored Art. 15(1) summary, streamed."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from workflows.adapters.connectors.export_package import ExportTable, write_export_package
from workflows.adapters.profile_loader import load_profile
from workflows.domain.profile import ControllerProfile
from workflows.domain.rights import Language

PROFILES = Path(__file__).resolve().parents[3] / "rightsdesk" / "examples" / "profiles"
NOW = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def profile() -> ControllerProfile:
    return load_profile(PROFILES / "retail.toml")


def _customers() -> ExportTable:
    return ExportTable(
        name="customers",
        columns=("id", "name", "email"),
        batches=[[(7, "Līga Kalniņa", "liga@example.lv")]],
        categories=("identity", "contact"),
        purposes=("sales",),
        retention_rules=("customer_account",),
    )


def _orders(batches: Sequence[Sequence[Sequence[Any]]]) -> ExportTable:
    return ExportTable(
        name="orders",
        columns=("id", "placed_on", "total"),
        batches=batches,
        categories=("purchases",),
        purposes=("sales", "delivery"),
        retention_rules=("sales_documents",),
    )


def _write(
    tmp_path: Path, profile: ControllerProfile, tables: list[ExportTable], language: Language = Language.LV
) -> Any:
    return write_export_package(
        tmp_path / "DSR-2026-000001.zip",
        tables,
        profile=profile,
        language=language,
        reference="DSR-2026-000001",
        generated_at=NOW,
        portable=False,
    )


def test_package_has_json_and_csv_per_table_with_every_row(tmp_path: Path, profile: ControllerProfile) -> None:
    orders = _orders([[(1, date(2025, 5, 1), Decimal("12.30"))], [(2, date(2025, 6, 1), Decimal("4.00"))]])
    package = _write(tmp_path, profile, [_customers(), orders])
    with zipfile.ZipFile(package.path) as archive:
        data = json.loads(archive.read("orders.json"))
        rows = list(csv.reader(io.StringIO(archive.read("orders.csv").decode("utf-8-sig"))))
    assert data["rows"] == [
        {"id": 1, "placed_on": "2025-05-01", "total": "12.30"},
        {"id": 2, "placed_on": "2025-06-01", "total": "4.00"},
    ]
    assert rows == [["id", "placed_on", "total"], ["1", "2025-05-01", "12.30"], ["2", "2025-06-01", "4.00"]]
    assert package.rows == {"customers": 1, "orders": 2}


def test_package_digest_is_the_sha256_of_the_file(tmp_path: Path, profile: ControllerProfile) -> None:
    package = _write(tmp_path, profile, [_customers()])
    assert package.sha256 == hashlib.sha256(package.path.read_bytes()).hexdigest()
    assert package.size == package.path.stat().st_size
    assert not package.path.with_name(package.path.name + ".part").exists()


def test_summary_names_only_what_this_persons_rows_show(tmp_path: Path, profile: ControllerProfile) -> None:
    empty_cctv = ExportTable(
        "cctv_log", ("id",), [], categories=("cctv",), purposes=("cctv",), retention_rules=("cctv_recordings",)
    )
    package = _write(
        tmp_path, profile, [_customers(), _orders([[(1, date(2025, 5, 1), Decimal("1"))]]), empty_cctv], Language.EN
    )
    with zipfile.ZipFile(package.path) as archive:
        summary = archive.read("summary.html").decode("utf-8")
    assert "Receipts, invoices and waybills" in summary
    assert "SIA Omniva" in summary  # a delivery recipient: orders serve delivery
    assert "CCTV" not in summary and "Valsts policija" not in summary


def test_summary_is_in_the_requests_language(tmp_path: Path, profile: ControllerProfile) -> None:
    package = _write(tmp_path, profile, [_customers()], Language.LV)
    with zipfile.ZipFile(package.path) as archive:
        summary = archive.read("summary.html").decode("utf-8")
    assert "Jūsu personas dati" in summary and "Datu valsts inspekcija" in summary


def test_summary_escapes_values_from_the_profile_and_tables(tmp_path: Path, profile: ControllerProfile) -> None:
    table = ExportTable("<b>x</b>", ("id",), [[(1,)]])
    package = _write(tmp_path, profile, [table])
    with zipfile.ZipFile(package.path) as archive:
        summary = archive.read("summary.html").decode("utf-8")
    assert "<b>x</b>" not in summary


def test_rows_are_consumed_batch_by_batch(tmp_path: Path, profile: ControllerProfile) -> None:
    consumed: list[int] = []

    def batches() -> Iterator[list[tuple[int]]]:
        for start in range(0, 3000, 1000):
            consumed.append(start)
            yield [(n,) for n in range(start, start + 1000)]

    package = _write(tmp_path, profile, [ExportTable("events", ("n",), batches())])
    assert consumed == [0, 1000, 2000]
    assert package.rows == {"events": 3000}
