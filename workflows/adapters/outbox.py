"""The outbox: every outgoing message is a row written in the same transaction as the
change that causes it, so a crash can neither lose a reply nor send one for a change
that was rolled back. Channel senders claim rows with a lease, send, and mark them
sent; a message keeps its id across retries so the far end can drop a duplicate
(e-mail: the same Message-ID).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, insert, or_, select, update

from workflows.adapters.job_queue import backoff
from workflows.adapters.orm import outbox
from workflows.domain.messages import Attachment, Message


class OutboxStatus:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: str
    message_id: str
    request_id: str | None
    channel: str
    recipient: str
    kind: str
    subject: str
    text: str
    html: str | None
    headers: Mapping[str, str]
    attempts: int
    attachments: tuple[Attachment, ...] = ()


_INSERT = insert(outbox)
"""Built once, values as parameters: the compiled statement is reused."""


def add(connection: Connection, *, item_id: str, message: Message, recipient: str, now: datetime) -> None:
    connection.execute(
        _INSERT,
        {
            "id": item_id,
            "request_id": message.request_id,
            "message_id": message.id,
            "channel": str(message.channel),
            "recipient": recipient,
            "kind": message.kind or "message",
            "subject": message.subject,
            "text": message.text,
            "html": message.html,
            "headers": dict(message.headers),
            "attachments": [a.to_json() for a in message.attachments] or None,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        },
    )


def claim(
    engine: Engine,
    channel: str,
    sender_id: str,
    *,
    now: datetime,
    lease: timedelta = timedelta(minutes=2),
    limit: int = 20,
) -> list[OutboxItem]:
    ready = or_(
        and_(outbox.c.status == OutboxStatus.PENDING, outbox.c.next_attempt_at <= now),
        and_(outbox.c.status == OutboxStatus.SENDING, outbox.c.claimed_until < now),
    )
    with engine.begin() as connection:
        rows = connection.execute(
            select(outbox)
            .where(outbox.c.channel == channel, ready)
            .order_by(outbox.c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return []
        connection.execute(
            update(outbox)
            .where(outbox.c.id.in_([r.id for r in rows]))
            .values(
                status=OutboxStatus.SENDING,
                claimed_by=sender_id,
                claimed_until=now + lease,
                attempts=outbox.c.attempts + 1,
            )
        )
    return [_item(r) for r in rows]


def _item(row: Any) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        message_id=row.message_id,
        request_id=row.request_id,
        channel=row.channel,
        recipient=row.recipient,
        kind=row.kind,
        subject=row.subject,
        text=row.text,
        html=row.html,
        headers=dict(row.headers or {}),
        attempts=row.attempts + 1,
        attachments=tuple(Attachment.from_json(a) for a in row.attachments or ()),
    )


def mark_sent(engine: Engine, item: OutboxItem, *, now: datetime, sender_id: str | None = None) -> bool:
    """Record the relay's acceptance. With ``sender_id``, only while the claim is still
    that sender's (a sender whose lease ran out must not overwrite another's claim)."""
    condition = outbox.c.id == item.id
    if sender_id is not None:
        condition = condition & (outbox.c.claimed_by == sender_id)
    with engine.begin() as connection:
        result = connection.execute(
            update(outbox)
            .where(condition)
            .values(status=OutboxStatus.SENT, sent_at=now, claimed_until=None, last_error=None)
        )
    return bool(result.rowcount)


def mark_failed(
    engine: Engine, item: OutboxItem, *, now: datetime, error: str, permanent: bool, max_attempts: int = 10
) -> bool:
    """Schedule a retry with back-off, or give up; True when given up (staff are alerted)."""
    dead = permanent or item.attempts >= max_attempts
    with engine.begin() as connection:
        connection.execute(
            update(outbox)
            .where(outbox.c.id == item.id)
            .values(
                status=OutboxStatus.DEAD if dead else OutboxStatus.PENDING,
                next_attempt_at=now + backoff(item.attempts, base_seconds=30),
                claimed_by=None,
                claimed_until=None,
                last_error=error[:2000],
            )
        )
    return dead
