"""A whole desk for following a copy of someone's data to where it goes: the SMTP intake on
loopback, the worker with the sample shop's data map (the controller's database, SQLite), the
staff console over HTTP, and the real sender against a capturing relay. The engine's own
database is SQLite and PostgreSQL (``database_url``).
"""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from starlette.testclient import TestClient

from mail_intake.config import SmtpInConfig
from mail_intake.server import SmtpIntake
from mail_intake.smtp_store import GroupCommitStore
from rightsdesk.bootstrap import App, build_app, builtin_profile_path
from rightsdesk.demo import RECIPIENT_CONTACTS, mail, shop_datamap_path
from rightsdesk.demo_kit import sample_shop
from staff.roles import Role
from staff.web.app import ConsoleConfig, build_console
from tests.conftest import FixedClock, make_settings
from tests.integration.staff.conftest import csrf_from, fast_passwords
from tests.support.mail.capture import CapturedMail, CaptureSmtpServer
from workflows.adapters.orm import events, outbox, requests
from workflows.domain.identity import VerificationMethod, VerifiedIdentity
from workflows.service_layer import commands as c

PRIVACY = "privacy@example.lv"
PASSWORD = "correct horse battery"
AGENT, APPROVER = "agnese", "juris"


@dataclass
class Desk:
    app: App
    smtp_port: int
    relay: CaptureSmtpServer
    console: TestClient

    def mail_in(self, sender: tuple[str, str], subject: str, body: str) -> None:
        """An e-mail over SMTP on loopback; ``sender`` is whatever the From: says."""
        wire = mail(sender, subject, body).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=10) as client:
            client.sendmail(sender[1], [PRIVACY], wire)

    def settle(self) -> None:
        """Run the worker and the real sender until nothing is left to do."""
        worker = self.app.worker("delivery-worker")
        sender = self.app.email_sender("delivery-sender")
        while worker.run_once() > 0 or asyncio.run(sender.send_batch()) > 0:
            pass

    def only_request(self) -> Any:
        with self.app.database.connect() as connection:
            (row,) = connection.execute(select(requests)).all()
        return row

    def request(self, reference: str) -> Any:
        with self.app.database.connect() as connection:
            return connection.execute(select(requests).where(requests.c.reference == reference)).one()

    def verify_as(self, reference: str, persona: sample_shop.Persona, *, email: str | None = None) -> None:
        """A qualified signature of ``persona`` verified (stubbed: the signature checks are not
        what these tests are about), naming ``email`` when the signed text gives an address."""
        self.app.engine.handle(
            c.RecordIdentityEvidence(
                reference,
                VerifiedIdentity(
                    method=VerificationMethod.QUALIFIED_SIGNATURE,
                    verified_at=self.app.engine.clock.now(),
                    evidence_ref="signature:stub",
                    name=f"{persona.first_name} {persona.last_name}",
                    personal_code=persona.personal_code,
                    email=email,
                ),
            )
        )

    def sign_in(self, username: str) -> None:
        self.console.cookies.clear()
        token = csrf_from(self.console.get("/login").text)
        self.console.post("/login", data={"username": username, "password": PASSWORD, "csrf": token, "next": "/"})

    def approve_all(self, reference: str) -> None:
        self.sign_in(APPROVER)
        page = self.console.get(f"/requests/{reference}")
        for action in self.app.queries.detail(reference)["actions"]:
            if action["status"] == "awaiting_approval":
                response = self.console.post(
                    f"/actions/{action['id']}/approve", data={"csrf": csrf_from(page.text)}, follow_redirects=False
                )
                assert response.status_code == 303

    def mail_to(self, address: str) -> list[CapturedMail]:
        return [m for m in self.relay.messages if address in m.rcpt_tos]

    def copies_to(self, address: str) -> list[CapturedMail]:
        return [m for m in self.mail_to(address) if list(m.message.iter_attachments())]

    def outbox(self, kind: str) -> list[Any]:
        with self.app.database.connect() as connection:
            return list(connection.execute(select(outbox).where(outbox.c.kind == kind)).all())

    def events(self, reference: str, kind: str) -> list[Any]:
        row = self.request(reference)
        with self.app.database.connect() as connection:
            query = select(events).where(events.c.request_id == row.id, events.c.type == kind)
            return list(connection.execute(query).all())


@pytest.fixture
def desk(
    database_url: str, tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Desk]:
    shop_url = f"sqlite:///{tmp_path / 'shop.db'}"
    shop = create_engine(shop_url)
    sample_shop.create_schema(shop)
    sample_shop.seed(shop, today=clock.now().date())
    shop.dispose()
    monkeypatch.setenv("SHOP_DATABASE_URL", shop_url)
    monkeypatch.setenv("SHOP_HASH_SECRET", "delivery-secret-not-for-production")
    with CaptureSmtpServer() as relay:
        settings = make_settings(
            database_url,
            tmp_path,
            controller={"profile": str(_profile_with_access_by_code(tmp_path)),
                        "datamap": str(shop_datamap_path()), "export_dir": "exports",
                        "recipient_contacts": RECIPIENT_CONTACTS},
            smtp_out={"host": relay.host, "port": relay.port, "from_address": PRIVACY},
        )  # fmt: skip
        app = build_app(settings, clock=clock)
        intake = SmtpIntake(
            SmtpInConfig(host="127.0.0.1", port=0, recipients=(PRIVACY,)), GroupCommitStore(app.engine), clock=clock
        )
        port = intake.start()
        console = build_console(
            engine=app.engine, database=app.database, reader=app.reader,
            config=ConsoleConfig(secure_cookies=False), passwords=fast_passwords(),
        )  # fmt: skip
        console.state.console.accounts.add(AGENT, Role.AGENT, PASSWORD, by="test")
        console.state.console.accounts.add(APPROVER, Role.APPROVER, PASSWORD, by="test")
        try:
            with TestClient(console, base_url="http://testserver") as client:
                yield Desk(app, port, relay, client)
        finally:
            intake.stop()
            app.close()


def _profile_with_access_by_code(tmp_path: Path) -> Path:
    """The retail profile, except that access needs tier 2 (a one-time code) instead of 3, so a
    chat customer can prove her address with a code (as in tests/e2e/test_whole_system.py)."""
    text = builtin_profile_path("retail").read_text(encoding="utf-8")
    if "\naccess = 3\n" not in text:
        pytest.fail("the retail profile no longer sets access = 3; update this fixture")
    path = tmp_path / "retail-access-by-code.toml"
    path.write_text(text.replace("\naccess = 3\n", "\naccess = 2\n"), encoding="utf-8")
    return path
