"""The `rightsdesk` command line: operators' entry to every part of the system.

Errors of our own (configuration, unknown references, refused transitions) are shown as
one plain sentence with what to do, and exit 2; no traceback for a person to decode.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rightsdesk import settings as settings_module
from rightsdesk.bootstrap import App, build_app, builtin_profile_path
from rightsdesk.logging_setup import configure_logging
from rightsdesk.settings import BUILTIN_PROFILES, Settings, load_settings
from workflows.domain.errors import WorkflowError

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = _strip_global(args)[:1]
    if command in (["staff"], ["queue"], ["approve"], ["reject"]):
        from staff.cli import main as staff_main

        configure_logging("WARNING")
        try:
            app = _app(_global_options(args))
        except WorkflowError as error:
            print(f"rightsdesk: {error}", file=sys.stderr)
            return EXIT_USAGE
        try:
            return staff_main(_strip_global(args), app)
        finally:
            app.close()
    if command == ["seal"]:
        from rightsdesk.sealing import seal_command as seal_main

        configure_logging("WARNING")
        return seal_main(_strip_global(args)[1:])
    if command == ["verify"]:
        # Signature validation is a leaf library with its own argument parser.
        from signature.cli import main as verify_main

        configure_logging("ERROR")
        return verify_main(_strip_global(args)[1:])
    parser = _parser()
    options = parser.parse_args(args)
    if not getattr(options, "handler", None):
        parser.print_help()
        return EXIT_USAGE
    configure_logging("WARNING")
    try:
        result: int = options.handler(options)
        return result
    except WorkflowError as error:
        print(f"rightsdesk: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rightsdesk", description="Handle GDPR data-subject rights requests (see README)."
    )
    parser.add_argument("--config", help="settings file (default: $RIGHTSDESK_CONFIG or ./rightsdesk.toml)")
    sub = parser.add_subparsers(metavar="COMMAND")

    init = sub.add_parser("init", help="create rightsdesk.toml, a controller profile and the database here")
    init.add_argument("--profile", choices=BUILTIN_PROFILES, default="retail", help="example profile to start from")
    init.add_argument("--force", action="store_true", help="overwrite existing files")
    init.set_defaults(handler=_init)

    serve = sub.add_parser("serve", help="run the services (worker, /healthz, /metrics)")
    serve.add_argument(
        "--only",
        action="append",
        choices=["web", "worker", "smtp", "telegram"],
        help="run only this service (repeatable)",
    )
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(handler=_serve)

    demo = sub.add_parser("demo", help="try everything locally: sample shop, sample requests, staff console")
    demo.add_argument("--dir", default="rightsdesk-demo", help="where the demo keeps its files (./rightsdesk-demo)")
    demo.add_argument("--port", type=int, default=8080, help="staff console port (another if taken)")
    demo.add_argument("--smtp-port", type=int, default=2525, help="SMTP intake port (another if taken)")
    demo.set_defaults(handler=_demo)

    config = sub.add_parser("config", help="configuration")
    config_sub = config.add_subparsers(metavar="ACTION")
    check = config_sub.add_parser("check", help="report every configuration problem at once")
    check.set_defaults(handler=_config_check)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(handler=_db_upgrade)

    requests = sub.add_parser("requests", help="list and show requests")
    req_sub = requests.add_subparsers(metavar="ACTION")
    listing = req_sub.add_parser("list", help="list requests (newest first, or by due date)")
    listing.add_argument("--state", action="append", default=[], help="only this state (repeatable)")
    listing.add_argument("--due-within", type=int, metavar="DAYS", help="open requests due within DAYS")
    listing.add_argument("--overdue", action="store_true", help="open requests past their due date")
    listing.add_argument("--search", help="reference, name or e-mail")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_requests_list)
    show = req_sub.add_parser("show", help="one request with its timeline")
    show.add_argument("reference")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_requests_show)

    deadline = sub.add_parser("deadline", help="the legal due date for a receipt date (Art. 12(3))")
    deadline.add_argument("--received", required=True, type=_iso_date, help="YYYY-MM-DD (Riga date)")
    deadline.add_argument("--extended", action="store_true", help="also the date with the two-month extension")
    deadline.add_argument("--calendar", help="an edited holiday calendar TOML")
    deadline.set_defaults(handler=_deadline)

    audit = sub.add_parser("audit", help="the hash-chained audit log")
    audit_sub = audit.add_subparsers(metavar="ACTION")
    audit_sub.add_parser("verify", help="find changed, removed or reordered events").set_defaults(handler=_audit_verify)

    purge = sub.add_parser("purge", help="purge case files past their retention period")
    purge.set_defaults(handler=_purge)

    datamap = sub.add_parser("datamap", help="the data map of the controller's own databases")
    datamap_sub = datamap.add_subparsers(metavar="ACTION")
    datamap_sub.add_parser(
        "check", help="connect and confirm every table, column and link of the data map exists"
    ).set_defaults(handler=_datamap_check)

    trust = sub.add_parser("trust", help="EU trusted lists used to validate qualified signatures")
    trust_sub = trust.add_subparsers(metavar="ACTION")
    refresh = trust_sub.add_parser(
        "refresh", help="download and verify fresh lists; keep the last good ones on failure"
    )
    refresh.add_argument("--dir", help="trust directory (default: [signature] trust_dir)")
    refresh.add_argument("--territory", action="append", default=None, help="national list to fetch (default LV)")
    refresh.set_defaults(handler=_trust_refresh)

    sub.add_parser("staff", help="staff accounts: rightsdesk staff add|disable|reset|list USER")
    sub.add_parser("queue", help="actions waiting for approval")
    sub.add_parser("approve", help="rightsdesk approve ACTION --as USER")
    sub.add_parser("reject", help="rightsdesk reject ACTION --as USER --reason TEXT")
    sub.add_parser("seal", help="the controller's e-seal: rightsdesk seal setup-demo | test (see --help)")
    sub.add_parser("verify", help="validate a signed file: rightsdesk verify FILE [--trust DIR] [--json]")
    return parser


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {value!r}") from error


def _settings(options: argparse.Namespace) -> Settings:
    import os

    return load_settings(settings_module.find_config(options.config, os.environ))


def _app(options: argparse.Namespace, **kwargs: Any) -> App:
    return build_app(_settings(options), **kwargs)


# -- commands ----------------------------------------------------------------------------------


def _init(options: argparse.Namespace) -> int:
    config_path = Path(options.config or settings_module.DEFAULT_CONFIG_NAME)
    profile_target = config_path.parent / "controller-profile.toml"
    for path in (config_path, profile_target):
        if path.exists() and not options.force:
            print(f"rightsdesk: {path} exists; use --force to overwrite it", file=sys.stderr)
            return EXIT_USAGE
    shutil.copyfile(builtin_profile_path(options.profile), profile_target)
    config_path.write_text(_starter_config(profile_target.name), encoding="utf-8")
    app = build_app(load_settings(config_path, {}), migrate_schema=True)
    app.close()
    print(f"Created {config_path} and {profile_target} (from the {options.profile} example).")
    print(f"Database ready at {app.settings.database_url}.")
    print("Next: edit the controller profile with your company's details, then run `rightsdesk serve`.")
    return EXIT_OK


def _starter_config(profile_name: str) -> str:
    return f"""# rightsdesk settings. Environment variables override any key:
