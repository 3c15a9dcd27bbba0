"""Where the copy of a person's data goes (workflows.domain.delivery) and how it leaves.

Personas: Līga, who asked in the chat and proved her e-mail with a one-time code; Pēteris,
who asked in the chat and logged in with eID (no e-mail established); and a relay that
captures what is sent."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from rightsdesk.bootstrap import App
from tests.support.mail.capture import CaptureSmtpServer
from tests.support.mail.outbound import make_sender, send_batch
from tests.support.oidc.cases import open_chat_request, outbox_rows, request_row
from tests.unit.workflows.reply_fact_examples import request_summary
from workflows.domain.identity import VerificationMethod, VerifiedIdentity
from workflows.domain.messages import Attachment
from workflows.domain.replies import AccessFacts, CopyDelivery, DeliveryMethod, ObjectionFacts
from workflows.domain.rights import Right
from workflows.service_layer import commands as c

LIGA_EMAIL = "liga.berzina@example.lv"
CLAIMED_ONLY = "someone-else@example.lv"


@pytest.fixture
def relay() -> Iterator[CaptureSmtpServer]:
    with CaptureSmtpServer() as server:
        yield server


def _verified(app: App, reference: str, *, email: str | None, method: VerificationMethod) -> None:
    now = app.engine.clock.now()
    evidence = VerifiedIdentity(
        method=method,
        verified_at=now,
        evidence_ref="test",
        email=email,
        personal_code=None if email else "010190-10007",
    )
    app.engine.handle(c.RecordIdentityEvidence(reference, evidence))


def _package(tmp_path: Path, content: bytes = b"PK sealed copy") -> Attachment:
    path = tmp_path / "DSR-export.asice"
    path.write_bytes(content)
    return Attachment(
        str(path), path.name, "application/vnd.etsi.asic-e+zip", hashlib.sha256(content).hexdigest(), len(content)
    )


def _send_copy(app: App, reference: str, attachment: Attachment) -> None:
    delivery = CopyDelivery(DeliveryMethod.EMAIL_ATTACHMENT, ("JSON", "CSV"), sealed=True)
    facts = AccessFacts(request_summary(), data_found=True, delivery=delivery)
    app.engine.handle(c.SendReply(reference, facts, actor="test", attachments=(attachment,)))


def test_chat_requests_copy_goes_by_email_to_the_address_the_code_proved(app: App, tmp_path: Path) -> None:
    reference = open_chat_request(app, "7001", {Right.ACCESS}, email=CLAIMED_ONLY)
    _verified(app, reference, email=LIGA_EMAIL, method=VerificationMethod.ONE_TIME_CODE)

    _send_copy(app, reference, _package(tmp_path))

    (row,) = outbox_rows(app, "access_reply")
    assert (row.channel, row.recipient) == ("email", LIGA_EMAIL)
    assert row.attachments[0]["filename"] == "DSR-export.asice"


def test_chat_requests_copy_without_a_verified_email_waits_for_staff_not_the_chat(app: App, tmp_path: Path) -> None:
    reference = open_chat_request(app, "7002", {Right.ACCESS}, email=CLAIMED_ONLY)
    _verified(app, reference, email=None, method=VerificationMethod.QUALIFIED_EID)

    _send_copy(app, reference, _package(tmp_path))

    assert outbox_rows(app, "access_reply") == []  # neither the chat nor the merely claimed address
    assert "no verified e-mail address" in request_row(app, reference).attention


def test_chat_request_still_gets_replies_without_personal_data_in_the_chat(app: App) -> None:
    reference = open_chat_request(app, "7003", {Right.MARKETING_OBJECTION}, email=CLAIMED_ONLY)

    app.engine.handle(c.SendReply(reference, ObjectionFacts(request_summary(), ("sales",)), actor="test"))

    (row,) = outbox_rows(app, "objection_applied")
    assert (row.channel, row.recipient) == ("telegram", "7003")


def test_the_copy_is_attached_to_the_email_byte_for_byte(app: App, tmp_path: Path, relay: CaptureSmtpServer) -> None:
    reference = open_chat_request(app, "7004", {Right.ACCESS})
    _verified(app, reference, email=LIGA_EMAIL, method=VerificationMethod.ONE_TIME_CODE)
    package = _package(tmp_path, b"PK\x03\x04 the sealed container")
    _send_copy(app, reference, package)

    send_batch(make_sender(app, relay.smtp_out_config()))

    (mail,) = [m for m in relay.messages if m.message.get_content_type() == "multipart/mixed"]
    (attached,) = list(mail.message.iter_attachments())
    assert (attached.get_filename(), attached.get_content_type()) == ("DSR-export.asice", package.content_type)
    assert attached.get_content() == b"PK\x03\x04 the sealed container"


def test_a_copy_altered_after_queueing_is_never_sent(app: App, tmp_path: Path, relay: CaptureSmtpServer) -> None:
    reference = open_chat_request(app, "7005", {Right.ACCESS})
    _verified(app, reference, email=LIGA_EMAIL, method=VerificationMethod.ONE_TIME_CODE)
    package = _package(tmp_path)
    _send_copy(app, reference, package)
    Path(package.path).write_bytes(b"someone else's data")

    send_batch(make_sender(app, relay.smtp_out_config()))

    (row,) = outbox_rows(app, "access_reply")
    assert row.status == "dead" and "attachment" in row.last_error
    assert not [m for m in relay.messages if m.message.get_content_type() == "multipart/mixed"]
    assert request_row(app, reference).attention


def test_a_missing_copy_is_given_up_with_a_reason_for_staff(app: App, tmp_path: Path, relay: CaptureSmtpServer) -> None:
    reference = open_chat_request(app, "7006", {Right.ACCESS})
    _verified(app, reference, email=LIGA_EMAIL, method=VerificationMethod.ONE_TIME_CODE)
    package = _package(tmp_path)
    _send_copy(app, reference, package)
    Path(package.path).unlink()

    send_batch(make_sender(app, relay.smtp_out_config()))

    (row,) = outbox_rows(app, "access_reply")
    assert row.status == "dead" and "attachment" in row.last_error
