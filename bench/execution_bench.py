"""Plan and export time for one person in a large sample shop, and the export's memory.

Run by hand, one database at a time::

    .venv/bin/python bench/execution_bench.py --sqlite /var/tmp/rightsdesk-bench/shop.db --reuse
    .venv/bin/python bench/execution_bench.py --postgres postgresql://postgres@127.0.0.1:5432/test --reuse

The shop (``rightsdesk.demo_kit.sample_shop.generator.generate``: the personas plus
``--customers`` customers and ``--orders`` orders with lines, invoices, payments, deliveries)
is generated once into a persistent place -- the SQLite file, or the PostgreSQL schema
``--schema`` (default ``shop_bench``) -- and reused on later runs with ``--reuse`` (generation
of 10,000,000 orders takes a long while). Without ``--reuse`` an existing file or schema is
replaced.

Then, with the real ``SqlControllerData`` (subject finder, previews, export writer):

* **plan**: ``plan()`` for Līga (verified personal code + e-mail) asking for every right
  (access, portability, rectification, erasure, restriction, marketing objection), and for
  access alone; 3 warm-ups, then ``--runs`` runs: median, p95, max. Goal: under 1 s.
* **export**: ``execute()`` of an approved access export for Līga (ZIP with JSON, CSV, HTML),
  same statistics; its Python peak allocation (tracemalloc) and the process's peak RSS.
* **streaming**: the export writer fed ``--stream-rows`` synthetic rows in batches of 500,
  with tracemalloc's peak: memory must stay flat however large a person's history is.

Figures go to ``bench/results/execution-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from rightsdesk.demo_kit import sample_shop
from rightsdesk.demo_kit.sample_shop.generator import generate
from workflows.adapters.connectors.executor import ControllerDatabases, SqlControllerData
from workflows.adapters.connectors.export_package import ExportTable, write_export_package
from workflows.adapters.datamap_loader import load_datamap
from workflows.adapters.profile_loader import load_profile
from workflows.domain.actions import Action, ActionKind, ActionStatus
from workflows.domain.calendar import load_calendar
from workflows.domain.identity import ClaimedIdentity, IdentityTier, VerificationMethod, VerifiedIdentity
from workflows.domain.request import RightsRequest
from workflows.domain.rights import Channel, Language, Right

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
TODAY = datetime(2026, 3, 3, 7, 0, tzinfo=UTC)


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_s": statistics.median(ordered), "p95_s": p95, "max_s": ordered[-1], "runs": len(ordered)}


def _time(action: Callable[[], Any], runs: int, warmups: int = 3) -> dict[str, float]:
    for _ in range(warmups):
        action()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return _stats(samples)


def _request(rights: set[Right]) -> RightsRequest:
    persona = sample_shop.LIGA
    request = RightsRequest.open(
        request_id="bench",
        reference="DSR-2026-000001",
        rights=rights,
        channel=Channel.EMAIL,
        language=Language.LV,
        received_at=TODAY,
        claimed=ClaimedIdentity(email=persona.email),
        required_tier=IdentityTier.STRONG,
        calendar=load_calendar(None),
        details={"corrections": {"last_name": "Kalniņa"}},
    )
    request.verified = VerifiedIdentity(
        method=VerificationMethod.QUALIFIED_SIGNATURE,
        verified_at=TODAY,
        evidence_ref="bench",
        personal_code=persona.personal_code,
        email=persona.email,
    )
    return request


def _shop_engine(args: argparse.Namespace) -> tuple[Engine, str, Callable[[], None]]:
    """The shop's engine, its description, and a clean-up (nothing: the shop is kept for reuse)."""
    if args.sqlite:
        path: Path = args.sqlite
        if path.exists() and not args.reuse:
            path.unlink()
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not path.exists()
        engine = create_engine(f"sqlite:///{path}")
        described = f"sqlite:{path}"
    else:
        base = args.postgres.replace("postgresql://", "postgresql+psycopg://", 1)
        admin = create_engine(base)
        with admin.begin() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s"), {"s": args.schema}
            ).first()
            if exists and not args.reuse:
                connection.execute(text(f'DROP SCHEMA "{args.schema}" CASCADE'))
                exists = None
            if not exists:
                connection.execute(text(f'CREATE SCHEMA "{args.schema}"'))
        admin.dispose()
        fresh = not exists
        separator = "&" if "?" in base else "?"
        engine = create_engine(f"{base}{separator}options=-csearch_path%3D{args.schema}")
        described = f"postgresql schema {args.schema}"
    if fresh:
        started = time.perf_counter()
        print(f"generating {args.customers:,} customers and {args.orders:,} orders into {described} ...", flush=True)
        generate(engine, customers=args.customers, orders=args.orders, today=TODAY.date())
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    return engine, described, lambda: engine.dispose()