# RIGHTSDESK_<SECTION>__<KEY>, e.g. RIGHTSDESK_DATABASE__URL=postgresql://…

[database]
url = "sqlite:///rightsdesk-data/rightsdesk.db"

[controller]
profile = "{profile_name}"
# calendar = "lv_calendar.toml"   # an edited copy of the Latvian holiday calendar

[deadlines]
reminder_days = [14, 3]

[serve]
host = "127.0.0.1"
port = 8080
services = ["web", "worker", "telegram"]
# public_url = "https://privacy.example.lv"   # behind your HTTPS proxy: webhook and eID callback
# trusted_proxies = ["127.0.0.1"]   # your reverse proxy: only its X-Forwarded-For is believed

[staff]
# alert_email = "privacy-team@example.lv"

[telegram]
# The chat intake runs when a token from @BotFather is set, best in the environment:
# RIGHTSDESK_TELEGRAM__TOKEN=123456:ABC…
mode = "polling"   # or "webhook" (needs [serve] public_url and webhook_secret)

[identity]
# One-time codes to the e-mail or phone on file need a secret of 32+ bytes:
# RIGHTSDESK_IDENTITY__SECRET=$(openssl rand -base64 48)
customer_table = "customers"

[oidc]
# eID login (eParaksts, Smart-ID) through an OpenID Connect broker:
# issuer = "https://broker.example"
# client_id = "rightsdesk"
# RIGHTSDESK_OIDC__CLIENT_SECRET=…
"""


def _demo(options: argparse.Namespace) -> int:
    from rightsdesk.demo_run import run_demo

    def say(line: str) -> None:
        print(line, flush=True)

    return run_demo(Path(options.dir), http_port=options.port, smtp_port=options.smtp_port, say=say)


def _serve(options: argparse.Namespace) -> int:
    from rightsdesk.serve import serve

    settings = _settings(options)
    logging.getLogger().setLevel(settings.logging.level)
    app = build_app(settings)
    services = options.only or list(settings.serve.services)
    host = options.host or settings.serve.host
    port = options.port if options.port is not None else settings.serve.port
    print(f"rightsdesk: serving {', '.join(services)} for {app.engine.profile.display_name}", flush=True)
    print(f"rightsdesk: database {_redact_url(app.settings.database_url)}", flush=True)
    if "web" in services:
        print(f"rightsdesk: staff console at http://{host}:{port}/ (Ctrl+C stops)", flush=True)
        print("rightsdesk: add a staff login with `rightsdesk staff add NAME --role admin`", flush=True)
    if "smtp" in services:
        smtp = settings.smtp_in
        addresses = ", ".join(smtp.recipients)
        print(f"rightsdesk: e-mail intake on {smtp.host}:{smtp.port} for {addresses}", flush=True)
    if "telegram" in services and settings.telegram.token:
        print(f"rightsdesk: Telegram chat intake by {settings.telegram.mode}", flush=True)
    serve(app, services, host=host, port=port)
    return EXIT_OK


def _redact_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _config_check(options: argparse.Namespace) -> int:
    from rightsdesk.checks import check_configuration

    problems, summary = check_configuration(options.config)
    for line in summary:
        print(line)
    if problems:
        print(f"{len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_PROBLEM
    print("Configuration OK.")
    return EXIT_OK


def _db_upgrade(options: argparse.Namespace) -> int:
    from workflows.adapters import migrate

    app = _app(options, migrate_schema=False)
    migrate.upgrade(app.database)
    print(f"Database at revision {migrate.current_revision(app.database)}.")
    app.close()
    return EXIT_OK


def _requests_list(options: argparse.Namespace) -> int:
    from workflows.domain.deadlines import riga_date

    app = _app(options)
    today = riga_date(datetime.now(UTC))
    if options.overdue:
        rows = app.queries.overdue(today, limit=options.limit)
    elif options.due_within is not None:
        rows = app.queries.due_soon(today, days=options.due_within, limit=options.limit)
    else:
        rows = app.queries.search(states=options.state, text=options.search, limit=options.limit)
    if options.json:
        print(json.dumps([_row_json(r, today) for r in rows], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        print("No requests match.")
        return EXIT_OK
    print(f"{'REFERENCE':<16} {'STATE':<18} {'DUE':<11} {'LEFT':>5}  RIGHTS")
    for row in rows:
        left = "-" if row.closed_at else str(row.days_left(today))
        due = row.effective_due_on.isoformat() + ("*" if row.extended else "")
        print(f"{row.reference:<16} {row.state:<18} {due:<11} {left:>5}  {', '.join(row.rights)}")
    return EXIT_OK


def _row_json(row: Any, today: date) -> dict[str, Any]:
    return {
        "reference": row.reference,
        "state": row.state,
        "rights": list(row.rights),
        "channel": row.channel,
        "language": row.language,
        "received_at": row.received_at.isoformat(),
        "due_on": row.effective_due_on.isoformat(),
        "extended": row.extended,
        "days_left": None if row.closed_at else row.days_left(today),
        "verified_by": row.verified_method,
        "attention": row.attention,
    }


def _requests_show(options: argparse.Namespace) -> int:
    app = _app(options)
    detail = app.queries.detail(options.reference)
    if options.json:
        print(json.dumps(detail, ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    case = detail["request"]
    print(f"{case['reference']}  {case['state']}  ({case['channel']}, {case['language']})")
    print(f"  rights:    {case['rights'].replace(',', ', ')}")
    print(f"  received:  {case['received_at']:%Y-%m-%d %H:%M} UTC")
    due = case["effective_due_on"].isoformat()
    print(f"  due:       {due}" + (" (extended)" if case["extended_due_on"] else ""))
    print(f"  identity:  {case['verified_method'] or 'not verified'} (tier needed: {case['required_tier']})")
    if case["attention"]:
        print(f"  attention: {case['attention']}")
    print("  timeline:")
    for event in detail["events"]:
        print(f"    {event['occurred_at']:%Y-%m-%d %H:%M}  {event['type']:<28} {event['actor']}")
    if detail["actions"]:
        print("  actions:")
        for action in detail["actions"]:
            print(f"    {action['id']}  {action['kind']:<16} {action['status']}")
    return EXIT_OK


def _deadline(options: argparse.Namespace) -> int:
    from workflows.domain.calendar import load_calendar
    from workflows.domain.deadlines import due_date, extended_due_date

    calendar = load_calendar(Path(options.calendar) if options.calendar else None)
    due = due_date(options.received, calendar)
    print(due.isoformat())
    if options.extended:
        print(f"{extended_due_date(options.received, calendar).isoformat()} (extended by two months, Art. 12(3))")
    if not calendar.is_year_reviewed(due.year):
        print(
            f"note: the holiday calendar for {due.year} has not been checked against the Cabinet orders yet",
            file=sys.stderr,
        )
    return EXIT_OK


def _audit_verify(options: argparse.Namespace) -> int:
    from workflows.adapters.audit import verify_chain

    app = _app(options)
    with app.database.connect() as connection:
        report = verify_chain(connection)
    if report.intact:
        print(f"Audit log intact: {report.events_checked} events, last #{report.last_seq}.")
        return EXIT_OK
    print(f"Audit log BROKEN: {len(report.problems)} problem(s) in {report.events_checked} events.")
    for problem in report.problems:
        print(f"  {problem}")
    return EXIT_PROBLEM


def _purge(options: argparse.Namespace) -> int:
    from workflows.service_layer.commands import PurgeClosedCases

    app = _app(options)
    purged = app.engine.handle(PurgeClosedCases(now=app.engine.clock.now()))
    retention = app.engine.profile.case_file_retention
    print(f"Purged {purged} closed case(s) older than the case-file retention ({retention}).")
    return EXIT_OK


def _trust_refresh(options: argparse.Namespace) -> int:
    from signature.errors import TrustListError
    from signature.trust_refresh import refresh

    settings = _settings(options)
    trust_dir = Path(options.dir) if options.dir else settings.resolve(settings.signature.trust_dir)
    seeded = _seed_lotl_signers(trust_dir)
    if seeded:
        print(f"Pinned {seeded} EU LOTL signing certificate(s) (as announced in the Official Journal) in {trust_dir}.")
    try:
        store = refresh(trust_dir, territories=options.territory or ["LV"])
    except TrustListError as error:
        print(f"rightsdesk: trusted lists not refreshed, the last good snapshot stays: {error}", file=sys.stderr)
        return EXIT_PROBLEM
    print(f"Trusted lists refreshed in {trust_dir}: {len(store.lists)} list(s) verified.")
    return EXIT_OK


def _seed_lotl_signers(trust_dir: Path) -> int:
    """A new trust directory starts from the LOTL signers pyHanko ships (OJ-announced)."""
    from importlib import resources

    target = trust_dir / "lotl-signers"
    if target.is_dir() and any(target.glob("*.pem")):
        return 0
    target.mkdir(parents=True, exist_ok=True)
    bundled = resources.files("pyhanko.sign.validation.qualified") / "lotl-certs"
    count = 0
    for entry in bundled.iterdir():
        if entry.name.endswith((".pem", ".crt", ".cer")):
            (target / (Path(entry.name).stem + ".pem")).write_bytes(entry.read_bytes())
            count += 1
    return count


def _global_options(args: list[str]) -> argparse.Namespace:
    """--config for commands whose arguments another module parses."""
    config = None
    if "--config" in args:
        index = args.index("--config")
        config = args[index + 1] if index + 1 < len(args) else None
    return argparse.Namespace(config=config)


def _strip_global(args: list[str]) -> list[str]:
    if "--config" not in args:
        return args
    index = args.index("--config")
    return args[:index] + args[index + 2 :]


def _datamap_check(options: argparse.Namespace) -> int:
    from workflows.adapters.connectors.introspect import check_datamap
    from workflows.adapters.datamap_loader import load_datamap

    app = _app(options)
    try:
        if not app.settings.controller.datamap:
            print('rightsdesk: no data map configured; set [controller] datamap = "path/to/datamap.toml"')
            return EXIT_USAGE
        path = app.settings.resolve(app.settings.controller.datamap)
        problems = check_datamap(load_datamap(path, app.engine.profile))
    finally:
        app.close()
    if problems:
        print(f"{path}: {len(problems)} problem(s):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_PROBLEM
    print(f"{path}: every table, column and link exists.")
    return EXIT_OK
