"""Queue a message or keep it for staff: the one home of that decision.

Every message the engine writes to someone goes one of two ways, in the caller's unit of
work: it has an address, so it is queued to the outbox (``uow.queue_outgoing``: it leaves
only if the change that caused it commits); or nobody can be written to, so it is kept
with the case (``uow.messages``) and staff are told to hand it over. Replies to the person
(``handlers._queue_reply``) and Art. 19 notices to recipients (:func:`queue_recipient_notices`)
both go through :func:`outgoing_message` and :func:`queue_or_keep`.

Art. 19 GDPR: "The controller shall communicate any rectification or erasure of personal
data or restriction of processing ... to each recipient to whom the personal data have been
disclosed, unless this proves impossible or involves disproportionate effort." Processors
count as recipients (Art. 4(9)). Who is told is decided when the action runs
(``adapters.connectors.recipients.recipients_to_notify``); where each recipient's notices go
is the deployment's address book (:class:`RecipientAddresses`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from workflows.domain.events import Event, EventType
from workflows.domain.messages import Attachment, Direction, Message
from workflows.domain.profile import ControllerProfile
from workflows.domain.replies import FieldChange, RecipientNoticeFacts
from workflows.domain.request import RightsRequest
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer.commands import FlagForStaff
from workflows.service_layer.ports import UnitOfWork
from workflows.service_layer.summaries import summarise

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine, RenderedReplyLike


class RecipientAddresses(Protocol):
    """Where each Art. 19 recipient's notices go
    (``adapters.connectors.recipients.ConfiguredRecipientAddresses``)."""

    def address_of(self, recipient_id: str) -> str | None:
        """The recipient's e-mail address, or None when none is known."""
        ...


def outgoing_message(
    engine: Engine,
    request: RightsRequest,
    rendered: RenderedReplyLike,
    *,
    kind: str,
    channel: Channel,
    recipient: str | None,
    at: datetime,
    attachments: tuple[Attachment, ...] = (),
) -> Message:
    """The outgoing message of a rendered reply or notice, addressed to ``recipient``."""
    return Message(
        id=engine.new_id(),
        request_id=request.id,
        direction=Direction.OUT,
        channel=channel,
        created_at=at,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        counterpart=recipient,
        kind=kind,
        attachments=attachments,
    )


def queue_or_keep(uow: UnitOfWork, message: Message) -> bool:
    """Queue ``message`` to its counterpart; with none, keep it with the case so staff can
    hand it over (the caller flags the case). True when it was queued."""
    if message.counterpart is None:
        uow.messages.add(message)
        return False
    uow.queue_outgoing(message, message.counterpart)
    return True


def notice_language(profile: ControllerProfile, recipient_id: str) -> Language:
    """Latvian to Latvian recipients (Official Language Law), English to foreign ones."""
    return Language.LV if profile.recipient(recipient_id).country.upper() == "LV" else Language.EN


@dataclass(frozen=True)
class NoticeSent:
    recipient: str
    queued: bool
    """False when no address is known and staff must send it by hand."""


def queue_recipient_notices(
    uow: UnitOfWork,
    engine: Engine,
    request: RightsRequest,
    *,
    action: Right,
    recipients: Sequence[str],
    subject_reference: str,
    addresses: RecipientAddresses,
    categories: Sequence[str] = (),
    changes: Sequence[FieldChange] = (),
) -> tuple[NoticeSent, ...]:
    """Queue one Art. 19 notice per recipient in the caller's transaction; log each one.

    A recipient with no known address gets a stored message and the case is flagged so
    that staff send it by hand."""
    now = engine.clock.now()
    sent: list[NoticeSent] = []
    for recipient_id in recipients:
        recipient = engine.profile.recipient(recipient_id)
        relevant = tuple(c for c in categories if not recipient.categories or c in recipient.categories)
        facts = RecipientNoticeFacts(
            request=summarise(request),
            recipient=recipient_id,
            action=action,
            subject_reference=subject_reference,
            changes=tuple(changes),
            categories=relevant,
        )
        rendered = engine.renderer.render(
            facts.kind, notice_language(engine.profile, recipient_id), facts, engine.profile
        )
        address = addresses.address_of(recipient_id)
        message = outgoing_message(
            engine, request, rendered, kind=str(facts.kind), channel=Channel.EMAIL, recipient=address, at=now
        )
        if not queue_or_keep(uow, message):
            # A command, not the request in hand: the caller's copy stays unchanged (see execution).
            engine.handle(FlagForStaff(request.reference, f"no address for the Art. 19 notice to {recipient_id}"))
        uow.record(
            Event(
                EventType.REPLY_QUEUED,
                now,
                request.id,
                "system",
                {
                    "kind": str(facts.kind),
                    "recipient": recipient_id,
                    "action": str(action),
                    "delivered": address is not None,
                },
            )
        )
        sent.append(NoticeSent(recipient_id, address is not None))
    return tuple(sent)
