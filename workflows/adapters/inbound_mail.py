"""The store of raw inbound e-mail (see ``orm.inbound_mail``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from workflows.adapters.orm import inbound_mail
from workflows.domain.errors import WorkflowError


class InboundStatus:
    STORED = "stored"
    """Accepted (250 given), waiting for the worker."""
    PROCESSED = "processed"
    IGNORED = "ignored"
    """Deliberately not answered, e.g. an out-of-office reply (RFC 3834); reason kept."""
    QUARANTINED = "quarantined"
    """Could not be processed; staff see the reason and the raw message."""


@dataclass(frozen=True, slots=True)
class StoredMail:
    id: str
    received_at: datetime
    peer: str | None
    mail_from: str
    rcpt_to: tuple[str, ...]
    raw: bytes
    status: str
    request_id: str | None


class SqlInboundMail:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(
        self,
        *,
        mail_id: str,
        received_at: datetime,
        peer: str | None,
        mail_from: str,
        rcpt_to: tuple[str, ...],
        raw: bytes,
        sha256: str,
        message_id: str | None,
    ) -> None:
        self._connection.execute(
            insert(inbound_mail).values(
                id=mail_id,
                received_at=received_at,
                peer=peer,
                mail_from=mail_from,
                rcpt_to=list(rcpt_to),
                size=len(raw),
                sha256=sha256,
                raw=raw,
                status=InboundStatus.STORED,
                message_id=message_id,
            )
        )

    def get(self, mail_id: str) -> StoredMail:
        row = self._connection.execute(select(inbound_mail).where(inbound_mail.c.id == mail_id)).first()
        if row is None:
            raise WorkflowError(f"no stored e-mail {mail_id}", mail=mail_id)
        return StoredMail(
            id=row.id,
            received_at=row.received_at,
            peer=row.peer,
            mail_from=row.mail_from,
            rcpt_to=tuple(row.rcpt_to),
            raw=bytes(row.raw),
            status=row.status,
            request_id=row.request_id,
        )

    def mark(
        self, mail_id: str, status: str, *, at: datetime, reason: str | None = None, request_id: str | None = None
    ) -> None:
        self._connection.execute(
            update(inbound_mail)
            .where(inbound_mail.c.id == mail_id)
            .values(status=status, reason=reason, request_id=request_id, processed_at=at)
        )
