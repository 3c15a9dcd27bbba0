"""Replies in a thread, automatic mail, bounces, broken mail and exactly-once processing.

Runs on SQLite and PostgreSQL (``app`` fixture).
"""

from __future__ import annotations

from typing import Any

from mail_intake.processing import process_email
from tests.support.mail.processing import (
    CUSTOMER,
    all_requests,
    customer_mail,
    inbound,
    messages_of,
    outbox_rows,
    process_all,
    request_of,
    store,
)
from workflows.service_layer.jobs import ProcessEmail

ACCESS_REQUEST = "Labdien! Lūdzu izsniegt visus manus personas datus."


def _first_request(app: Any) -> Any:
    store(app, customer_mail(ACCESS_REQUEST, message_id="<first@example.lv>"))
    process_all(app)
    (request,) = all_requests(app)
    return request


def _incoming(app: Any, request_id: str) -> list[Any]:
    return [m for m in messages_of(app, request_id) if m.direction == "in"]


def test_reply_with_the_reference_in_the_subject_lands_on_the_same_request(app: Any) -> None:
    request = _first_request(app)
    store(
        app,
        customer_mail(
            "Pielikumā ID kartes kopija nav, atnākšu uz veikalu.",
            subject=f"Re: [{request.reference}] Pieprasījums saņemts",
        ),
    )
    process_all(app)
    assert len(all_requests(app)) == 1
    assert len(_incoming(app, request.id)) == 2


def test_reply_by_in_reply_to_our_message_lands_on_the_same_request(app: Any) -> None:
    request = _first_request(app)
    (ours,) = outbox_rows(app, request.id)
    store(
        app,
        customer_mail(
            "Paldies, sapratu.",
            subject="Re: jūsu vēstule",
            headers={"In-Reply-To": f"<{ours.message_id}@rightsdesk.local>"},
        ),
    )
    process_all(app)
    assert len(all_requests(app)) == 1
    assert len(_incoming(app, request.id)) == 2


def test_reply_referencing_the_customers_own_message_lands_on_the_same_request(app: Any) -> None:
    request = _first_request(app)
    store(
        app,
        customer_mail("Vēl viens jautājums.", subject="Papildinājums", headers={"References": "<first@example.lv>"}),
    )
    process_all(app)
    assert [r.id for r in all_requests(app)] == [request.id]


def test_a_reply_opens_no_new_reply_in_the_outbox(app: Any) -> None:
    request = _first_request(app)
    store(app, customer_mail("Paldies!", subject=f"Re: {request.reference}"))
    process_all(app)
    assert len(outbox_rows(app)) == 1


def test_a_reply_from_another_address_is_flagged(app: Any) -> None:
    request = _first_request(app)
    store(
        app,
        customer_mail("Izdzēsiet viņa datus.", subject=f"Re: {request.reference}", sender=("", "impostor@example.com")),
        mail_from="impostor@example.com",
    )
    process_all(app)
    assert "another address" in request_of(app, request.id).attention


def test_out_of_office_reply_is_ignored_without_a_request_or_reply(app: Any) -> None:
    raw = customer_mail(
        "Esmu atvaļinājumā līdz 10. martam.",
        subject="Automātiska atbilde: Pieprasījums",
        headers={"Auto-Submitted": "auto-replied"},
    )
    mail_id = store(app, raw)
    process_all(app)
    row = inbound(app, mail_id)
    assert (row.status, row.request_id) == ("ignored", None)
    assert "Auto-Submitted" in row.reason
    assert all_requests(app) == [] and outbox_rows(app) == []


def test_out_of_office_reply_to_our_acknowledgement_is_not_filed_in_the_case(app: Any) -> None:
    request = _first_request(app)
    mail_id = store(
        app,
        customer_mail(
            "Esmu atvaļinājumā.", subject=f"Re: {request.reference}", headers={"Auto-Submitted": "auto-replied"}
        ),
    )
    process_all(app)
    assert inbound(app, mail_id).status == "ignored"
    assert len(_incoming(app, request.id)) == 1


def _bounce(original_message_id: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.example.lv\r\nTo: privacy@veikals.example.lv\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce-1@mx.example.lv>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.lv\r\n\r\n"
        f"Final-Recipient: rfc822; {CUSTOMER[1]}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--r\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {original_message_id}\r\nSubject: Pieprasījums saņemts\r\n"
        "--r--\r\n"
    ).encode()


def test_a_bounce_of_our_reply_flags_the_request_and_gets_no_answer(app: Any) -> None:
    request = _first_request(app)
    (ours,) = outbox_rows(app, request.id)
    mail_id = store(app, _bounce(f"<{ours.message_id}@rightsdesk.local>"), mail_from="")
    process_all(app)
    flagged = request_of(app, request.id)
    assert flagged.attention == f"our reply to {CUSTOMER[1]} bounced: 5.1.1"
    assert inbound(app, mail_id).status == "processed"
    assert len(outbox_rows(app)) == 1


def test_a_bounce_for_an_unknown_message_is_ignored(app: Any) -> None:
    mail_id = store(app, _bounce("<never-sent@rightsdesk.local>"), mail_from="")
    process_all(app)
    assert inbound(app, mail_id).status == "ignored"
    assert all_requests(app) == []


def test_a_message_that_cannot_be_parsed_is_quarantined_with_its_reason(app: Any) -> None:
    mail_id = store(app, b"\x00\x01\x02 binary junk \xff\xfe" * 50)
    process_all(app)
    row = inbound(app, mail_id)
    assert (row.status, row.reason) == ("quarantined", "the data is not an e-mail message (no header lines)")
    assert all_requests(app) == []


def test_a_deeply_nested_message_is_quarantined(app: Any) -> None:
    body = b"Content-Type: text/plain\r\n\r\nLudzu dzest\r\n"
    for level in range(50):
        b = f"n{level}".encode()
        body = (
            b"Content-Type: multipart/mixed; boundary="
            + b
            + b"\r\n\r\n--"
            + b
            + b"\r\n"
            + body
            + b"\r\n--"
            + b
            + b"--\r\n"
        )
    mail_id = store(app, b"From: a@example.lv\r\nMIME-Version: 1.0\r\n" + body)
    process_all(app)
    assert inbound(app, mail_id).reason == "MIME nesting deeper than 20 levels"


def test_the_same_job_cannot_be_queued_twice(app: Any) -> None:
    mail_id = store(app, customer_mail(ACCESS_REQUEST))
    with app.engine.uow() as uow:
        uow.jobs.enqueue(ProcessEmail(mail_id), dedupe_key=f"process_email:{mail_id}")
        uow.commit()
    assert process_all(app) == 1
    assert len(all_requests(app)) == 1


def test_reprocessing_a_processed_mail_does_nothing(app: Any) -> None:
    mail_id = store(app, customer_mail(ACCESS_REQUEST))
    process_all(app)
    with app.engine.uow() as uow:
        process_email({"mail_id": mail_id}, uow, app.engine)
        uow.commit()
    assert len(all_requests(app)) == 1 and len(outbox_rows(app)) == 1


def test_the_same_message_delivered_twice_opens_one_request(app: Any) -> None:
    raw = customer_mail(ACCESS_REQUEST, message_id="<resent@example.lv>")
    store(app, raw)
    second = store(app, raw)
    process_all(app)
    assert len(all_requests(app)) == 1
    assert inbound(app, second).status == "ignored"
