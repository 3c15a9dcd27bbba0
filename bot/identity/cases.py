"""The request a route works on, read for one chat, and the identity facts routes share.

A chat may only verify its own requests: a reference typed in another chat looks exactly
like an unknown one (no way to probe which references exist).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.identity.outcome import Outcome, OutcomeStatus
from workflows.domain.datamap import IdentifierKind, normalise_identifier
from workflows.domain.errors import RequestNotFound
from workflows.domain.identity import ClaimedIdentity, IdentityTier
from workflows.domain.rights import Language
from workflows.domain.states import State

if TYPE_CHECKING:
    from workflows.service_layer.bus import Engine


@dataclass(frozen=True, slots=True)
class CaseView:
    id: str
    reference: str
    state: State
    language: Language
    required_tier: IdentityTier
    verified_tier: IdentityTier
    claimed: ClaimedIdentity

    @property
    def identity_sufficient(self) -> bool:
        return self.verified_tier >= self.required_tier


def load_any_case(engine: Engine, reference: str) -> CaseView | None:
    """The request ``reference`` whatever channel opened it; only for callers that bound the
    visitor to it some other way (the request page's capability, an eID login row)."""
    try:
        with engine.uow() as uow:
            request = uow.requests.get_by_reference(reference.strip())
    except RequestNotFound:
        return None
    return CaseView(
        id=request.id,
        reference=request.reference,
        state=request.state,
        language=request.language,
        required_tier=IdentityTier(int(request.required_tier)),
        verified_tier=request.verified.tier if request.verified else IdentityTier.NONE,
        claimed=request.claimed,
    )


def load_case(engine: Engine, reference: str, chat_id: str | int) -> CaseView | None:
    """The request ``reference`` if it was opened from ``chat_id``; else None."""
    case = load_any_case(engine, reference)
    if case is None or case.claimed.chat_id is None or case.claimed.chat_id != str(chat_id):
        return None
    return case


def gate(case: CaseView | None, reference: str, *, route_tier: IdentityTier) -> Outcome | None:
    """The outcome that stops a route before it starts, or None when it may run."""
    if case is None:
        return Outcome(OutcomeStatus.NOT_FOUND, reference)
    if case.state.is_terminal:
        return Outcome(OutcomeStatus.CLOSED, case.reference)
    if case.identity_sufficient:
        return Outcome(OutcomeStatus.NOT_NEEDED, case.reference)
    if route_tier < case.required_tier:
        return Outcome(OutcomeStatus.INSUFFICIENT_ROUTE, case.reference)
    return None


def personal_code_of(value: str | None) -> str | None:
    """A Latvian personal code in the ``DDMMYY-NNNNN`` form, from a bare code or the ETSI
    EN 319 412-1 clause 5.1.3 semantics identifier ``PNOLV-<code>`` (other countries'
    identifiers are kept as given, upper-cased)."""
    if not value:
        return None
    text = value.strip().upper()
    if text.startswith("PNOLV-"):
        text = text[len("PNOLV-") :]
    elif text.startswith(("PNO", "IDC")) and len(text) > 6 and text[5] == "-":
        return text
    return normalise_identifier(IdentifierKind.PERSONAL_CODE, text)
