"""Helpers for the outbound mail tests: personas, opening e-mailed requests, reading the outbox."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from sqlalchemy import select

from mail_intake.config import SmtpOutConfig
from mail_intake.sender import EmailSender
from rightsdesk.bootstrap import App
from workflows.adapters.orm import outbox, requests
from workflows.domain.identity import ClaimedIdentity
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer.commands import OpenRequest

A_CUSTOMER = ClaimedIdentity(name="Līga Kalniņa", email="liga@example.lv")
"""Objects to marketing by e-mail; control of her address is enough (tier 1), so she is acknowledged."""

A_MISCHIEVOUS_CUSTOMER = ClaimedIdentity(name="Anna\r\nBcc: x@evil.example", email="anna@example.lv")
"""Puts a header into her name, hoping a template copies it into our reply's headers."""

MESSAGE_ID_DOMAIN = "desk.example.lv"


def open_by_email(
    app: App,
    *,
    claimed: ClaimedIdentity = A_CUSTOMER,
    rights: frozenset[Right] = frozenset({Right.MARKETING_OBJECTION}),
    message_id: str | None = None,
) -> str:
    """Open a request as if it came by e-mail; the engine queues exactly one reply."""
    reference: str = app.engine.handle(
        OpenRequest(
            channel=Channel.EMAIL,
            rights=rights,
            language=Language.LV,
            claimed=claimed,
            received_at=app.engine.clock.now(),
            incoming_subject="Iebilstu pret tiešo mārketingu",
            incoming_text="Lūdzu, pārtrauciet sūtīt man reklāmas.",
            incoming_external_id=message_id,
        )
    )
    return reference


def make_sender(app: App, config: SmtpOutConfig, name: str = "sender-a", **options: Any) -> EmailSender:
    """A sender wired like ``rightsdesk serve`` wires it: flags undeliverable requests."""
    return EmailSender(
        app.database,
        replace(config, message_id_domain=MESSAGE_ID_DOMAIN, from_name="Privātuma komanda"),
        app.engine.clock,
        name,
        engine=app.engine,
        **options,
    )


def send_batch(sender: EmailSender) -> int:
    return asyncio.run(sender.send_batch())


def outbox_rows(app: App) -> list[Any]:
    with app.database.connect() as connection:
        return list(connection.execute(select(outbox).order_by(outbox.c.created_at, outbox.c.id)).all())


def request_attention(app: App, reference: str) -> str | None:
    with app.database.connect() as connection:
        value = connection.execute(select(requests.c.attention).where(requests.c.reference == reference)).scalar()
    return str(value) if value is not None else None
