"""`rightsdesk demo`: the whole system on one machine, for a person evaluating rightsdesk.

In ``DIR`` (default ``./rightsdesk-demo``) it prepares an SQLite database, the sample shop (the
controller's own database, seeded with fictional personas) and its data map, a demo PKI with a
trusted list, a demo e-seal on SoftHSM2 when ``softhsm2-util`` is installed, two staff logins,
and a local relay that writes every outgoing mail into ``DIR/outbox-mail/`` as ``.eml``. Then it
runs ``serve`` (SMTP intake, staff console, worker, mail out) and, once the intake answers,
e-mails a few sample requests and prints what happened and what to do next. Ctrl+C stops it all.

Nothing here is for production: the passwords are printed, the PKI and the seal are made up.
"""

from __future__ import annotations

import os
import secrets
import shutil
import smtplib
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from email.utils import make_msgid
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, select

from rightsdesk.bootstrap import App
from rightsdesk.demo_kit import sample_shop
from rightsdesk.demo_kit.asice import addressed
from rightsdesk.demo_kit.bot_api import FakeBotApi
from rightsdesk.demo_mailbox import LOOPBACK
from rightsdesk.demo_pki import load_demo_pki
from rightsdesk.settings import Settings
from workflows.adapters.orm import requests

PRIVACY_ADDRESS = "privacy@example.lv"
STAFF = {"agnese": "agent", "juris": "approver"}
"""Agnese handles requests; Juris approves what discloses or destroys data (four-eyes)."""
RECIPIENT_CONTACTS = {
    "omniva": "privacy@omniva.example",
    "dpd": "privacy@dpd.example",
    "latvijas_pasts": "privacy@pasts.example",
    "maksekeskus": "privacy@maksekeskus.example",
    "email_platform": "privacy@mailchimp.example",
    "sms_platform": "privacy@messente.example",
    "accounting_firm": "privacy@gramatvediba.example",
    "service_centres": "privacy@serviss.example",
}
"""Where Art. 19 notices to the shop's recipients go (they land in outbox-mail/ too)."""

Say = Callable[[str], None]
DEMO_CHAT_ID = 20000002
"""Jānis's chat with the shop's bot in the demo."""


@dataclass
class SampleMail:
    label: str
    sender: str
    raw: bytes


@dataclass
class DemoReport:
    """What the demo prepared, for the printed summary."""

    notes: list[str] = field(default_factory=list)
    samples: list[SampleMail] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)
    sealed: bool = False


def shop_datamap_path() -> Path:
    return Path(str(resources.files("rightsdesk") / "examples" / "shop" / "datamap.toml"))


def prepare_shop(directory: Path, today: date) -> None:
    """The sample shop in ``DIR/shop.db`` (seeded once) and the environment its data map reads."""
    path = directory / "shop.db"
    url = f"sqlite:///{path}"
    secret_file = directory / "shop-hash-secret"
    if not secret_file.exists():
        secret_file.touch(mode=0o600)
        secret_file.write_text(secrets.token_hex(16), encoding="utf-8")
    os.environ["SHOP_DATABASE_URL"] = url
    os.environ["SHOP_HASH_SECRET"] = secret_file.read_text(encoding="utf-8").strip()
    if path.exists():
        return
    shop = create_engine(url)
    try:
        sample_shop.create_schema(shop)
        sample_shop.seed(shop, today=today)
    finally:
        shop.dispose()


def prepare_seal(directory: Path, report: DemoReport) -> dict[str, object]:
    """The ``[seal]`` section for the demo token, or disabled with a note when SoftHSM2 is missing."""
    if shutil.which("softhsm2-util") is None:
        report.notes.append("softhsm2-util is not installed: export packages are not sealed (apt install softhsm2)")
        return {"enabled": False}
    from rightsdesk.demo_kit.seal import DemoToken, activate, setup_demo
    from signature.pkcs11_key import SealingError

    token_dir = directory / "seal"
    try:
        if (token_dir / "demo.json").exists():
            demo = DemoToken.load(token_dir)
            activate(demo)
        else:
            demo = setup_demo(token_dir)
    except SealingError as error:
        report.notes.append(f"the demo seal could not be set up ({error}): export packages are not sealed")
        return {"enabled": False}
    report.sealed = True
    return {
        "enabled": True,
        "module": demo.module,
        "token_label": demo.token_label,
        "key_label": demo.key_label,
        "pin_env": None,
        "pin_file": demo.pin_file,
        "cert_pem": [demo.cert_pem, demo.ca_pem],
    }


