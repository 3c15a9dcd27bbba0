"""The copy of a person's data: a ZIP with JSON and CSV per table and an HTML summary.

Art. 15(3) asks for a copy "in a commonly used electronic form"; Art. 20(1) for data the
person provided "in a structured, commonly used and machine-readable format" (JSON and
CSV here; PDF would not be enough). The HTML summary gives the Art. 15(1) information
from the controller profile, tailored to what this person's rows show (EDPB 01/2022
¶¶112-113): only the categories, purposes, recipients, retention rules and sources of the
tables that had rows.

Memory stays flat whatever the size: rows arrive in batches (an iterator the caller
streams from the database) and are written to the ZIP entry as they come; the CSV of a
table is spooled to a temporary file meanwhile (a ZIP is written one entry at a time).
The file is written under a ``.part`` name and renamed when complete, so a crash never
leaves a half package that looks whole.

Delivery (e-mail attachment or one-time link) is the channels' business:
:func:`write_export_package` returns the path and its SHA-256.

When the controller has an electronic seal, a :class:`PackageSealer` wraps the finished ZIP
into an ASiC-E container sealed with it (``<package>.asice``), so the person or any eIDAS
validator can check who issued the copy and that it is unaltered (eIDAS Art. 35(2)). The
engine never touches the key: the composition root supplies the sealer.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
import tomllib
import zipfile
from base64 import b64encode
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from workflows.adapters import reply_vocabulary as vocab
from workflows.domain.errors import WorkflowError
from workflows.domain.profile import ControllerProfile, pick_text
from workflows.domain.rights import Language

_CHUNK = 1 << 16
"""Bytes (or characters) copied per step: memory stays at a few of these whatever the size."""


@dataclass(frozen=True)
class ExportTable:
    """One table of the export: its columns, its rows in batches, and what the data map
    says about it (profile ids), for the tailored Art. 15(1) summary."""

    name: str
    columns: tuple[str, ...]
    batches: Iterable[Sequence[Sequence[Any]]]
    categories: tuple[str, ...] = ()
    purposes: tuple[str, ...] = ()
    retention_rules: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExportPackage:
    path: Path
    sha256: str
    size: int
    rows: Mapping[str, int] = field(default_factory=dict)
    """Rows written per table (tables with none are listed with 0)."""

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


class PackageSealer(Protocol):
    """Seals a written export package with the controller's electronic seal.

    ``seal(path)`` writes an ASiC-E container (EN 319 162-1) next to ``path`` holding the
    file unchanged, sealed with XAdES (EN 319 132-1), and returns the container's path.
    A qualified electronic seal carries the presumption of the integrity and the origin of
    the data (eIDAS Art. 35(2)). Implementations raise :class:`PackageSealingError`.
    """

    def seal(self, path: Path) -> Path: ...


class PackageSealingError(WorkflowError):
    """The package could not be sealed; ``permanent`` is False when retrying may help
    (a busy token, an unreachable time-stamp authority)."""

    def __init__(self, message: str, *, permanent: bool = True, **fields: object) -> None:
        super().__init__(message, **fields)
        self.permanent = permanent


def json_value(value: Any) -> Any:
    """A database value as JSON: dates ISO 8601, decimals as strings (no float rounding),
    bytes as base64."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return b64encode(bytes(value)).decode("ascii")
    return str(value)


def _csv_value(value: Any) -> Any:
    converted = json_value(value)
    if isinstance(converted, bool):
        return "true" if converted else "false"
    return "" if converted is None else converted


