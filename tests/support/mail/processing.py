"""Helpers for the ``process_email`` tests: build mail as customers send it, store it the way
the SMTP server does, run the worker with the job registered, and read what was written.

Personas (no real people): Jānis Bērziņš is the verified customer of the test PKI
(``pki.person``); Anna Kalniņa (``pki.other_person``) signs for someone else.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from sqlalchemy import select

from mail_intake.evidence import SignatureChecker
from rightsdesk.bootstrap import App, email_processing
from workflows.adapters.orm import events, inbound_mail, messages, outbox, requests
from workflows.service_layer import commands as c
from workflows.service_layer.jobs import ProcessEmail

PRIVACY_ADDRESS = "privacy@veikals.example.lv"
CUSTOMER = ("Jānis Bērziņš", "janis.berzins@example.lv")
"""The verified customer (the test PKI's ``person``)."""


def customer_mail(
    body: str,
    *,
    subject: str = "Personas datu pieprasījums",
    sender: tuple[str, str] = CUSTOMER,
    headers: dict[str, str] | None = None,
    attachments: Iterable[tuple[str, str, bytes]] = (),
    message_id: str | None = None,
) -> bytes:
    """A plain (optionally multipart) e-mail from ``sender`` to the privacy address."""
    message = EmailMessage()
    name, address = sender
    message["From"] = f"{name} <{address}>" if name else address
    message["To"] = PRIVACY_ADDRESS
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.lv")
    message["Date"] = "Tue, 03 Mar 2026 09:00:00 +0200"
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body)
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()


def store(app: App, raw: bytes, *, mail_from: str = CUSTOMER[1], received_at: datetime | None = None) -> str:
    """What the SMTP server does before it answers 250."""
    command = c.StoreInboundEmail(
        raw=raw,
        mail_from=mail_from,
        rcpt_to=(PRIVACY_ADDRESS,),
        received_at=received_at or app.engine.clock.now(),
        peer="127.0.0.1",
    )
    return str(app.engine.handle(command))


def process_all(app: App, checker: SignatureChecker | None = None) -> int:
    """Run the worker with ``process_email`` registered until no job is ready."""
    worker = app.worker("test-worker")
    worker.registry.register(ProcessEmail, email_processing(checker), replace=True)
    taken = 0
    while (n := worker.run_once()) > 0:
        taken += n
    return taken


def inbound(app: App, mail_id: str) -> Any:
    with app.database.connect() as connection:
        return connection.execute(select(inbound_mail).where(inbound_mail.c.id == mail_id)).one()


def request_of(app: App, request_id: str) -> Any:
    with app.database.connect() as connection:
        return connection.execute(select(requests).where(requests.c.id == request_id)).one()


def all_requests(app: App) -> list[Any]:
    with app.database.connect() as connection:
        return list(connection.execute(select(requests)).all())


def outbox_rows(app: App, request_id: str | None = None) -> list[Any]:
    query = select(outbox).order_by(outbox.c.created_at)
    if request_id is not None:
        query = query.where(outbox.c.request_id == request_id)
    with app.database.connect() as connection:
        return list(connection.execute(query).all())


def events_of(app: App, request_id: str, kind: str | None = None) -> list[Any]:
    query = select(events).where(events.c.request_id == request_id).order_by(events.c.seq)
    if kind is not None:
        query = query.where(events.c.type == kind)
    with app.database.connect() as connection:
        return list(connection.execute(query).all())


def messages_of(app: App, request_id: str) -> list[Any]:
    query = select(messages).where(messages.c.request_id == request_id).order_by(messages.c.created_at)
    with app.database.connect() as connection:
        return list(connection.execute(query).all())
