"""How replies refer to a request."""

from __future__ import annotations

from workflows.domain.replies import RequestSummary
from workflows.domain.request import RightsRequest


def summarise(request: RightsRequest) -> RequestSummary:
    """The request as every reply refers to it."""
    return RequestSummary(
        reference=request.reference,
        rights=tuple(sorted(request.rights)),
        received_on=request.deadline.received_on,
        due_on=request.deadline.due_on,
        language=request.language,
        channel=request.channel,
        extended_due_on=request.deadline.extended_due_on,
        person_name=(request.verified.name if request.verified else None) or request.claimed.name,
    )
