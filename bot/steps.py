"""The chat's conversation state: which step it is at, and what that step remembers.

Kept in ``chat_data["flow"]`` as an :class:`Intake` (choosing rights and details, before
the request exists) or a :class:`Verification` (a registered request waiting for proof of
identity); no conversation means :attr:`Step.IDLE`. The transitions between the steps are
declared in :mod:`bot.conversation_table`.

Stored as JSON in ``bot_conversations`` (bot.persistence converts at the edge). The step
values are the strings stored since the chat's first release, so a conversation saved
before a restart resumes where it was. A stored conversation this code cannot read (an
unknown step, a missing reference) is dropped, never guessed at: the chat then behaves as
with no conversation, and every request the chat made stays linked to it (``bot_chat_requests``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from workflows.domain.identity import IdentityTier
from workflows.domain.rights import Right

log = logging.getLogger(__name__)

FLOW_KEY = "flow"
"""``chat_data`` key of the conversation in progress (stored under this name since the start)."""


class Step(StrEnum):
    """Where a chat is. The values are stored: never rename one."""

    IDLE = "idle"
    """No conversation in progress (never stored: the conversation is absent)."""
    RIGHTS = "rights"
    """Choosing the rights (buttons ``r:<right>``, ``r:go``) or naming them in words."""
    DETAILS = "details"
    """Answering what each chosen right needs, one right at a time (``d:…`` or text)."""
    CONTACT = "contact"
    """An e-mail or phone number to find the records by, or ``c:skip``."""
    SUMMARY = "summary"
    """Confirming (``s:ok``), starting again (``s:restart``) or cancelling (``s:cancel``)."""
    VERIFY = "verify"
    """A registered request whose identity routes are offered (``v:<route>:<reference>``)."""
    CODE = "code"
    """A one-time code was sent; the chat types it in."""
    DOC = "doc"
    """A signed document is expected as a file."""


INTAKE_STEPS = frozenset({Step.RIGHTS, Step.DETAILS, Step.CONTACT, Step.SUMMARY})
VERIFICATION_STEPS = frozenset({Step.VERIFY, Step.CODE, Step.DOC})

DetailValue = str | list[str]
"""A detail in the person's words, or the marketing channels chosen (``["email", "sms"]``)."""


@dataclass
class Intake:
    """A request being put together; nothing is registered yet."""

    step: Step = Step.RIGHTS
    rights: list[Right] = field(default_factory=list)
    """Chosen so far, in the order chosen (or in the rights' order when named in words)."""
    details: dict[str, DetailValue] = field(default_factory=dict)
    """What the request says, under the keys ``request.details`` uses."""
    pending: list[Right] = field(default_factory=list)
    """Rights whose detail is still to be asked, the one being asked first."""
    contact: dict[str, str] | None = None
    """``{"email": …}`` or ``{"phone": …}``; ``{}`` when skipped; None before the contact step."""

    def to_json(self) -> dict[str, Any]:
        stored: dict[str, Any] = {
            "step": self.step.value,
            "rights": [r.value for r in self.rights],
            "details": dict(self.details),
            "pending": [r.value for r in self.pending],
        }
        if self.contact is not None:
            stored["contact"] = dict(self.contact)
        return stored


@dataclass
class Verification:
    """A registered request of this chat waiting for proof of identity: the chat's current one."""

    step: Step
    reference: str
    tier: IdentityTier = IdentityTier.STRONG
    """What the request needs (remembered when the routes were offered; strong if unknown)."""

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step.value, "reference": self.reference, "tier": int(self.tier)}


Conversation = Intake | Verification


def from_json(stored: object) -> Conversation | None:
    """The conversation stored as ``stored``; None for one this code cannot read."""
    if not isinstance(stored, Mapping):
        return None
    try:
        step = Step(str(stored.get("step")))
        if step in INTAKE_STEPS:
            return _intake(step, stored)
        if step in VERIFICATION_STEPS:
            return _verification(step, stored)
    except (TypeError, ValueError):
        pass
    log.warning("a stored conversation could not be read; the chat starts afresh")
    return None


def _intake(step: Step, stored: Mapping[str, Any]) -> Intake:
    details = stored.get("details", {})
    contact = stored.get("contact")
    if not isinstance(details, Mapping) or not (contact is None or isinstance(contact, Mapping)):
        raise TypeError("details and contact are objects")
    for value in details.values():
        if not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
            raise TypeError("a detail is text or a list of channels")
    return Intake(
        step=step,
        rights=[Right(r) for r in _strings(stored.get("rights", []))],
        details={str(k): v for k, v in details.items()},
        pending=[Right(r) for r in _strings(stored.get("pending", []))],
        contact=None if contact is None else {str(k): str(v) for k, v in contact.items()},
    )


def _verification(step: Step, stored: Mapping[str, Any]) -> Verification:
    reference = stored.get("reference")
    tier = stored.get("tier", int(IdentityTier.STRONG))
    if not isinstance(reference, str) or not reference or isinstance(tier, bool) or not isinstance(tier, int):
        raise TypeError("a verification step names its request and its tier")
    return Verification(step=step, reference=reference, tier=IdentityTier(tier))


def _strings(values: object) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TypeError("a list of strings")
    return list(values)


# -- chat_data <-> the stored row -------------------------------------------------------------
def conversation_in(data: Mapping[str, Any] | None) -> Conversation | None:
    """The conversation in progress in a chat's ``chat_data`` (None: none, or no chat)."""
    if data is None:
        return None
    current = data.get(FLOW_KEY)
    return current if isinstance(current, Intake | Verification) else None


def step_in(data: Mapping[str, Any] | None) -> Step:
    current = conversation_in(data)
    return Step.IDLE if current is None else current.step


def set_conversation(data: MutableMapping[str, Any], conversation: Conversation | None) -> None:
    """Make ``conversation`` the chat's current one (None: end it)."""
    if conversation is None:
        data.pop(FLOW_KEY, None)
    else:
        data[FLOW_KEY] = conversation


def chat_data_to_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """A chat's ``chat_data`` as stored: the conversation as its JSON, the rest as it is."""
    stored = dict(data)
    current = conversation_in(data)
    if current is not None:
        stored[FLOW_KEY] = current.to_json()
    return stored


def chat_data_from_json(stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row as ``chat_data``: the conversation typed, or left out if unreadable."""
    data = dict(stored)
    if FLOW_KEY in data:
        current = from_json(data.pop(FLOW_KEY))
        if current is not None:
            data[FLOW_KEY] = current
    return data
