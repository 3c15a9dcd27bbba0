"""The record of signatures that verified someone: each verifies one request only.

One row per signature digest (see :func:`workflows.adapters.signed_evidence.signature_digest`)
and the request it verified, nothing else: no name, personal code or document (Art. 5(1)(c)).
The primary key makes the claim atomic: two requests racing for the same signature cannot
both win, on SQLite or PostgreSQL. Registered on :data:`workflows.adapters.orm.metadata`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Connection, ForeignKey, String, Table, select

from workflows.adapters.orm import Id, UtcDateTime, metadata, requests

signed_evidence_uses = Table(
    "signed_evidence_uses",
    metadata,
    Column("signature_digest", String(64), primary_key=True),
    Column("request_id", Id, ForeignKey("requests.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("used_at", UtcDateTime, nullable=False),
)


def used_by(connection: Connection, signature_digest: str) -> str | None:
    """The reference of the request this signature already verified, or None."""
    query = (
        select(requests.c.reference)
        .select_from(signed_evidence_uses.join(requests, requests.c.id == signed_evidence_uses.c.request_id))
        .where(signed_evidence_uses.c.signature_digest == signature_digest)
    )
    row = connection.execute(query).first()
    return None if row is None else str(row.reference)


def record_use(connection: Connection, signature_digest: str, request_id: str, *, at: datetime) -> None:
    """Claim the signature for ``request_id`` (idempotent for the same request).

    A claim by another request raises the database's IntegrityError: the caller's
    transaction rolls back and nothing is verified."""
    existing = connection.execute(
        select(signed_evidence_uses.c.request_id).where(signed_evidence_uses.c.signature_digest == signature_digest)
    ).first()
    if existing is not None and str(existing.request_id) == request_id:
        return
    connection.execute(
        signed_evidence_uses.insert().values(signature_digest=signature_digest, request_id=request_id, used_at=at)
    )
