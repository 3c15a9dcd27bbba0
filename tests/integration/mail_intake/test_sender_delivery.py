"""Outbound mail reaches the person in their thread, with the headers RFC 3834 and 5322 ask for.

A real aiosmtplib client talks to a capturing aiosmtpd relay on loopback; the outbox rows
come from real commands (``OpenRequest``) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from mail_intake.compose import ThreadContext, compose
from mail_intake.config import SmtpOutConfig
from rightsdesk.bootstrap import App
from tests.support.mail.capture import CapturedMail, CaptureSmtpServer
from tests.support.mail.outbound import (
    A_CUSTOMER,
    A_MISCHIEVOUS_CUSTOMER,
    MESSAGE_ID_DOMAIN,
    make_sender,
    open_by_email,
    outbox_rows,
    send_batch,
)
from workflows.adapters.outbox import OutboxItem

CUSTOMER_MESSAGE_ID = "<CAF=qx7m1@mail.example.lv>"


@pytest.fixture
def relay() -> Iterator[CaptureSmtpServer]:
    with CaptureSmtpServer() as server:
        yield server


def _deliver_acknowledgement(app: App, relay: CaptureSmtpServer, **opening: object) -> tuple[str, CapturedMail]:
    reference = open_by_email(app, **opening)  # type: ignore[arg-type]
    assert send_batch(make_sender(app, relay.smtp_out_config())) == 1
    [mail] = relay.wait_for(1)
    return reference, mail


def test_acknowledgement_is_delivered_to_the_customer_only(app: App, relay: CaptureSmtpServer) -> None:
    _, mail = _deliver_acknowledgement(app, relay)
    assert (mail.mail_from, mail.rcpt_tos) == ("privacy@example.lv", (A_CUSTOMER.email,))
    assert str(mail.message["To"]) == A_CUSTOMER.email


def test_acknowledgement_subject_carries_the_reference_tag(app: App, relay: CaptureSmtpServer) -> None:
    reference, mail = _deliver_acknowledgement(app, relay)
    assert f"[{reference}]" in str(mail.message["Subject"])


def test_message_id_is_derived_from_the_outbox_row(app: App, relay: CaptureSmtpServer) -> None:
    _, mail = _deliver_acknowledgement(app, relay)
    [row] = outbox_rows(app)
    assert mail.message_id == f"<{row.message_id}@{MESSAGE_ID_DOMAIN}>"


def test_acknowledgement_is_marked_auto_replied(app: App, relay: CaptureSmtpServer) -> None:
    _, mail = _deliver_acknowledgement(app, relay)
    assert mail.message["Auto-Submitted"] == "auto-replied"


def test_reply_threads_onto_the_customers_email(app: App, relay: CaptureSmtpServer) -> None:
    _, mail = _deliver_acknowledgement(app, relay, message_id=CUSTOMER_MESSAGE_ID)
    assert mail.message["In-Reply-To"] == CUSTOMER_MESSAGE_ID
    assert mail.message["References"] == CUSTOMER_MESSAGE_ID


def test_reply_without_a_customer_message_id_has_no_thread_headers(app: App, relay: CaptureSmtpServer) -> None:
    _, mail = _deliver_acknowledgement(app, relay)
    assert mail.message["In-Reply-To"] is None and mail.message["References"] is None


def test_reply_has_plain_text_and_html_alternative_in_the_request_language(app: App, relay: CaptureSmtpServer) -> None:
    reference, mail = _deliver_acknowledgement(app, relay)
    message = mail.message
    parts = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
    assert message.get_content_type() == "multipart/alternative"
    assert set(parts) == {"text/plain", "text/html"}
    assert reference in parts["text/plain"] and reference in parts["text/html"]
    assert message["Content-Language"] == "lv"


def test_sent_row_is_marked_sent_and_not_sent_again(app: App, relay: CaptureSmtpServer) -> None:
    _deliver_acknowledgement(app, relay)
    assert send_batch(make_sender(app, relay.smtp_out_config(), "sender-b")) == 0
    [row] = outbox_rows(app)
    assert (row.status, len(relay.messages)) == ("sent", 1)


def test_header_injection_in_a_persons_name_adds_no_header(app: App, relay: CaptureSmtpServer) -> None:
    _, mail = _deliver_acknowledgement(app, relay, claimed=A_MISCHIEVOUS_CUSTOMER)
    assert mail.rcpt_tos == (A_MISCHIEVOUS_CUSTOMER.email,)
    assert mail.message["Bcc"] is None
    assert b"\nBcc:" not in mail.data.split(b"\r\n\r\n", 1)[0]


def test_running_sender_delivers_queued_mail_until_stopped(app: App, relay: CaptureSmtpServer) -> None:
    stop = threading.Event()
    sender = make_sender(app, relay.smtp_out_config())
    thread = threading.Thread(target=sender.run_forever, args=(stop,), kwargs={"idle_seconds": 0.05})
    thread.start()
    try:
        open_by_email(app)
        relay.wait_for(1)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_logs_at_info_carry_no_address_or_body(
    app: App, relay: CaptureSmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="mail_intake")
    open_by_email(app)
    open_by_email(app, claimed=A_MISCHIEVOUS_CUSTOMER)
    relay.reject(str(A_MISCHIEVOUS_CUSTOMER.email))
    send_batch(make_sender(app, relay.smtp_out_config()))
    assert caplog.records  # one line per outcome
    assert "@" not in caplog.text and "Sveiki" not in caplog.text


# -- composing, without a relay -------------------------------------------------------------------


def _item(**changes: object) -> OutboxItem:
    fields: dict[str, object] = {
        "id": "row-1",
        "message_id": "m1",
        "request_id": None,
        "channel": "email",
        "recipient": "liga@example.lv",
        "kind": "acknowledgement",
        "subject": "Pieprasījums saņemts",
        "text": "Sveiki!",
        "html": None,
        "headers": {},
        "attempts": 1,
    }
    fields.update(changes)
    return OutboxItem(**fields)  # type: ignore[arg-type]


def _compose(item: OutboxItem, thread: ThreadContext | None = None) -> str:
    now = datetime(2026, 3, 3, 7, tzinfo=UTC)
    message = compose(item, config=SmtpOutConfig(), thread=thread or ThreadContext(), now=now)
    return message.as_string().split("\n\n", 1)[0]


def test_injected_subject_stays_on_one_header_line() -> None:
    head = _compose(_item(subject="Labdien\r\nBcc: x@evil.example\nX-Evil: 1"))
    assert "\nBcc:" not in head and "\nX-Evil:" not in head


def test_outbox_headers_cannot_override_the_recipient_headers() -> None:
    head = _compose(_item(headers={"Bcc": "x@evil.example", "To": "x@evil.example"}))
    assert "evil" not in head


def test_missing_reference_tag_is_added_to_the_subject() -> None:
    head = _compose(_item(subject="Atbilde"), ThreadContext(reference="DSR-2026-000007"))
    assert "Subject: [DSR-2026-000007] Atbilde" in head


def test_staff_deadline_reminder_is_marked_auto_generated() -> None:
    assert "Auto-Submitted: auto-generated" in _compose(_item(kind="staff_deadline_reminder"))


def test_reply_after_a_staff_decision_is_not_marked_automatic() -> None:
    assert "Auto-Submitted" not in _compose(_item(kind="access_reply"))