def demo_settings(directory: Path, *, http_port: int, smtp_in_port: int, relay_port: int,
                  seal: dict[str, object], chat: DemoChat | None = None) -> Settings:
    return Settings.model_validate(
        {
            "base_dir": str(directory),
            "source": "rightsdesk demo",
            "database": {"url": f"sqlite:///{directory / 'rightsdesk.db'}"},
            "controller": {
                "profile": "retail",
                "datamap": str(shop_datamap_path()),
                "export_dir": "exports",
                "recipient_contacts": RECIPIENT_CONTACTS,
            },
            "serve": {
                "host": LOOPBACK,
                "port": http_port,
                "services": ["web", "worker", "smtp", "telegram"],
                # Letters link to the e-mail identity page on this machine.
                "public_url": f"http://{LOOPBACK}:{http_port}",
            },
            "worker": {"idle_seconds": 0.5},
            "staff": {"alert_email": "privacy-team@example.lv"},
            "signature": {"trust_dir": "trust"},
            "seal": seal,
            "smtp_in": {"host": LOOPBACK, "port": smtp_in_port, "recipients": [PRIVACY_ADDRESS]},
            "smtp_out": {"host": LOOPBACK, "port": relay_port, "from_address": PRIVACY_ADDRESS,
                         "from_name": "Privātuma komanda"},
            **(chat.settings() if chat is not None else {}),
        }
    )


@dataclass
class DemoChat:
    """The bot's Telegram: the real one when RIGHTSDESK_TELEGRAM__TOKEN is set, else the local
    Bot API stand-in with its chat page (nothing leaves the machine)."""

    token: str
    identity_secret: str
    stand_in: FakeBotApi | None = None

    def settings(self) -> dict[str, object]:
        telegram: dict[str, object] = {"token": self.token}
        if self.stand_in is not None:
            telegram.update(base_url=self.stand_in.base_url, base_file_url=self.stand_in.base_file_url)
        return {"telegram": telegram, "identity": {"secret": self.identity_secret}}

    def stop(self) -> None:
        if self.stand_in is not None:
            self.stand_in.stop()


def prepare_chat(directory: Path, environ: Mapping[str, str] | None = None, *, port: int = 0) -> DemoChat:
    """Start the stand-in unless a real token is given; the identity secret is kept in ``DIR``
    so one-time codes stay checkable across restarts of the demo."""
    environ = os.environ if environ is None else environ
    secret_file = directory / "identity-secret"
    if not secret_file.exists():
        secret_file.touch(mode=0o600)
        secret_file.write_text(secrets.token_urlsafe(48), encoding="utf-8")
    secret = secret_file.read_text(encoding="utf-8").strip()
    token = environ.get("RIGHTSDESK_TELEGRAM__TOKEN", "")
    if token:
        return DemoChat(token, secret)
    stand_in = FakeBotApi(token=f"{secrets.randbelow(10**9)}:demo-{secrets.token_urlsafe(12)}", port=port).start()
    return DemoChat(stand_in.token, secret, stand_in)


def send_chat_sample(chat: DemoChat, timeout: float = 20.0) -> bool:
    """Jānis, in the chat, asks to correct his phone number; verifying it is left to the person
    trying the demo (a one-time code to his e-mail on file). False when no answer came."""
    api = chat.stand_in
    if api is None:
        return False
    janis = sample_shop.JANIS

    def answered(count: int) -> bool:
        return api.wait_for(lambda: len(api.sent(DEMO_CHAT_ID)) >= count, timeout)

    def press(data: str) -> None:
        # On the bot message that carries the button, as a tap in Telegram would be.
        carrying = [
            entry.message_id
            for entry in api.chat_entries(DEMO_CHAT_ID)
            if entry.sender == "bot" and any(b.get("callback_data") == data for row in entry.buttons for b in row)
        ]
        api.press(DEMO_CHAT_ID, data, first_name=janis.first_name, message_id=carrying[-1] if carrying else None)

    def say(text: str) -> None:
        api.send_text(DEMO_CHAT_ID, text, first_name=janis.first_name)

    def choose_rectification() -> None:
        press("r:rectification")
        press("r:go")

    steps: list[tuple[Callable[[], None], int]] = [
        (lambda: say("/start"), 1),
        (choose_rectification, 2),
        (lambda: say("Lūdzu labot manu tālruņa numuru uz +371 20009999."), 3),
        (lambda: say(janis.email), 4),
        (lambda: press("s:ok"), 6),
    ]
    for act, expected in steps:
        act()
        if not answered(expected):
            return False
    return True


