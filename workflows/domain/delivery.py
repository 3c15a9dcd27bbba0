"""Where a reply goes, and where the copy of someone's data may go.

Art. 12(3): a request made by electronic means is answered electronically where possible,
so replies go back on the channel the person used. A reply that carries the person's data
(the copy of Art. 15(3) and Art. 20, and the access reply itself, which confirms what we hold)
is different: sent to the wrong person it is a personal data breach (Art. 4(12)), and
Art. 32 asks for measures that keep it from happening. Verifying who the data subject is
(Art. 12(6)) proves nothing about the address a copy goes to: the ``From:`` of an e-mail is
typed by the sender, and an impostor who somehow passes the identity check for someone else
would otherwise receive that person's data at her own address.

The rule: a copy goes only to a destination BOUND to the verified person --

* the address the verification itself established (``VerifiedIdentity.email``): the address
  the signed request text names, the address a one-time code proved control of, or the one
  staff wrote down after an identity check at a shop; never an address that only "channel
  control" established, since that is the sender's own claim;
* an e-mail address on file for that person: on the rows the data map finds for the VERIFIED
  identifiers (the customer record, found the same way the export is), passed in as
  ``on_file``;
* an address a staff member confirmed for this request (``details[COPY_DESTINATION_KEY]``).

An e-mail request's copy goes to the sender's address when it is one of those; otherwise it
is HELD (:class:`CopyHeld`): nothing is sent, staff are told in plain words where it would
have gone and which bound addresses they can choose instead, and one staff member confirms a
destination (``ConfirmCopyDestination``): one of the bound addresses offered, or the sender's
after checking it with the person (by phone, at a shop), never an address typed in. No second
approver is needed (the export itself was approved under four-eyes); who chose which address,
and whether it was bound, is recorded in the audit log (``CopyDestinationConfirmed``). Until
then the request stays open with its clock running. A chat request's
copy never goes into the chat: only by e-mail to the verified address (a one-time code
reached it); without one staff hand it over in person. Either way the access reply's wording
(:func:`copy_delivery`) stays true: a held copy leaves later, still attached to the e-mail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workflows.domain.errors import WorkflowError
from workflows.domain.identity import VerificationMethod
from workflows.domain.replies import DeliveryMethod, ReplyKind
from workflows.domain.request import RightsRequest
from workflows.domain.rights import Channel
from workflows.domain.states import State

COPY_DESTINATION_KEY = "copy_destination"
"""``request.details[COPY_DESTINATION_KEY]``: the address staff confirmed for this request's
copies, with who confirmed it and when (``{"address", "confirmed_by", "confirmed_at"}``)."""
HELD_COPIES_KEY = "held_copies"
"""``request.details[HELD_COPIES_KEY]``: replies carrying personal data that wait for a staff
member to confirm their destination (see :func:`held_copies`)."""

Route = tuple[Channel, str]


class CopyDestinationError(WorkflowError):
    """A staff member chose a destination that is not one of the held copy's choices, or no
    copy is waiting."""


@dataclass(frozen=True)
class CopyHeld:
    """The copy is not sent: the sender's address is not bound to the verified person."""

    sender: str
    choices: tuple[str, ...]
    """The addresses bound to the verified person, best first (may be empty)."""

    @property
    def reason(self) -> str:
        """What staff read on the request page (plain words, no personal code; no "; ", which
        separates the reasons in ``RightsRequest.attention``)."""
        instead = (
            f"confirm it or choose {' or '.join(self.choices)}"
            if self.choices
            else ("confirm it only after checking with the person, or hand the copy over in person")
        )
        return (
            f"the copy of the data would go to {self.sender}, which is not an address bound to the"
            f" verified person: {instead}"
        )


def normalise_address(address: str) -> str:
    """Addresses compare without case or surrounding space (as the data map stores them)."""
    return address.strip().lower()


