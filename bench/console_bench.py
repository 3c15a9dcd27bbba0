"""Staff console page render times with 100,000 requests in the database.

Bulk-loads synthetic requests (``engine_data``: ~95 % closed over three years, ~5 % open around
today), opens one real case through the engine (events, messages, a queued erasure with a
preview), signs an approver in, and times full page requests through the ASGI app (routing,
session lookup, queries, Jinja rendering) with httpx's in-process transport: the dashboard,
the request list (newest first, overdue) and the request page, and searches: by part of a
name (rare, Latvian, common, two letters), by e-mail. Median and p95 over ``--runs`` requests
after a warm-up. Goal: under 100 ms each page; searches under 20 ms p95.

The searches are then timed again in the same run on the same data without the search
indexes of migration 0012 (FTS5 trigram table and triggers on SQLite, pg_trgm and lower(e-mail)
indexes on PostgreSQL): the scan that every name search was before, and that a database
without the index still does.

    .venv/bin/python bench/console_bench.py --sqlite [--postgres URL] [--requests 100000]

Results go to ``bench/results/console-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import engine_data
from engine_bench import analyze, loading_engine, machine, say
from sqlalchemy import create_engine, text
from starlette.testclient import TestClient

from rightsdesk.bootstrap import build_app
from rightsdesk.settings import Settings
from staff.roles import Role
from staff.web.app import ConsoleConfig, build_console
from workflows.adapters import migrate, request_search
from workflows.domain.actions import ActionKind
from workflows.domain.deadlines import riga_date
from workflows.domain.identity import ClaimedIdentity, VerificationMethod, VerifiedIdentity
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer import commands as c

GOAL_MS = 100.0
SEARCH_GOAL_MS = 20.0
PAGES = ["/", "/requests", "/requests?overdue=1"]
SEARCHES = [
    "/requests?q=customer12",  # kept from earlier runs: no name contains it (names read "Customer 12")
    "/requests?q=šteins",  # one case, Latvian letters in another case
    "/requests?q=Customer 4711",  # eleven cases
    "/requests?q=customer",  # every case: the worst a trigram index meets
    "/requests?q=št",  # two letters: the start of a word (" št" is a trigram)
    "/requests?q=Customer4711@Example.lv",  # an e-mail address in another case
]
RESULTS = Path(__file__).resolve().parent / "results"
PASSWORD = "benchmark password 1"


def _case(app: Any) -> tuple[str, str]:
    now = app.engine.clock.now()
    identity = VerifiedIdentity(VerificationMethod.QUALIFIED_SIGNATURE, now, "sha256:bench", name="Bench Customer")
    reference = app.engine.handle(
        c.OpenRequest(
            channel=Channel.EMAIL,
            rights=frozenset({Right.ERASURE, Right.ACCESS}),
            language=Language.LV,
            claimed=ClaimedIdentity(name="Bench Customer", email="bench.customer@example.lv"),
            received_at=now,
            evidence=identity,
            evidence_summary={"indication": "TOTAL_PASSED", "qualification": "QESig"},
            incoming_subject="Dzēst datus",
            incoming_text="Lūdzu dzēsiet manus datus.",
        )
    )
    preview = {"databases": [{"table": f"t{i}", "rows": i, "operation": "delete"} for i in range(12)]}
    action = app.engine.handle(c.PlanAction(reference, ActionKind.ERASE, preview, actor="staff:agent"))
    return str(reference), str(action)


def _latvian_case(app: Any) -> str:
    now = app.engine.clock.now()
    return str(
        app.engine.handle(
            c.OpenRequest(
                channel=Channel.EMAIL,
                rights=frozenset({Right.ACCESS}),
                language=Language.LV,
                claimed=ClaimedIdentity(name="Ēriks Šteins", email="eriks.steins@example.lv"),
                received_at=now,
                incoming_subject="Datu pieprasījums",
                incoming_text="Lūdzu, izsniedziet manus personas datus.",
            )
        )
    )


def _drop_search_indexes(engine: Any) -> None:
    """The schema as before migration 0012's search indexes (the search then scans)."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            for trigger in request_search.SQLITE_TRIGGERS:
                connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {trigger}")
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {request_search.SQLITE_SEARCH_TABLE}")
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {request_search.SQLITE_SEARCH_KEYS}")
        for name in request_search.INDEX_OBJECTS:
            if name.startswith("ix_"):
                connection.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    analyze(engine)