def chat_page_link(chat: DemoChat) -> str | None:
    if chat.stand_in is None:
        return None
    return f"{chat.stand_in.page_url}?chat={DEMO_CHAT_ID}&name={quote(sample_shop.JANIS.first_name)}"


def ensure_staff(app: App) -> dict[str, str]:
    """The demo logins, with fresh passwords on every run (they are printed)."""
    from staff.accounts import StaffAccounts
    from staff.errors import StaffUserExists
    from staff.roles import Role

    accounts = StaffAccounts(app.database, app.engine.clock.now, reader=app.reader)
    passwords: dict[str, str] = {}
    for username, role in STAFF.items():
        password = secrets.token_urlsafe(12)
        try:
            accounts.add(username, Role(role), password, by="demo")
        except StaffUserExists:
            accounts.reset(username, password, by="demo")
        passwords[username] = password
    return passwords


def mail(sender: tuple[str, str], subject: str, body: str,
         attachment: tuple[str, str, bytes] | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = f"{sender[0]} <{sender[1]}>"
    message["To"] = PRIVACY_ADDRESS
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="example.lv")
    message.set_content(body)
    if attachment is not None:
        filename, content_type, data = attachment
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def sample_mails(directory: Path, report: DemoReport) -> list[SampleMail]:
    """Līga's signed erasure request, Jānis's unsigned access request, Anna's marketing objection."""
    liga, janis, anna = sample_shop.LIGA, sample_shop.JANIS, sample_shop.ANNA
    samples: list[SampleMail] = []
    pki = load_demo_pki(directory / "trust", given_name=liga.first_name, surname=liga.last_name,
                        personal_code=liga.personal_code, email=liga.email)
    text = "Lūdzu dzēst visus manus personas datus."
    # A signed request verifies only if it names the controller (or its reference) and is fresh.
    edoc = pki.signed_container({"pieprasijums.txt": addressed(text)})
    samples.append(SampleMail(
        "signed erasure request (eParaksts .edoc)", liga.email,
        mail((f"{liga.first_name} {liga.last_name}", liga.email), "Datu dzēšana",
             f"Labdien!\n\n{text} Pielikumā parakstīts pieprasījums.\n\nLīga",
             ("pieprasijums.edoc", "application/vnd.etsi.asic-e+zip", edoc)),
    ))
    samples.append(SampleMail(
        "unsigned access request", janis.email,
        mail((f"{janis.first_name} {janis.last_name}", janis.email), "Personas datu pieprasījums",
             "Labdien! Lūdzu izsniegt kopiju par maniem personas datiem.\n\nJānis"),
    ))
    samples.append(SampleMail(
        "marketing objection", anna.email,
        mail((f"{anna.first_name} {anna.last_name}", anna.email), "Reklāmas",
             "Labdien! Lūdzu vairs nesūtīt man reklāmas e-pastus.\n\nAnna"),
    ))
    return samples


def send_samples(port: int, samples: list[SampleMail], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with smtplib.SMTP(LOOPBACK, port, timeout=10) as client:
                for sample in samples:
                    # On the wire every line ends in CRLF (RFC 5321 2.3.8); smtplib sends bytes as given.
                    wire = sample.raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
                    client.sendmail(sample.sender, [PRIVACY_ADDRESS], wire)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def wait_until_settled(app: App, expected: int, stop: threading.Event, timeout: float = 60.0) -> None:
    """Until every sample is a request past ``received`` and no reply waits to be sent."""
    deadline = time.monotonic() + timeout
    while not stop.is_set() and time.monotonic() < deadline:
        with app.reader.connect() as connection:
            states = list(connection.execute(select(requests.c.state)).scalars())
        counts = app.queries.operational_counts(date.today())
        if len(states) >= expected and "received" not in states and counts["outbox_pending"] == 0:
            return
        stop.wait(0.5)


def summary(app: App) -> list[str]:
    with app.reader.connect() as connection:
        rows = connection.execute(
            select(requests.c.reference, requests.c.rights, requests.c.state, requests.c.claimed_email)
            .order_by(requests.c.received_at)
        ).all()
    return [f"  {row.reference}  {row.rights:<22} {row.state:<18} from {row.claimed_email}" for row in rows]
