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
    DemoChat,
    DemoReport,
    Say,
    chat_page_link,
    demo_settings,
    ensure_staff,
    prepare_chat,
    prepare_seal,
    prepare_shop,
    sample_mails,
    send_chat_sample,
    send_samples,
    summary,
    wait_until_settled,
)
from rightsdesk.demo_mailbox import LOOPBACK, EmlMailbox, free_port
from rightsdesk.serve import serve

log = logging.getLogger(__name__)

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
    chat = prepare_chat(directory, port=free_port(ports["http"] + 1))
    say("  Telegram: " + ("your bot (RIGHTSDESK_TELEGRAM__TOKEN)" if chat.stand_in is None
                          else "a local stand-in of the Bot API with a chat page (nothing leaves this machine)"))
    settings = demo_settings(directory, http_port=ports["http"], smtp_in_port=ports["smtp"],
                             relay_port=ports["relay"], seal=seal, chat=chat)
    mailbox = EmlMailbox(directory / "outbox-mail", ports["relay"])
    mailbox.start()
    try:
        app = build_app(settings)
        report.passwords = ensure_staff(app)
        stop = threading.Event()
        guide = threading.Thread(
            target=_send_and_guide, args=(app, ports, report, stop, directory, chat, say), name="demo-guide",
            daemon=True,
        )
        guide.start()
        # serve() owns the app from here: it closes it when Ctrl+C stops everything.
        serve(app, settings.serve.services, host=LOOPBACK, port=ports["http"])
        stop.set()
    finally:
        mailbox.stop()
        chat.stop()
    say("rightsdesk demo stopped; everything it made stays in " + str(directory))
    return 0


def _send_and_guide(app: App, ports: dict[str, int], report: DemoReport, stop: threading.Event,
                    directory: Path, chat: DemoChat, say: Say) -> None:
    try:
        send_samples(ports["smtp"], report.samples)
        expected = len(report.samples)
        if chat.stand_in is not None:
            if send_chat_sample(chat):
                expected += 1
            else:
                report.notes.append("the bot did not answer the sample chat in time; try the chat page yourself")
        wait_until_settled(app, expected, stop)
        if stop.is_set():
            return
        _print_guide(app, ports, report, directory, chat, say)
    except Exception:  # the demo keeps serving; the person sees why the samples are missing
        log.exception("the demo could not send its sample requests")


def _print_guide(app: App, ports: dict[str, int], report: DemoReport, directory: Path, chat: DemoChat,
                 say: Say) -> None:
    console = f"http://{LOOPBACK}:{ports['http']}/"
    page = chat_page_link(chat)
    say("")
    say("Running:")
    say(f"  staff console     {console}")
    say(f"  SMTP intake       {LOOPBACK}:{ports['smtp']} (mail to {PRIVACY_ADDRESS})")
    say(f"  outgoing mail     {directory / 'outbox-mail'} (a local relay writes each reply as .eml)")
    say("  worker            retail profile, sample shop data map")
    say(f"  Telegram bot      {'chat page ' + page if page else 'your bot in Telegram'}")
    say("")
    say("Staff logins (demo only):")
    for username, role in STAFF.items():
        say(f"  {username:<8} {role:<9} password: {report.passwords[username]}")
    say("")
    say("Sample requests e-mailed to the intake:")
    for sample in report.samples:
        say(f"  - {sample.label} from {sample.sender}")
    if page:
        say(f"Sample chat: Jānis asked the bot to correct his phone number ({page})")
    say("")
    say("Requests now:")
    for line in summary(app):
        say(line)
    notes = report.notes or ["none"]
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
        *([f"Open the chat page {page}: Jānis's request waits for identity. Press"
           " \"Kods uz e-pastu vai tālruni\"; the code goes to his e-mail on file: open the newest .eml for"
           f" janis.ozols@example.lv in {directory / 'outbox-mail'} and type the six digits in the chat."
           " The request moves on, and the console shows it verified by a one-time code."] if page else []),
        "Sign in as agnese in another browser to see what an agent may and may not do.",
        "Mail your own request to the intake, e.g. with `swaks --server "
        f"{LOOPBACK}:{ports['smtp']} --to {PRIVACY_ADDRESS}`.",
        "Press Ctrl+C here to stop everything.",
    ]
    for number, step in enumerate(steps, start=1):
        say(f"  {number}. {step}")
