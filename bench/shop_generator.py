"""Generate a large sample shop and time finding one person in it. Run by hand::

    .venv/bin/python bench/shop_generator.py --sqlite /tmp/shop.db --customers 1000000 --orders 10000000
    .venv/bin/python bench/shop_generator.py --postgres postgresql://postgres@127.0.0.1:5432/test \
        --customers 1000000 --orders 10000000 [--keep]

``--sqlite PATH`` fills (or reuses, with ``--reuse``) a SQLite file; ``--postgres URL`` creates a
fresh schema ``shop_<random>`` (dropped at the end unless ``--keep``, which prints the URL to
reuse). The shop is made by ``rightsdesk.demo_kit.sample_shop.generator.generate`` (personas
plus generated customers and orders), then ``find_subject_rows`` for the persona Līga and for
the first generated customer is timed
(``--runs`` runs after 3 warm-ups: median, p95, max; goal under 1 s as part of planning).
Figures go to ``bench/results/shop-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from rightsdesk.demo_kit import sample_shop
from rightsdesk.demo_kit.sample_shop.generator import generate
from workflows.adapters.connectors.subject_finder import find_subject_rows
from workflows.adapters.datamap_loader import load_datamap
from workflows.adapters.profile_loader import load_profile

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--sqlite", type=Path, help="SQLite file to fill")
    target.add_argument("--postgres", help="PostgreSQL URL; a fresh schema is made in it")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-documents", action="store_true", help="orders and lines only")
    parser.add_argument("--reuse", action="store_true", help="SQLite: time an existing file, do not generate")
    parser.add_argument("--keep", action="store_true", help="PostgreSQL: keep the schema")
    args = parser.parse_args(argv)
    today = date(2026, 3, 3)
    url, schema = _target(args)
    engine = create_engine(url)
    figures: dict[str, Any] = {"customers": args.customers, "orders": args.orders, "nproc": os.cpu_count()}
    try:
        if not args.reuse:
            started = time.perf_counter()
            made = generate(
                engine,
                customers=args.customers,
                orders=args.orders,
                seed=args.seed,
                today=today,
                documents=not args.no_documents,
                progress=lambda table, n: print(f"  {table}: {n:,}", file=sys.stderr),
            )
            figures["generate_s"] = round(time.perf_counter() - started, 1)
            figures["rows"] = made.counts
            print(f"generated in {figures['generate_s']} s: {made.counts}")
        figures["find_ms"] = _time_find(engine, args.runs, sample_shop.LIGA.identifiers)
        print(f"find_subject_rows(Līga): {figures['find_ms']}")
        if args.customers:  # a generated customer: about orders/customers orders, each with its documents
            generated = {"email": "customer10000@example.test"}
            figures["find_generated_ms"] = _time_find(engine, args.runs, generated)
            print(f"find_subject_rows(customer 10000): {figures['find_generated_ms']}")
    finally:
        engine.dispose()
        if schema is not None and not args.keep:
            _drop_schema(args.postgres, schema)
        elif schema is not None:
            print(f"kept: {url}")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"shop-{engine.dialect.name}-{stamp}.json"
    out.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    print(f"wrote {out}")
    return 0


def _target(args: argparse.Namespace) -> tuple[str, str | None]:
    if args.sqlite is not None:
        return f"sqlite:///{args.sqlite}", None
    base = str(args.postgres).replace("postgresql://", "postgresql+psycopg://", 1)
    schema = f"shop_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}", schema


def _drop_schema(url: str, schema: str) -> None:
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _time_find(engine: Engine, runs: int, identifiers: dict[str, str]) -> dict[str, float | int]:
    profile = load_profile(ROOT / "rightsdesk" / "examples" / "profiles" / "retail.toml")
    datamap = load_datamap(ROOT / "rightsdesk" / "examples" / "shop" / "datamap.toml", profile)
    timings: list[float] = []
    rows = 0
    with engine.connect() as connection:
        for run in range(runs + 3):
            started = time.perf_counter()
            found = find_subject_rows(datamap, identifiers, connections={"shop": connection})
            elapsed = (time.perf_counter() - started) * 1000
            if run >= 3:
                timings.append(elapsed)
            rows = found.total
    timings.sort()
    return {
        "median": round(statistics.median(timings), 2),
        "p95": round(timings[int(len(timings) * 0.95) - 1], 2),
        "max": round(timings[-1], 2),
        "rows_found": rows,
    }


if __name__ == "__main__":
    sys.exit(main())
