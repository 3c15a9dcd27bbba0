"""Messages in and out of a case. Outgoing ones are delivered through the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from workflows.domain.rights import Channel


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    request_id: str | None
    direction: Direction
    channel: Channel
    created_at: datetime
    subject: str
    text: str
    html: str | None = None
    counterpart: str | None = None
    """The sender of an incoming or the recipient of an outgoing message (address or chat id)."""
    kind: str | None = None
    """For replies: the template kind (``acknowledgement``, ``access_reply`` …)."""
    external_id: str | None = None
    """E-mail Message-ID or chat message id, for threading and de-duplication."""
    headers: Mapping[str, str] = field(default_factory=dict)