def _unique(addresses: Iterable[str | None]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for address in addresses:
        if address and address.strip() and normalise_address(address) not in seen:
            seen[normalise_address(address)] = address.strip()
    return tuple(seen.values())


OUTCOME_REPLIES_WITH_PERSONAL_DATA = frozenset(
    {ReplyKind.RECTIFICATION_DONE, ReplyKind.ERASURE_DONE, ReplyKind.RESTRICTION_APPLIED}
)
"""Outcome replies that quote the verified person's own data (old and new values, what was
kept and why, which processing is restricted). Sent to an address nobody bound to that person,
they disclose it as surely as the copy would (Art. 4(12)), so by e-mail they follow the same
rule as the copy. In the chat they go to the chat the person verified in."""


def carries_personal_data(request: RightsRequest, kind: ReplyKind, *, has_attachments: bool) -> bool:
    """Whether a reply of ``kind`` must go only to a destination bound to the verified person."""
    if has_attachments or kind is ReplyKind.ACCESS_REPLY:
        return True
    return kind in OUTCOME_REPLIES_WITH_PERSONAL_DATA and request.channel is not Channel.TELEGRAM


def verified_address(request: RightsRequest) -> str | None:
    """The address the identity check established, if any; channel control establishes none
    (its address is the sender's own claim)."""
    verified = request.verified
    if verified is None or verified.method is VerificationMethod.CHANNEL_CONTROL:
        return None
    return verified.email or None


def confirmed_address(request: RightsRequest) -> str | None:
    raw = request.details.get(COPY_DESTINATION_KEY)
    if isinstance(raw, Mapping) and isinstance(raw.get("address"), str) and raw["address"].strip():
        return str(raw["address"]).strip()
    return None


def bound_destinations(request: RightsRequest, on_file: Iterable[str] = ()) -> tuple[str, ...]:
    """Every address bound to the verified person, best first: verified, on file, confirmed."""
    if request.verified is None:
        return ()
    return _unique([verified_address(request), *on_file, confirmed_address(request)])


def reply_route(request: RightsRequest, *, carries_personal_data: bool = False) -> Route | None:
    """``(channel, recipient)`` for a reply, or None when staff must hand it over.

    For a reply carrying personal data this is :func:`copy_route` without addresses on file,
    and a held copy has no route."""
    if carries_personal_data:
        route = copy_route(request)
        return route if isinstance(route, tuple) else None
    if request.channel is Channel.TELEGRAM and request.claimed.chat_id:
        return Channel.TELEGRAM, request.claimed.chat_id
    email = (request.verified.email if request.verified else None) or request.claimed.email
    if email:
        return Channel.EMAIL, email
    return None


def copy_route(request: RightsRequest, on_file: Iterable[str] = ()) -> Route | CopyHeld | None:
    """Where a reply carrying personal data goes (the rule of the module docstring).

    A route, a :class:`CopyHeld` for staff to confirm, or None when only a hand-over in person
    is possible (a chat request without a verified e-mail address)."""
    if request.channel is Channel.TELEGRAM:
        address = verified_address(request)
        return (Channel.EMAIL, address) if address else None
    confirmed = confirmed_address(request)
    if confirmed:
        return Channel.EMAIL, confirmed
    bound = bound_destinations(request, on_file)
    sender = request.claimed.email.strip() if request.claimed.email else None
    if sender and normalise_address(sender) in {normalise_address(b) for b in bound}:
        return Channel.EMAIL, sender
    if sender:
        return CopyHeld(sender, bound)
    return (Channel.EMAIL, bound[0]) if bound else None


def copy_delivery(request: RightsRequest) -> DeliveryMethod:
    """How the copy of the data will reach the person (said in the access reply): by e-mail
    whenever it goes by e-mail at once or after a staff member confirms the address."""
    if request.channel is Channel.TELEGRAM:
        return DeliveryMethod.EMAIL_ATTACHMENT if verified_address(request) else DeliveryMethod.IN_PERSON
    route = copy_route(request)
    if isinstance(route, CopyHeld) or route is not None:
        return DeliveryMethod.EMAIL_ATTACHMENT
    return DeliveryMethod.IN_PERSON


def held_copies(request: RightsRequest) -> list[dict[str, Any]]:
    """The replies waiting for a confirmed destination (JSON: ``message_id``, ``kind``,
    ``subject``, ``text``, ``html``, ``attachments``, ``sender``, ``choices``, ``held_at``)."""
    raw = request.details.get(HELD_COPIES_KEY)
    return [dict(item) for item in raw if isinstance(item, Mapping)] if isinstance(raw, list) else []


def destinations_offered(held: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """What a staff member may confirm for held copies: a bound address offered when a copy
    was held (first), or the sender's address once they have checked it with the person."""
    items = list(held)
    return _unique(
        [
            *(c for item in items for c in item.get("choices", ()) if isinstance(c, str)),
            *(str(item["sender"]) for item in items if isinstance(item.get("sender"), str)),
        ]
    )


def allowed_destinations(request: RightsRequest) -> tuple[str, ...]:
    """The offered addresses, and the verified address if one was established since."""
    return _unique([verified_address(request), *destinations_offered(held_copies(request))])


def choose_destination(request: RightsRequest, address: str) -> str:
    """The held copies' destination staff chose, as offered; raises :class:`CopyDestinationError`."""
    allowed = allowed_destinations(request)
    if not held_copies(request):
        raise CopyDestinationError(
            f"{request.reference} has no copy waiting for a destination", reference=request.reference
        )
    if request.state in (State.REFUSED, State.WITHDRAWN):
        # Nothing is disclosed for a request that was refused or withdrawn (Art. 12(4)).
        raise CopyDestinationError(
            f"{request.reference} is {request.state}: its copy is not sent", reference=request.reference
        )
    for candidate in allowed:
        if normalise_address(candidate) == normalise_address(address):
            return candidate
    raise CopyDestinationError(
        f"choose one of {', '.join(allowed)} for the copy of {request.reference}", reference=request.reference
    )
