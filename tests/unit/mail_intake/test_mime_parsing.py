"""Robust MIME parsing: real customer mail and hostile input never crash the worker."""

from __future__ import annotations

import base64
import os
from email.message import EmailMessage

import pytest

from mail_intake.errors import MalformedMessage
from mail_intake.mime import MimeLimits, clean_line, html_to_text, parse_message


def _plain(body: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Jānis Bērziņš <janis.berzins@example.lv>"
    message["To"] = "privacy@veikals.example.lv"
    message["Subject"] = "Datu pieprasījums"
    for key, value in headers.items():
        message[key.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def test_latvian_plain_mail_gives_sender_subject_and_text() -> None:
    mail = parse_message(_plain("Lūdzu izsniegt manus datus.", Message_ID="<a1@example.lv>"))
    assert (mail.from_name, mail.from_address) == ("Jānis Bērziņš", "janis.berzins@example.lv")
    assert mail.subject == "Datu pieprasījums"
    assert mail.message_id == "<a1@example.lv>"
    assert "Lūdzu izsniegt manus datus." in mail.text


def test_threading_headers_are_read_most_specific_first() -> None:
    raw = _plain("Paldies", In_Reply_To="<ours-2@desk>", References="<ours-1@desk> <ours-2@desk>")
    assert parse_message(raw).thread_ids == ("<ours-2@desk>", "<ours-1@desk>")


def test_html_only_mail_is_converted_to_text_without_scripts() -> None:
    message = EmailMessage()
    message["From"] = "anna@example.lv"
    message.set_content(
        "<html><head><style>p{}</style></head><body><p>Dzēsiet manus datus</p><script>alert(1)</script></body></html>",
        subtype="html",
    )
    mail = parse_message(message.as_bytes())
    assert mail.text.strip() == "Dzēsiet manus datus"


def test_unknown_charset_falls_back_and_records_a_defect() -> None:
    raw = (
        b"From: a@example.lv\r\nSubject: test\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n"
        b"L\xc5\xabdzu dz\xc4\x93st\r\n"
    )
    mail = parse_message(raw)
    assert "Lūdzu dzēst" in mail.text
    assert any("x-klingon" in d for d in mail.defects)


def test_unknown_charset_in_an_encoded_subject_does_not_raise() -> None:
    raw = b"From: a@example.lv\r\nSubject: =?x-unknown?Q?Piek=C4=BCuve?=\r\n\r\nteksts\r\n"
    assert parse_message(raw).subject  # some readable text, no exception


def test_broken_base64_body_is_kept_as_far_as_it_decodes() -> None:
    raw = (
        b"From: a@example.lv\r\nSubject: x\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode("Lūdzu dzēst".encode())[:-3] + b"!!\r\n"
    )
    mail = parse_message(raw)
    assert mail.defects
    assert isinstance(mail.text, str)


def test_fifty_levels_of_nesting_is_refused_as_malformed() -> None:
    body = b"Content-Type: text/plain\r\n\r\nhello\r\n"
    for level in range(50):
        boundary = f"b{level}".encode()
        body = (
            b"Content-Type: multipart/mixed; boundary="
            + boundary
            + b"\r\n\r\n--"
            + boundary
            + b"\r\n"
            + body
            + b"\r\n--"
            + boundary
            + b"--\r\n"
        )
    with pytest.raises(MalformedMessage) as refused:
        parse_message(b"From: a@example.lv\r\nMIME-Version: 1.0\r\n" + body)
    assert refused.value.fields["reason"] == "too_deep"


def test_too_many_parts_is_refused_as_malformed() -> None:
    message = EmailMessage()
    message["From"] = "a@example.lv"
    message.set_content("x")
    for n in range(12):
        message.add_attachment(b"x", maintype="application", subtype="octet-stream", filename=f"{n}.bin")
    with pytest.raises(MalformedMessage):
        parse_message(message.as_bytes(), MimeLimits(max_parts=10))


def test_attachments_over_the_size_limit_are_refused() -> None:
    message = EmailMessage()
    message["From"] = "a@example.lv"
    message.set_content("x")
    message.add_attachment(b"x" * 5000, maintype="application", subtype="pdf", filename="scan.pdf")
    with pytest.raises(MalformedMessage):
        parse_message(message.as_bytes(), MimeLimits(max_attachment_bytes=1000))


def test_header_injection_in_subject_and_filename_is_flattened() -> None:
    raw = (
        b"From: a@example.lv\r\nSubject: =?utf-8?Q?hi=0D=0ABcc:_victim@example.com?=\r\n"
        b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nx\r\n--zz\r\n"
        b"Content-Type: application/pdf\r\nContent-Disposition: attachment; "
        b'filename="=?utf-8?Q?a=0D=0AX-Evil:_1.pdf?="\r\n\r\n%PDF-1.4\r\n--zz--\r\n'
    )
    mail = parse_message(raw)
    assert "\r" not in mail.subject and "\n" not in mail.subject
    assert all("\n" not in a.filename and "\r" not in a.filename for a in mail.attachments)


def test_clean_line_removes_control_characters() -> None:
    assert clean_line("a\r\nb\x00c\u2028d") == "a b c d"


def test_zero_byte_message_is_malformed() -> None:
    with pytest.raises(MalformedMessage):
        parse_message(b"")


def test_binary_junk_is_malformed_not_a_crash() -> None:
    junk = bytes(range(256)) * 4 + os.urandom(4096)
    with pytest.raises(MalformedMessage):
        parse_message(b"\x00\xff" + junk)


def test_attachment_is_extracted_with_name_and_type() -> None:
    message = EmailMessage()
    message["From"] = "a@example.lv"
    message.set_content("Pielikumā parakstīts pieprasījums")
    message.add_attachment(
        b"PK\x03\x04", maintype="application", subtype="vnd.etsi.asic-e+zip", filename="pieprasijums.edoc"
    )
    (attachment,) = parse_message(message.as_bytes()).attachments
    assert (attachment.filename, attachment.content_type, attachment.data) == (
        "pieprasijums.edoc",
        "application/vnd.etsi.asic-e+zip",
        b"PK\x03\x04",
    )


def test_html_to_text_keeps_paragraphs_apart() -> None:
    assert html_to_text("<p>Labdien</p><p>Lūdzu dzēst</p>") == "Labdien\nLūdzu dzēst"
