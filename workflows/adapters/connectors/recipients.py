"""Art. 19 GDPR: tell each recipient about a rectification, erasure or restriction.

"The controller shall communicate any rectification or erasure of personal data or
restriction of processing ... to each recipient to whom the personal data have been
disclosed, unless this proves impossible or involves disproportionate effort." Processors
count as recipients (Art. 4(9)): couriers, parcel terminals, SMS and e-mail platforms.

Who is told: :func:`recipients_to_notify` picks the profile's recipients of the purposes
that this person's affected rows serve, whose categories overlap the affected ones; a
recipient the profile marks with ``art19_exemption`` (impossible or disproportionate, with
the reason) is listed apart and not told. Each notice is a templated
``recipient_notice`` in the outbox, addressed to the recipient's contact e-mail, and is
logged as an event in the case's audit chain. A recipient with no known address gets a
stored message and the case is flagged so that staff send it by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflows.adapters.connectors.export_package import recipients_of
from workflows.domain.events import Event, EventType
from workflows.domain.messages import Direction, Message
from workflows.domain.plans import RecipientsToNotify
from workflows.domain.profile import ControllerProfile
from workflows.domain.replies import FieldChange, RecipientNoticeFacts
from workflows.domain.request import RightsRequest
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer.commands import FlagForStaff
from workflows.service_layer.ports import UnitOfWork
from workflows.service_layer.summaries import summarise

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine


def recipients_to_notify(
    profile: ControllerProfile, purposes: Iterable[str], categories: Iterable[str]
) -> RecipientsToNotify:
    """Art. 19 recipients for data of ``categories`` processed for ``purposes``."""
    notify: list[str] = []
    exempt: list[str] = []
    for recipient_id in recipients_of(profile, purposes, categories):
        recipient = profile.recipient(recipient_id)
        (notify if recipient.notify_under_art19 else exempt).append(recipient_id)
    return RecipientsToNotify(tuple(notify), tuple(exempt))


def recipient_address(profile: ControllerProfile, recipient_id: str, contacts: Mapping[str, str]) -> str | None:
    """Where a recipient's notices go: the deployment's contact list first, then a
    ``contact_email`` on the profile's recipient entry if the profile model has one."""
    if recipient_id in contacts:
        return contacts[recipient_id]
    address = getattr(profile.recipient(recipient_id), "contact_email", None)
    return address if isinstance(address, str) and address else None


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
    categories: Sequence[str] = (),
    changes: Sequence[FieldChange] = (),
    contacts: Mapping[str, str] | None = None,
) -> tuple[NoticeSent, ...]:
    """Queue one Art. 19 notice per recipient in the caller's transaction; log each one."""
    contacts = contacts or {}
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
        address = recipient_address(engine.profile, recipient_id, contacts)
        message = Message(
            id=engine.new_id(),
            request_id=request.id,
            direction=Direction.OUT,
            channel=Channel.EMAIL,
            created_at=now,
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            counterpart=address,
            kind=str(facts.kind),
        )
        if address is None:
            uow.messages.add(message)
            # A command, not the request in hand: the caller's copy stays unchanged (see execution).
            engine.handle(FlagForStaff(request.reference, f"no address for the Art. 19 notice to {recipient_id}"))
        else:
            uow.queue_outgoing(message, address)
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
