"""Messages in and out of a case. Outgoing ones are delivered through the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from workflows.domain.rights import Channel


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file that goes out with a message: the copy of a person's data (Art. 15(3)), sealed
    when the controller has a seal. Stored by path; the sender reads it when it sends."""

    path: str
    filename: str
    content_type: str
    sha256: str
    size: int

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "filename": self.filename, "content_type": self.content_type,
                "sha256": self.sha256, "size": self.size}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Attachment:
        return cls(str(data["path"]), str(data["filename"]), str(data["content_type"]), str(data["sha256"]),
                   int(str(data["size"])))


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
    attachments: tuple[Attachment, ...] = ()
