"""Mail intake benchmark: durable accept rate and end-of-DATA-to-250 latency vs Postfix.

Run by hand, never by pytest::

    .venv/bin/python bench/mail_bench.py [--clients 50] [--messages 3000] [--size 4096] \
        [--postgres [URL]] [--no-postfix] [--reply-messages 200]

In one run, one after the other, with the same load generator (``mail_load.py``: N asyncio
clients on loopback, one connection each, MAIL/RCPT/DATA in a loop, messages of ``--size``
bytes with unique Message-IDs):

1. **rightsdesk on SQLite**: ``SmtpIntake`` in its own OS process on a fresh SQLite file
   (WAL, ``synchronous=FULL``: each 250 follows a committed, fsynced ``StoreInboundEmail``),
   storing through ``GroupCommitStore`` (messages arriving during one commit share the next);
   with ``--single`` also with one transaction per message (``app.engine.handle``);
2. **rightsdesk on PostgreSQL** with ``--postgres`` (a fresh schema, dropped afterwards);
3. **Postfix** (Debian's package; installed with apt-get if missing): a private instance in a
   temp dir (see ``mail_postfix.py``) on 127.0.0.1, delivering into a Maildir. Postfix also
   fsyncs its queue file before 250;
4. **receipt to reply**: the SMTP server process plus, in this process, a worker (the
   ``process_email`` handler of ``mail_intake.processing`` when it exists, else a stand-in
   that opens the request with ``OpenRequest``) and ``mail_intake.sender.EmailSender``
   against a local sink; the figure is ``outbox.sent_at - inbound_mail.received_at``.

Each accept phase starts with a warm-up of ``--warmup`` messages that is not counted.
Results: a table on stdout and ``bench/results/mail-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mail_load
import mail_postfix
import mail_reply

PRIVACY = "privacy@shop.example.lv"
SENDER = "customer@bench.example.lv"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"

SERVER_SCRIPT = """
import logging, sys, threading
logging.basicConfig(level=logging.WARNING)
from rightsdesk.bootstrap import build_app
from rightsdesk.settings import Settings
from mail_intake.config import SmtpInConfig
from mail_intake.server import SmtpIntake

