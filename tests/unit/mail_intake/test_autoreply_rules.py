"""RFC 3834: which mail never gets an automatic answer; RFC 3464 delivery reports."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from mail_intake.autoreply import is_delivery_report, no_reply_reason, read_delivery_report
from mail_intake.mime import parse_message


def _mail(**headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Jānis Bērziņš <janis.berzins@example.lv>")
    message["Subject"] = "Re: DSR-2026-000001"
    for key, value in headers.items():
        message[key.replace("_", "-")] = value
    message.set_content("Esmu atvaļinājumā līdz 10. martam.")
    return message.as_bytes()


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Auto_Submitted": "auto-generated"},
        {"Precedence": "bulk"},
        {"Precedence": "list"},
        {"Precedence": "junk"},
        {"List_Id": "<news.example.lv>"},
        {"List_Unsubscribe": "<mailto:leave@example.lv>"},
        {"X_Autoreply": "yes"},
        {"From": "MAILER-DAEMON@mx.example.lv"},
        {"From": "postmaster@example.lv"},
    ],
)
def test_automatic_mail_gets_no_reply(headers: dict[str, str]) -> None:
    assert no_reply_reason(parse_message(_mail(**headers)), "sender@example.lv") is not None


def test_auto_submitted_no_is_a_person_writing() -> None:
    assert no_reply_reason(parse_message(_mail(Auto_Submitted="no")), "janis.berzins@example.lv") is None


def test_empty_envelope_sender_gets_no_reply() -> None:
    assert no_reply_reason(parse_message(_mail()), "") is not None


def test_customer_mail_may_be_answered() -> None:
    assert no_reply_reason(parse_message(_mail()), "janis.berzins@example.lv") is None


def _dsn(original_id: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.lv\r\nTo: privacy@veikals.example.lv\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="rep"\r\n\r\n'
        "--rep\r\nContent-Type: text/plain\r\n\r\nThe mail system could not deliver your message.\r\n"
        "--rep\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.lv\r\n\r\n"
        "Final-Recipient: rfc822; janis.berzins@example.lv\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        "--rep\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original_id}\r\nSubject: [DSR-2026-000001] Pieprasījums saņemts\r\n"
        "--rep--\r\n"
    ).encode()


def test_delivery_report_is_recognised() -> None:
    assert is_delivery_report(parse_message(_dsn("<abc@desk.example.lv>")))


def test_delivery_report_names_the_failed_address_status_and_original_message() -> None:
    report = read_delivery_report(parse_message(_dsn("<abc@desk.example.lv>")))
    assert report.original_message_ids == ("<abc@desk.example.lv>",)
    assert [(r.address, r.status) for r in report.failed] == [("janis.berzins@example.lv", "5.1.1")]
