"""Where a reply goes, and how the copy of the data reaches the person.

Art. 12(3): a request made by electronic means is answered electronically where possible,
so replies go back on the channel the person used. A reply that carries the person's data
(the copy of Art. 15(3) and Art. 20) is different: a copy sent to the wrong person is a
breach (Art. 4(12)), so it goes only to an e-mail address the identity check established.
In the chat nobody is shown personal data: a chat request's copy goes by e-mail to the
verified address (a one-time code proved control of it, or the eID/signature carried it),
and without one staff hand it over (LAW.md §Identity; issue 7).
"""

from __future__ import annotations

from workflows.domain.replies import DeliveryMethod
from workflows.domain.request import RightsRequest
from workflows.domain.rights import Channel


def reply_route(request: RightsRequest, *, carries_personal_data: bool = False) -> tuple[Channel, str] | None:
    """``(channel, recipient)`` for a reply, or None when staff must hand it over."""
    verified_email = request.verified.email if request.verified else None
    if request.channel is Channel.TELEGRAM:
        if carries_personal_data:
            return (Channel.EMAIL, verified_email) if verified_email else None
        if request.claimed.chat_id:
            return Channel.TELEGRAM, request.claimed.chat_id
    email = verified_email or request.claimed.email
    if email:
        return Channel.EMAIL, email
    return None


def copy_delivery(request: RightsRequest) -> DeliveryMethod:
    """How the copy of the data will reach the person (said in the access reply)."""
    route = reply_route(request, carries_personal_data=True)
    if route is not None and route[0] is Channel.EMAIL:
        return DeliveryMethod.EMAIL_ATTACHMENT
    return DeliveryMethod.IN_PERSON