def _time_pages(app: Any, pages: list[str], runs: int, goal_ms: float) -> list[dict[str, Any]]:
    """Sign an approver in to a freshly built console and time each page."""
    console = build_console(
        engine=app.engine, database=app.database, reader=app.reader, config=ConsoleConfig(secure_cookies=False)
    )
    with TestClient(console) as client:
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
        form = {"username": "approver", "password": PASSWORD, "csrf": token.group(1) if token else ""}
        client.post("/login", data=form)
        return [_time(client, page, runs, goal_ms) for page in pages]


def _time(client: TestClient, path: str, runs: int, goal_ms: float = GOAL_MS) -> dict[str, Any]:
    for _ in range(3):
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * len(samples)) - 1)]
    median = statistics.median(samples)
    return {"page": path, "median_ms": round(median, 2), "p95_ms": round(p95, 2), "under_goal": p95 < goal_ms}


def bench(label: str, url: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    settings = Settings.model_validate({"database": {"url": url}, "base_dir": str(workdir)})
    app = build_app(settings)
    try:
        migrate.upgrade(app.database)
        today = riga_date(datetime.now(UTC))
        plan = engine_data.LoadPlan(total=args.requests, candidates=0, today=today)
        say(f"[{label}] loading {plan.total:,} requests ...")
        loader = loading_engine(url)
        try:
            loaded = engine_data.load(loader, plan)
        finally:
            loader.dispose()
        say(f"[{label}] loaded in {loaded.seconds:.1f} s (the name index is kept by triggers on SQLite)")
        analyze(app.database)
        reference, _ = _case(app)
        _latvian_case(app)
        build_console(
            engine=app.engine, database=app.database, reader=app.reader, config=ConsoleConfig(secure_cookies=False)
        ).state.console.accounts.add("approver", Role.APPROVER, PASSWORD, by="bench")
        timings = _time_pages(app, [*PAGES, f"/requests/{reference}"], args.runs, GOAL_MS)
        searches = _time_pages(app, SEARCHES, args.runs, SEARCH_GOAL_MS)
        _drop_search_indexes(app.database)
        scans = _time_pages(app, SEARCHES, args.runs, SEARCH_GOAL_MS)
        for t in timings:
            say(f"[{label}] {t['page']:<40} median {t['median_ms']:7.2f} ms   p95 {t['p95_ms']:7.2f} ms")
        for indexed, scanned in zip(searches, scans, strict=True):
            say(
                f"[{label}] {indexed['page']:<40} index: median {indexed['median_ms']:7.2f} p95 "
                f"{indexed['p95_ms']:7.2f} ms | scan: median {scanned['median_ms']:7.2f} "
                f"p95 {scanned['p95_ms']:7.2f} ms"
            )
        return {
            "database": label,
            "requests": loaded.rows,
            "open": loaded.open_rows,
            "load_seconds": round(loaded.seconds, 1),
            "pages": timings,
            "searches_indexed": searches,
            "searches_scanning": scans,
        }
    finally:
        app.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL URL; a fresh schema is used and dropped")
    parser.add_argument("--requests", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    report: dict[str, Any] = {
        "machine": machine(),
        "goal_ms": GOAL_MS,
        "search_goal_ms": SEARCH_GOAL_MS,
        "results": [],
    }
    with tempfile.TemporaryDirectory() as workdir:
        if args.sqlite or not args.postgres:
            report["results"].append(bench("sqlite", f"sqlite:///{workdir}/console.db", args, Path(workdir)))
        if args.postgres:
            schema = f"console_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.postgres.replace("postgresql://", "postgresql+psycopg://", 1))
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            try:
                sep = "&" if "?" in args.postgres else "?"
                url = f"{args.postgres}{sep}options=-csearch_path%3D{schema}"
                report["results"].append(bench("postgresql", url, args, Path(workdir)))
            finally:
                with admin.begin() as connection:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"console-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(report, indent=2, default=str))
    say(f"results: {out}")
    measured = [p for r in report["results"] for p in (*r["pages"], *r["searches_indexed"])]
    return 0 if all(p["under_goal"] for p in measured) else 1


if __name__ == "__main__":
    sys.exit(main())