def write_export_package(
    path: Path,
    tables: Iterable[ExportTable],
    *,
    profile: ControllerProfile,
    language: Language,
    reference: str,
    generated_at: datetime,
    portable: bool,
) -> ExportPackage:
    """Write the package to ``path`` (atomically) and return it with its SHA-256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    counts: dict[str, int] = {}
    shown: list[ExportTable] = []
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for table in tables:
            counts[table.name] = _write_table(archive, table)
            if counts[table.name]:
                shown.append(table)
        manifest = {
            "reference": reference,
            "controller": profile.name,
            "generated_at": generated_at.isoformat(),
            "portable": portable,
            "tables": counts,
        }
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
        summary = render_summary(
            shown,
            counts,
            profile=profile,
            language=language,
            reference=reference,
            generated_at=generated_at,
            portable=portable,
        )
        archive.writestr("summary.html", summary)
    os.replace(partial, path)
    digest, size = file_sha256(path)
    return ExportPackage(path=path, sha256=digest, size=size, rows=counts)


def file_sha256(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _write_table(archive: zipfile.ZipFile, table: ExportTable) -> int:
    """Stream rows into ``<table>.json`` while spooling ``<table>.csv``; returns the row count."""
    rows = 0
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="") as spool:
        writer = csv.writer(spool)
        writer.writerow(table.columns)
        with archive.open(f"{table.name}.json", "w", force_zip64=True) as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8")
            header = json.dumps({"table": table.name, "columns": list(table.columns)})
            out.write(header[:-1] + ', "rows": [')
            for batch in table.batches:
                for row in batch:
                    record = {column: json_value(value) for column, value in zip(table.columns, row, strict=True)}
                    out.write(("\n  " if rows == 0 else ",\n  ") + json.dumps(record, ensure_ascii=False))
                    writer.writerow([_csv_value(value) for value in row])
                    rows += 1
            out.write("\n]}\n")
            out.flush()
            out.detach()
        spool.seek(0)
        with archive.open(f"{table.name}.csv", "w", force_zip64=True) as raw_csv:
            # UTF-8 with BOM so spreadsheet programs read Latvian letters right.
            raw_csv.write(b"\xef\xbb\xbf")
            out_csv = io.TextIOWrapper(raw_csv, encoding="utf-8", newline="")
            shutil.copyfileobj(spool, out_csv, _CHUNK)
            out_csv.flush()
            out_csv.detach()
    return rows


# -- the human-readable summary ----------------------------------------------------------------

_HERE = Path(__file__).resolve().parent
_TEMPLATE = "export_summary.html.j2"


@cache
def _labels() -> dict[str, dict[str, str]]:
    with (_HERE / "export_summary_labels.toml").open("rb") as stream:
        return tomllib.load(stream)


@cache
def _summary_environment() -> Environment:
    # Autoescape: table names, profile texts and values must never become markup.
    return Environment(loader=FileSystemLoader(_HERE), autoescape=True, undefined=StrictUndefined)


def _unique(ids: Iterator[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def render_summary(
    tables: Sequence[ExportTable],
    counts: Mapping[str, int],
    *,
    profile: ControllerProfile,
    language: Language,
    reference: str,
    generated_at: datetime,
    portable: bool,
) -> str:
    """The Art. 15(1) information tailored to ``tables`` (those that had rows)."""
    code = language.value
    purposes = [profile.purpose(i) for i in _unique(p for t in tables for p in t.purposes)]
    category_ids = _unique(c for t in tables for c in t.categories)
    recipient_ids = recipients_of(profile, [p.id for p in purposes], category_ids)
    labels = _labels()
    return (
        _summary_environment()
        .get_template(_TEMPLATE)
        .render(
            lang=code,
            l=labels.get(code, labels["en"]),
            reference=reference,
            portable=portable,
            profile=profile,
            authority=profile.supervisory_authority,
            generated=vocab.format_date(generated_at.date(), code),
            counts=sorted(counts.items()),
            purposes=purposes,
            categories=[profile.category(i) for i in category_ids],
            recipients=[profile.recipient(i) for i in recipient_ids],
            retention=[profile.retention_rule(i) for i in _unique(r for t in tables for r in t.retention_rules)],
            sources=[profile.source(i) for i in _unique(s for t in tables for s in t.sources)],
            t=lambda text: pick_text(text, code) if text is not None else "",
            basis=lambda key: vocab.word(vocab.LEGAL_BASIS_NAMES, str(key), code),
            role=lambda key: vocab.word(vocab.ROLE_NAMES, str(key), code),
            period=lambda value: vocab.format_period(value, code),
        )
    )


def recipients_of(profile: ControllerProfile, purposes: Iterable[str], categories: Iterable[str]) -> tuple[str, ...]:
    """Recipients of ``purposes`` who receive any of ``categories`` (all if the profile lists none)."""
    wanted = set(categories)
    found: list[str] = []
    for purpose_id in purposes:
        for recipient_id in profile.purpose(purpose_id).recipients:
            recipient = profile.recipient(recipient_id)
            if (not recipient.categories or set(recipient.categories) & wanted) and recipient_id not in found:
                found.append(recipient_id)
    return tuple(found)
