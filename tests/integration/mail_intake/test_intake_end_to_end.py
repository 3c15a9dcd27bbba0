"""The whole e-mail path on loopback: smtplib -> our SMTP server -> durable store -> worker
(parse, thread, verify) -> outbox -> our sender -> a second, capturing SMTP server.

Personas: Jānis Bērziņš, the verified customer (the test PKI's natural person with a QES);
an out-of-office robot.
"""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from mail_intake.config import SmtpInConfig
from mail_intake.evidence import SignatureChecker
from mail_intake.sender import EmailSender
from mail_intake.server import SmtpIntake
from mail_intake.smtp_store import GroupCommitStore
from rightsdesk.bootstrap import App
from rightsdesk.demo_kit.asice import addressed
from tests.support.mail.capture import CaptureSmtpServer, capture_smtp  # noqa: F401
from tests.support.mail.processing import CUSTOMER, PRIVACY_ADDRESS, all_requests, customer_mail, process_all
from tests.support.pki.fixtures import pki, trust_dir, trust_store  # noqa: F401
from tests.support.samples import asice
from workflows.adapters.orm import messages, outbox


@dataclass
class MailDesk:
    app: App
    port: int
    checker: SignatureChecker
    sender: EmailSender
    relay: CaptureSmtpServer

    def send(self, raw: bytes, *, mail_from: str = CUSTOMER[1]) -> None:
        # On the wire every line ends in CRLF (RFC 5321 2.3.8); smtplib sends bytes as given.
        wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as client:
            client.sendmail(mail_from, [PRIVACY_ADDRESS], wire)

    def settle(self) -> None:
        """Let the worker process what arrived and the sender deliver what was queued."""
        process_all(self.app, self.checker)
        asyncio.run(self.sender.send_batch())

    def outbox_kinds(self) -> list[str]:
        with self.app.database.connect() as connection:
            return [row.kind for row in connection.execute(select(outbox.c.kind).order_by(outbox.c.created_at))]


@pytest.fixture
def desk(app: App, trust_store: Any, capture_smtp: CaptureSmtpServer) -> Iterator[MailDesk]:
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
        yield MailDesk(app, port, SignatureChecker(trust_store), sender, capture_smtp)
    finally:
        intake.stop()


def test_signed_request_becomes_verified_and_is_acknowledged(desk: MailDesk, pki: Any) -> None:
    text = addressed("Lūdzu dzēst visus manus datus.")
    signed = asice.edoc(pki, pki.person, {"pieprasijums.txt": text}, signed_at=desk.app.engine.clock.now())
    desk.send(
        customer_mail(
            "Pielikumā parakstīts pieprasījums.",
            attachments=[("pieprasijums.edoc", "application/vnd.etsi.asic-e+zip", signed)],
        )
    )
    desk.settle()
    (request,) = all_requests(desk.app)
    assert (request.state, request.verified_method) == ("in_progress", "qualified_signature")
    (reply,) = desk.relay.wait_for(1)
    assert reply.message["To"] == CUSTOMER[1]
    assert request.reference in reply.message["Subject"]
    assert reply.message["Auto-Submitted"] == "auto-replied"
    assert desk.outbox_kinds() == ["acknowledgement"]


def test_unsigned_request_awaits_identity_and_gets_the_verification_reply(desk: MailDesk) -> None:
    desk.send(customer_mail("Labdien! Lūdzu izsniegt kopiju par maniem personas datiem."))
    desk.settle()
    (request,) = all_requests(desk.app)
    assert request.state == "awaiting_identity"
    (reply,) = desk.relay.wait_for(1)
    assert request.reference in reply.message["Subject"]
    assert desk.outbox_kinds() == ["identity_verification_needed"]
    assert "eParaksts" in reply.message.get_body(("plain",)).get_content()


def test_a_reply_in_the_thread_lands_on_the_same_request(desk: MailDesk) -> None:
    desk.send(customer_mail("Lūdzu izsniegt manus datus."))
    desk.settle()
    (acknowledgement,) = desk.relay.wait_for(1)
    desk.send(
        customer_mail(
            "Paldies, es pievienošu parakstu vēlāk.",
            subject=f"Re: {acknowledgement.message['Subject']}",
            headers={"In-Reply-To": acknowledgement.message_id or ""},
        )
    )
    desk.settle()
    (request,) = all_requests(desk.app)
    with desk.app.database.connect() as connection:
        incoming = connection.execute(
            select(messages.c.request_id).where(messages.c.direction == "in", messages.c.request_id == request.id)
        ).all()
    assert len(incoming) == 2


def test_an_automatic_reply_gets_no_answer(desk: MailDesk) -> None:
    desk.send(
        customer_mail(
            "Esmu atvaļinājumā līdz 10. martam.",
            subject="Automatic reply: Jūsu pieprasījums",
            sender=("Out of office", "robot@example.lv"),
            headers={"Auto-Submitted": "auto-replied"},
        ),
        mail_from="robot@example.lv",
    )
    desk.settle()
    assert all_requests(desk.app) == []
    assert desk.outbox_kinds() == []
    assert desk.relay.messages == []
