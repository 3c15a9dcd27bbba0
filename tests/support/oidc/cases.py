"""Helpers for identity-route tests: open a chat request and read what the engine holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from rightsdesk.bootstrap import App
from workflows.adapters.orm import outbox, requests
from workflows.domain.identity import ClaimedIdentity
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer.commands import OpenRequest


def open_chat_request(app: App, chat_id: str, rights: set[Right], **claimed: str) -> str:
    """A request opened from the chat, as the conversation does after the summary."""
    reference: str = app.engine.handle(
        OpenRequest(
            channel=Channel.TELEGRAM,
            rights=frozenset(rights),
            language=Language.EN,
            claimed=ClaimedIdentity(chat_id=chat_id, **claimed),
            received_at=app.engine.clock.now(),
        )
    )
    return reference


def request_row(app: App, reference: str) -> Any:
    with app.database.connect() as connection:
        return connection.execute(select(requests).where(requests.c.reference == reference)).one()


def outbox_rows(app: App, kind: str) -> list[Any]:
    with app.database.connect() as connection:
        return list(connection.execute(select(outbox).where(outbox.c.kind == kind).order_by(outbox.c.created_at)))
