"""Runs ``rightsdesk demo`` (see :mod:`rightsdesk.demo` for what it prepares): ``serve`` in the main
thread, the sample requests and the printed guide from a helper thread once the intake answers."""

from __future__ import annotations

import logging
import threading
from datetime import date
from pathlib import Path

from rightsdesk.bootstrap import App, build_app
from rightsdesk.demo import (
    PRIVACY_ADDRESS,
    STAFF,
    DemoReport,
    Say,
    demo_settings,
    ensure_staff,
    prepare_seal,
    prepare_shop,
    sample_mails,
    send_samples,
    summary,
    wait_until_settled,
)
from rightsdesk.demo_mailbox import LOOPBACK, EmlMailbox, free_port
from rightsdesk.serve import serve

log = logging.getLogger(__name__)

CHAT_NOTE = (
    "the Telegram bot is not part of the demo yet (it is not wired into `rightsdesk serve`);"
    " no chat request was sent"
)


def run_demo(directory: Path, *, http_port: int = 8080, smtp_port: int = 2525, say: Say = print) -> int:
    """Prepare ``directory``, start everything, send the samples, print the guide; returns on Ctrl+C."""
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    report = DemoReport()
    say(f"rightsdesk demo in {directory}")
    prepare_shop(directory, date.today())
    say("  sample shop database (seeded with fictional customers): shop.db")
    seal = prepare_seal(directory, report)
    if report.sealed:
        say("  demo e-seal on a SoftHSM2 token: seal/ (export packages are sealed)")
    report.samples = sample_mails(directory, report)
    if (directory / "trust").exists():
        say("  demo PKI and trusted list (trusted by this demo only): trust/")
    ports = {"http": free_port(http_port), "smtp": free_port(smtp_port), "relay": free_port(None)}
    settings = demo_settings(directory, http_port=ports["http"], smtp_in_port=ports["smtp"],
                             relay_port=ports["relay"], seal=seal)
    mailbox = EmlMailbox(directory / "outbox-mail", ports["relay"])
    mailbox.start()
    app = build_app(settings)
    try:
        report.passwords = ensure_staff(app)
        stop = threading.Event()
        guide = threading.Thread(
            target=_send_and_guide, args=(app, ports, report, stop, directory, say), name="demo-guide", daemon=True
        )
        guide.start()
        # serve() owns the app from here: it closes it when Ctrl+C stops everything.
        serve(app, settings.serve.services, host=LOOPBACK, port=ports["http"])
        stop.set()
    finally:
        mailbox.stop()
    say("rightsdesk demo stopped; everything it made stays in " + str(directory))
    return 0


def _send_and_guide(app: App, ports: dict[str, int], report: DemoReport, stop: threading.Event,
                    directory: Path, say: Say) -> None:
    try:
        send_samples(ports["smtp"], report.samples)
        wait_until_settled(app, len(report.samples), stop)
        if stop.is_set():
            return
        _print_guide(app, ports, report, directory, say)
    except Exception:  # the demo keeps serving; the person sees why the samples are missing
        log.exception("the demo could not send its sample requests")


def _print_guide(app: App, ports: dict[str, int], report: DemoReport, directory: Path, say: Say) -> None:
    console = f"http://{LOOPBACK}:{ports['http']}/"
    say("")
    say("Running:")
    say(f"  staff console     {console}")
    say(f"  SMTP intake       {LOOPBACK}:{ports['smtp']} (mail to {PRIVACY_ADDRESS})")
    say(f"  outgoing mail     {directory / 'outbox-mail'} (a local relay writes each reply as .eml)")
    say("  worker            retail profile, sample shop data map")
    say("")
    say("Staff logins (demo only):")
    for username, role in STAFF.items():
        say(f"  {username:<8} {role:<9} password: {report.passwords[username]}")
    say("")
    say("Sample requests e-mailed to the intake:")
    for sample in report.samples:
        say(f"  - {sample.label} from {sample.sender}")
    say("")
    say("Requests now:")
    for line in summary(app):
        say(line)
    notes = [*report.notes, CHAT_NOTE]
    say("")
    say("Notes:")
    for note in notes:
        say(f"  - {note}")
    say("")
    say("Try it:")
    steps = [
        f"Open {console} and sign in as juris (password above).",
        "Open the erasure request from liga.berzina@example.lv: its identity was verified from the"
        " qualified e-signature, and the planned erasure waits for approval.",
        "Approve the erasure. The worker carries it out in shop.db within a second or two.",
        f"Read the replies in {directory / 'outbox-mail'}: an acknowledgement for each request, the request"
        " for identity to janis.ozols@example.lv, the objection confirmation to anna.petrova@example.lv,"
        " and after your approval the erasure reply, which names what was kept and under which rule.",
        "Sign in as agnese in another browser to see what an agent may and may not do.",
        "Mail your own request to the intake, e.g. with `swaks --server "
        f"{LOOPBACK}:{ports['smtp']} --to {PRIVACY_ADDRESS}`.",
        "Press Ctrl+C here to stop everything.",
    ]
    for number, step in enumerate(steps, start=1):
        say(f"  {number}. {step}")
