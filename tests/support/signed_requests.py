"""Līga's signed requests through the real channels, for the signed-document binding tests.

Personas: Līga Kalniņa, the real customer with a qualified certificate of the test PKI; Ilze,
an impostor who holds signed files of other people. ``desk`` runs our SMTP intake on loopback
with the worker's processing and our sender to a capturing relay; ``said`` and
``erasure_with_document`` drive the real bot against the Bot API stand-in.

Import the fixtures by name where they are used (``from tests.support.signed_requests import
desk, checker, liga``), as the PKI fixtures are.
"""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bot.identity import SignedDocumentRoute, StaticCustomerDirectory
from bot.services import VerificationHooks, hooks_from_routes
from mail_intake.config import SmtpInConfig
from mail_intake.evidence import SignatureChecker
from mail_intake.sender import EmailSender
from mail_intake.server import SmtpIntake
from mail_intake.smtp_store import GroupCommitStore
from rightsdesk.bootstrap import App
from tests.support.mail.capture import CaptureSmtpServer
from tests.support.mail.processing import PRIVACY_ADDRESS, all_requests, customer_mail, process_all
from tests.support.pki.authority import TestPki
from tests.support.pki.certs import Issued, make_natural_person
from tests.support.telegram.bot_api import FakeBotApi
from tests.support.telegram.harness import texts_of

LIGA = ("Līga Kalniņa", "liga.kalnina@example.lv")
ILZE = ("Ilze", "ilze.impostor@example.com")
LIGA_CODE = "150390-10008"
EDOC = "application/vnd.etsi.asic-e+zip"


def mail_with_edoc(sender: tuple[str, str], body: str, container: bytes, **options: Any) -> bytes:
    """A customer's e-mail with ``container`` attached as ``pieprasijums.edoc``."""
    return customer_mail(body, sender=sender, attachments=[("pieprasijums.edoc", EDOC, container)], **options)


@dataclass
class MailDesk:
    """The e-mail intake on loopback, the worker's processing and the sender, for one test."""

    app: App
    port: int
    sender: EmailSender
    relay: CaptureSmtpServer

    def send(self, raw: bytes, *, mail_from: str) -> None:
        wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as client:
            client.sendmail(mail_from, [PRIVACY_ADDRESS], wire)

    def settle(self, checker: SignatureChecker) -> None:
        process_all(self.app, checker)
        asyncio.run(self.sender.send_batch())

    def request(self, reference: str) -> Any:
        (row,) = [r for r in all_requests(self.app) if r.reference == reference]
        return row

    def requests(self) -> list[Any]:
        return sorted(all_requests(self.app), key=lambda r: r.reference)

    def recipients(self) -> set[str]:
        assert self.relay.messages, "no reply was sent at all"
        return {r.lower() for m in self.relay.messages for r in m.rcpt_tos}

    def reply_text(self, reference: str, kind_subject: str) -> str:
        for message in self.relay.messages:
            if reference in message.message["Subject"] and kind_subject in message.message["Subject"]:
                return str(message.message.get_body(("plain",)).get_content())
        subjects = [m.message["Subject"] for m in self.relay.messages]
        raise AssertionError(f"no reply {kind_subject!r} for {reference}: {subjects}")


@pytest.fixture
def desk(app: App, capture_smtp: CaptureSmtpServer) -> Iterator[MailDesk]:
    intake = SmtpIntake(
        SmtpInConfig(host="127.0.0.1", port=0, recipients=(PRIVACY_ADDRESS,)),
        GroupCommitStore(app.engine),
        clock=app.engine.clock,
    )
    port = intake.start()
    sender = EmailSender(
        app.database, capture_smtp.smtp_out_config(), app.engine.clock, "test-sender", engine=app.engine
    )
    try:
        yield MailDesk(app, port, sender, capture_smtp)
    finally:
        intake.stop()


@pytest.fixture(scope="module")
def liga(pki: TestPki) -> Issued:
    """Līga's qualified certificate (eParaksts of the test PKI)."""
    return make_natural_person(
        issuer=pki.qualified_ca, given_name="Līga", surname="Kalniņa", personal_code=LIGA_CODE,
        not_before=pki.now - timedelta(days=365), not_after=pki.now + timedelta(days=3 * 365), email=LIGA[1],
    )


@pytest.fixture
def checker(trust_store: Any) -> SignatureChecker:
    return SignatureChecker(trust_store)


@pytest.fixture
def api() -> Iterator[FakeBotApi]:
    with FakeBotApi() as stand_in:
        yield stand_in


def document_hooks(app: App, store: Any) -> VerificationHooks:
    """The chat's signed-document route as ``serve`` builds it, with nobody on file."""
    return hooks_from_routes(documents=SignedDocumentRoute(app.engine, store, StaticCustomerDirectory([])))


async def said(api: FakeBotApi, chat_id: int, wanted: str, timeout: float = 20.0) -> str:
    """The first message to ``chat_id`` containing ``wanted`` (waits without blocking the bot)."""
    for _ in range(int(timeout * 10)):
        found = [t for t in texts_of(api, chat_id) if wanted in t]
        if found:
            return found[0]
        await asyncio.sleep(0.1)
    raise AssertionError(f"the bot never said {wanted!r}; it said {texts_of(api, chat_id)}")


async def erasure_with_document(api: FakeBotApi, chat_id: int, reference: str, document: bytes) -> None:
    """/start, erasure of all data, skip the contact, submit, choose "Signed document", upload."""
    api.send_text(chat_id, "/start")
    api.press(chat_id, "r:erasure")
    api.press(chat_id, "r:go")
    await api.wait_for_messages(chat_id, 2)
    api.press(chat_id, "d:all")
    await api.wait_for_messages(chat_id, 3)
    api.press(chat_id, "c:skip")
    await api.wait_for_messages(chat_id, 4)
    api.press(chat_id, "s:ok")
    await said(api, chat_id, f"Numurs: {reference}")
    api.press(chat_id, f"v:doc:{reference}")
    await said(api, chat_id, "parakstītu dokumentu")
    api.send_document(chat_id, document, "pieprasijums.edoc")