def _stream_rows(count: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for n in range(count):
        batch.append((n, f"order {n}", "2025-05-01T12:00:00", 1299 + n % 100, "Pavārgrāmata ar garu nosaukumu"))
        if len(batch) == 500:
            yield batch
            batch = []
    if batch:
        yield batch


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--sqlite", type=Path, help="SQLite file of the shop (kept for --reuse)")
    target.add_argument("--postgres", help="PostgreSQL URL; the shop lives in schema --schema")
    parser.add_argument("--schema", default="shop_bench")
    parser.add_argument("--reuse", action="store_true", help="use the shop generated by an earlier run")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--stream-rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)

    profile = load_profile(ROOT / "rightsdesk" / "examples" / "profiles" / "retail.toml")
    datamap = load_datamap(ROOT / "rightsdesk" / "examples" / "shop" / "datamap.toml", profile)
    shop, described, close = _shop_engine(args)
    results: dict[str, Any] = {"database": described, "nproc": os.cpu_count(), "load": os.getloadavg()}
    try:
        with tempfile.TemporaryDirectory() as scratch:
            environ = {"SHOP_HASH_SECRET": "bench"}
            data = SqlControllerData(
                ControllerDatabases(datamap, environ=environ, engines={"shop": shop}),
                profile,
                export_dir=Path(scratch),
            )
            every_right = {Right.ACCESS, Right.PORTABILITY, Right.RECTIFICATION, Right.ERASURE, Right.RESTRICTION}
            every_right.add(Right.MARKETING_OBJECTION)
            everything, access = _request(every_right), _request({Right.ACCESS})
            identifiers = {"personal_code": sample_shop.LIGA.personal_code, "email": sample_shop.LIGA.email}
            plan = data.plan(everything, identifiers, today=TODAY.date())
            results["plan_actions"] = [p.kind.value for p in plan.actions]
            results["plan_every_right"] = _time(
                lambda: data.plan(everything, identifiers, today=TODAY.date()), args.runs
            )
            results["plan_access"] = _time(lambda: data.plan(access, identifiers, today=TODAY.date()), args.runs)
            (export,) = data.plan(access, identifiers, today=TODAY.date()).actions
            action = Action(
                id="bench-export",
                request_id="bench",
                kind=ActionKind.EXPORT,
                status=ActionStatus.APPROVED,
                planned_by="bench",
                planned_at=TODAY,
                preview=export.stored_preview(),
            )
            outcome = data.execute(action, access, identifiers, now=TODAY)
            results["export_rows"] = outcome.result["rows"]
            results["export"] = _time(lambda: data.execute(action, access, identifiers, now=TODAY), args.runs)
            tracemalloc.start()
            data.execute(action, access, identifiers, now=TODAY)
            results["export_tracemalloc_peak_bytes"] = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()

            tracemalloc.start()
            started = time.perf_counter()
            package = write_export_package(
                Path(scratch) / "stream.zip",
                [
                    ExportTable(
                        "orders", ("id", "name", "placed_at", "total_cents", "product"), _stream_rows(args.stream_rows)
                    )
                ],
                profile=profile,
                language=Language.LV,
                reference="DSR-2026-000001",
                generated_at=TODAY,
                portable=False,
            )
            results["stream"] = {
                "rows": package.total_rows,
                "seconds": time.perf_counter() - started,
                "zip_bytes": package.size,
                "tracemalloc_peak_bytes": tracemalloc.get_traced_memory()[1],
            }
            tracemalloc.stop()
        results["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    finally:
        close()
    print(json.dumps(results, indent=2, default=str))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"execution-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
