"""Engine benchmark: deadline lists and transitions/s with a million requests.

Run by hand, never by pytest::

    .venv/bin/python bench/engine_bench.py --sqlite --postgres postgresql://postgres@127.0.0.1:5432/test

For each database it creates a fresh one (a SQLite file in a temporary folder; a fresh
schema on PostgreSQL, dropped at the end), migrates it, bulk-loads ``--requests``
synthetic requests, runs ANALYZE, times ``RequestQueries.due_soon`` and ``.overdue``
(goal: under 50 ms), prints their plans, then measures transitions per second with 1
and 4 worker processes. Results go to ``bench/results/engine-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import engine_data
import engine_fixes
import engine_lists
import engine_transitions
from sqlalchemy import Engine, event, text

from workflows.adapters import migrate
from workflows.adapters.database import make_engine
from workflows.domain.deadlines import riga_date

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
GOAL_MS = 50.0
RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo")
    memory_kb = 0
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    return {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def say(message: str) -> None:
    print(message, flush=True)


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="rightsdesk-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def postgres_schema(base_url: str) -> Iterator[str]:
    """A fresh schema on the given database, dropped at the end (as the test fixtures do)."""
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def loading_engine(url: str) -> Engine:
    """The engine for the bulk load only: on SQLite a large page cache, since random ids and
    timestamps make index inserts random; the measurements use the project's own settings."""
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _big_cache(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA cache_size=-1048576")

    return engine


def analyze(engine: Engine) -> None:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql("ANALYZE")
            connection.exec_driver_sql("PRAGMA optimize")
        else:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        connection.commit()


def server_version(engine: Engine) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return f"SQLite {sqlite3.sqlite_version}"
        return str(connection.exec_driver_sql("SHOW server_version").scalar_one())


def bench_database(label: str, url: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    today = riga_date(datetime.now(UTC))
    engine = make_engine(url)
    result: dict[str, Any] = {"database": label, "today": today.isoformat()}
    try:
        result["server"] = server_version(engine)
        migrate.upgrade(engine)
        plan = engine_data.LoadPlan(total=args.requests, candidates=2 * args.transitions, today=today)
        say(f"[{label}] loading {plan.total:,} requests ({plan.open_count:,} open) ...")
        step = max(plan.total // 10, 1)

        def progress(written: int) -> None:
            if written % step < plan.batch_size:
                say(f"[{label}]   {written:,} rows")

        loader = loading_engine(url)
        try:
            loaded = engine_data.load(loader, plan, progress=progress)
        finally:
            loader.dispose()
        say(f"[{label}] loaded in {loaded.seconds:.1f} s ({loaded.rows / loaded.seconds:,.0f} rows/s); ANALYZE ...")
        started = time.perf_counter()
        analyze(engine)
        result["load"] = {
            "requests": loaded.rows,
            "open": loaded.open_rows,
            "seconds": round(loaded.seconds, 1),
            "analyze_seconds": round(time.perf_counter() - started, 1),
        }

        timings = engine_lists.measure(engine, today, args.runs)
        result["lists"] = [asdict(t) for t in timings]
        plans = engine_lists.explain(engine, today)
        result["plans"] = plans
        for name, text_plan in plans.items():
            say(f"[{label}] plan of {name}:\n{text_plan}\n")

        if args.fixes:
            say(f"[{label}] candidate fixes (bounded due_soon; ix_requests_closed_at WHERE closed_at IS NOT NULL) ...")
            fixes = engine_fixes.measure(engine, today, args.runs)
            result["candidate_fixes"] = fixes
            say(f"[{label}] list sizes without the limit: {fixes['list_sizes']}")
            for variant in ("schema_as_is", "with_candidate_index"):
                for t in fixes[variant]["lists"]:
                    timing = f"median {t['median_ms']} ms, p95 {t['p95_ms']} ms, {t['rows']} rows"
                    say(f"[{label}]   {variant}: {t['name']}: {timing}")
                for name, text_plan in fixes[variant]["plans"].items():
                    say(f"[{label}]   {variant} plan of {name}:\n{text_plan}\n")

        references = loaded.candidate_references
        result["transitions"] = []
        offset = 0
        for processes in args.processes:
            batch = references[offset : offset + args.transitions]
            offset += args.transitions
            if len(batch) < args.transitions:
                say(f"[{label}] not enough candidate requests for {processes} processes; skipped")
                continue
            say(f"[{label}] {len(batch):,} transitions with {processes} process(es) ...")
            run = engine_transitions.run(url, engine, batch, processes, workdir)
            moved = engine_transitions.count_in_progress(engine, batch)
            entry = asdict(run) | {"per_second": round(run.per_second, 1), "verified_in_progress": moved}
            result["transitions"].append(entry)
            say(f"[{label}]   {run.per_second:,.0f} transitions/s ({run.failures} failures, {moved:,} moved)")
    finally:
        engine.dispose()
    return result


def table(results: list[dict[str, Any]]) -> str:
    lines = [f"{'database':<12} {'measure':<34} {'median':>10} {'p95':>10} {'rows':>6}  goal"]
    for r in results:
        for t in r.get("lists", []):
            verdict = "ok" if t["p95_ms"] < GOAL_MS else "MISSED"
            lines.append(
                f"{r['database']:<12} {t['name']:<34} {t['median_ms']:>8.2f}ms {t['p95_ms']:>8.2f}ms"
                f" {t['rows']:>6}  <{GOAL_MS:.0f} ms {verdict}"
            )
        fixes = r.get("candidate_fixes", {})
        candidates = [("as-is", t) for t in fixes.get("schema_as_is", {}).get("lists", [])]
        candidates += [("fix", t) for t in fixes.get("with_candidate_index", {}).get("lists", [])]
        for variant, t in candidates:
            verdict = "ok" if t["p95_ms"] < GOAL_MS else "MISSED"
            name = f"{variant}: {t['name']}"[:34]
            lines.append(
                f"{r['database']:<12} {name:<34} {t['median_ms']:>8.2f}ms {t['p95_ms']:>8.2f}ms"
                f" {t['rows']:>6}  <{GOAL_MS:.0f} ms {verdict}"
            )
        for t in r.get("transitions", []):
            lines.append(
                f"{r['database']:<12} {'transitions/s, ' + str(t['processes']) + ' process(es)':<34}"
                f" {t['per_second']:>10,.0f} {'':>10} {'':>6}  {t['transitions']:,} in {t['seconds']:.1f} s,"
                f" {t['failures']} failed"
            )
        load = r.get("load")
        if load:
            lines.append(
                f"{r['database']:<12} {'bulk load':<34} {load['seconds']:>9.1f}s {'':>10} {'':>6}"
                f"  {load['requests']:,} rows ({load['open']:,} open)"
            )
    return "\n".join(lines)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--sqlite", action="store_true", help="benchmark SQLite (a file in a temporary folder)")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=DEFAULT_POSTGRES,
        metavar="URL",
        help=f"benchmark PostgreSQL in a fresh schema of this database (default {DEFAULT_POSTGRES})",
    )
    parser.add_argument("--requests", type=int, default=1_000_000, help="requests to load (default 1,000,000)")
    parser.add_argument(
        "--transitions", type=int, default=20_000, help="transitions per process-count run (default 20,000)"
    )
    parser.add_argument("--runs", type=int, default=50, help="timed runs of each list query (default 50)")
    parser.add_argument(
        "--processes", type=int, nargs="*", default=[1, 4], help="worker process counts to measure (default 1 4)"
    )
    parser.add_argument(
        "--no-fixes", dest="fixes", action="store_false", help="skip measuring the candidate list fixes"
    )
    args = parser.parse_args(argv)
    if not args.sqlite and not args.postgres:
        args.sqlite, args.postgres = True, DEFAULT_POSTGRES
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "arguments": {k: v for k, v in vars(args).items()},
        "results": [],
    }
    say(f"machine: {json.dumps(report['machine'])}")
    with tempfile.TemporaryDirectory(prefix="rightsdesk-bench-work-") as workdir:
        if args.sqlite:
            with sqlite_database() as url:
                report["results"].append(bench_database("sqlite", url, args, Path(workdir)))
        if args.postgres:
            with postgres_schema(args.postgres) as url:
                report["results"].append(bench_database("postgresql", url, args, Path(workdir)))
    report["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    say("\n" + table(report["results"]))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"engine-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    say(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
