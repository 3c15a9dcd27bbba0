"""Art. 19 GDPR recipients: who is told of a rectification, erasure or restriction, and where.

"The controller shall communicate any rectification or erasure of personal data or
restriction of processing ... to each recipient to whom the personal data have been
disclosed, unless this proves impossible or involves disproportionate effort." Processors
count as recipients (Art. 4(9)): couriers, parcel terminals, SMS and e-mail platforms.

Who is told: :func:`recipients_to_notify` picks the profile's recipients of the purposes
that this person's affected rows serve, whose categories overlap the affected ones; a
recipient the profile marks with ``art19_exemption`` (impossible or disproportionate, with
the reason) is listed apart and not told. Where: :class:`ConfiguredRecipientAddresses`
reads each recipient's contact e-mail. Rendering, queueing and flagging staff when no
address is known are the service layer's (``service_layer.notices.queue_recipient_notices``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from workflows.adapters.connectors.export_package import recipients_of
from workflows.domain.plans import RecipientsToNotify
from workflows.domain.profile import ControllerProfile


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


class ConfiguredRecipientAddresses:
    """The ``RecipientAddresses`` port: the deployment's ``[controller] recipient_contacts``
    first, then the profile (see :func:`recipient_address`)."""

    def __init__(self, profile: ControllerProfile, contacts: Mapping[str, str] | None = None) -> None:
        self._profile = profile
        self._contacts = dict(contacts or {})

    def address_of(self, recipient_id: str) -> str | None:
        return recipient_address(self._profile, recipient_id, self._contacts)