url, base_dir, recipient = sys.argv[1], sys.argv[2], sys.argv[3]
app = build_app(Settings.model_validate({"database": {"url": url}, "base_dir": base_dir}))
from mail_intake.smtp_store import GroupCommitStore
store = GroupCommitStore(app.engine) if sys.argv[4] == "group" else app.engine.handle
intake = SmtpIntake(SmtpInConfig(host="127.0.0.1", port=0, recipients=(recipient,)), store)
print(intake.start(), flush=True)
threading.Event().wait()
"""

REPO = Path(__file__).resolve().parents[1]


class RightsdeskProcess:
    """The SMTP server in its own OS process, as ``rightsdesk serve --only smtp`` would run it."""

    def __init__(self, database_url: str, base_dir: Path, mode: str = "group") -> None:
        """``mode``: ``group`` (GroupCommitStore) or ``single`` (one transaction per message)."""
        self.process = subprocess.Popen(
            [sys.executable, "-c", SERVER_SCRIPT, database_url, str(base_dir), PRIVACY, mode],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.strip():
            self.stop()
            raise RuntimeError("the rightsdesk SMTP server did not start")
        self.port = int(line)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _measure(port: int, args: argparse.Namespace) -> dict[str, Any]:
    mail_load.run_load(
        port, clients=args.clients, messages=args.warmup, size=args.size, sender=SENDER, recipient=PRIVACY
    )
    result = mail_load.run_load(
        port, clients=args.clients, messages=args.messages, size=args.size, sender=SENDER, recipient=PRIVACY
    )
    return result.summary()


def bench_rightsdesk(
    database_url: str, base_dir: Path, args: argparse.Namespace, mode: str = "group"
) -> dict[str, Any]:
    server = RightsdeskProcess(database_url, base_dir, mode)
    try:
        return _measure(server.port, args)
    finally:
        server.stop()


def bench_postfix(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    mail_postfix.ensure_installed()
    # Postfix's daemons run as the postfix user: the 0700 temp dir must be traversable.
    root.parent.chmod(0o755)
    postfix = mail_postfix.PrivatePostfix(
        root, domain=PRIVACY.split("@")[1], mailbox="privacy", message_size_limit=25 * 1024 * 1024
    )
    try:
        postfix.start()
        figures = _measure(postfix.port, args)
        # Let delivery catch up a little, to show the instance really delivers into the Maildir.
        deadline = time.monotonic() + 60
        expected = args.messages + args.warmup
        while postfix.delivered() < expected and time.monotonic() < deadline:
            time.sleep(0.5)
        figures["delivered_to_maildir"] = postfix.delivered()
        figures["version"] = mail_postfix.postfix_version()
        return figures
    finally:
        postfix.stop()


def _postgres_schema(base: str) -> tuple[str, Any]:
    from sqlalchemy import create_engine, text

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options=-csearch_path%3D{schema}", drop


def _machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "load_average": os.getloadavg(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _print(results: dict[str, Any]) -> None:
    print(f"\n{'peer':<28}{'msg/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}{'accepted':>10}")
    for name, figures in results["accept"].items():
        print(
            f"{name:<28}{figures['messages_per_second']:>10}{figures['p50_ms']:>10}"
            f"{figures['p99_ms']:>10}{figures['max_ms']:>10}{figures['accepted']:>10}"
        )
    reply = results.get("receipt_to_reply")
    if reply:
        print(
            f"\nreceipt -> reply sent ({reply['processing']} processing, {reply['replies']} replies): "
            f"p50 {reply['p50_ms']} ms, p99 {reply['p99_ms']} ms, max {reply['max_ms']} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--size", type=int, default=4096, help="message size in bytes")
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_POSTGRES, default=None)
    parser.add_argument("--no-postfix", action="store_true")
    parser.add_argument("--single", action="store_true", help="also run SQLite with one commit per message")
    parser.add_argument("--reply-messages", type=int, default=200, help="0 skips the receipt-to-reply phase")
    args = parser.parse_args()

    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(),
        "machine": _machine(),
        "parameters": vars(args),
        "accept": {},
    }
    with tempfile.TemporaryDirectory(prefix="mail-bench-") as temp:
        root = Path(temp)
        print("rightsdesk (SQLite, synchronous=FULL) ...", flush=True)
        (root / "sqlite").mkdir()
        url = f"sqlite:///{root / 'sqlite' / 'bench.db'}"
        results["accept"]["rightsdesk sqlite"] = bench_rightsdesk(url, root / "sqlite", args)
        if args.single:
            print("rightsdesk (SQLite, one transaction per message) ...", flush=True)
            (root / "single").mkdir()
            single_url = f"sqlite:///{root / 'single' / 'bench.db'}"
            results["accept"]["rightsdesk sqlite single"] = bench_rightsdesk(
                single_url, root / "single", args, "single"
            )
        if args.postgres:
            print("rightsdesk (PostgreSQL) ...", flush=True)
            pg_url, drop = _postgres_schema(args.postgres)
            try:
                results["accept"]["rightsdesk postgresql"] = bench_rightsdesk(pg_url, root, args)
            finally:
                drop()
        if not args.no_postfix:
            print("Postfix (private instance, Maildir) ...", flush=True)
            results["accept"]["postfix"] = bench_postfix(root / "postfix", args)
        if args.reply_messages:
            print("receipt -> reply sent ...", flush=True)
            (root / "reply").mkdir()
            reply_url = f"sqlite:///{root / 'reply' / 'reply.db'}"
            server = RightsdeskProcess(reply_url, root / "reply")
            try:
                results["receipt_to_reply"] = mail_reply.measure(
                    server.port, reply_url, root / "reply", messages=args.reply_messages, size=args.size
                )
            finally:
                server.stop()
    results["load_average_after"] = os.getloadavg()
    _print(results)
    out = REPO / "bench" / "results" / f"mail-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    print(f"\nwritten: {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
