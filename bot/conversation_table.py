"""The chat's state machine: for every step and every kind of input, the handler that
answers it and the steps the chat may be at afterwards. One table, read top to bottom.

The PTB handlers in :mod:`bot.chat_commands` consult it (:func:`dispatch`) for every
command, text, button press and file, after the gate; the handlers it names trust it and
act as if at the steps it routes them from. A route with ``here=False`` is the explicit
"not at this step" answer (a hint, or only stopping Telegram's spinner); it never moves
the chat. After each handler :func:`dispatch` checks that the chat is at one of the
route's declared next steps and logs an error if not, so the table cannot drift from the
code unnoticed. The diagram is in ``bot/README.md``.

Inputs:

- commands: ``/start``, ``/status``, ``/cancel``, ``/help``, ``/language``, ``/privacy``;
  any other command is :data:`ANY`. (``/start`` is registered by ``bot.app`` with
  :func:`bot.conversation.start` itself, the handler this table names for it everywhere.)
- text: any text message that is not a command.
- buttons, by the prefix of their callback data: ``r`` rights, ``d`` details, ``c``
  contact, ``s`` summary, ``v`` identity routes (``v:<route>:<reference>``), ``w`` withdraw,
  ``l`` language; any other prefix is :data:`ANY`.
- file: a document (a signed ``.edoc``/``.asice``/``.pdf``). Photos, stickers and voice are
  refused at every step without the table (``chat_commands.on_other_media``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from telegram import Update

from bot import any_step, conversation, verification
from bot.services import Context
from bot.steps import Step, step_in

log = logging.getLogger(__name__)

Handler = Callable[[Update, Context, str], Awaitable[None]]
"""``(update, context, value)``: the text, the button's value after its prefix, or ``""``."""

ANY = "*"
"""Any command or button prefix not named in the table."""
COMMANDS: tuple[str, ...] = ("start", "status", "cancel", "help", "language", "privacy")
BUTTON_PREFIXES: tuple[str, ...] = ("r", "d", "c", "s", "v", "w", "l")


class InputKind(StrEnum):
    COMMAND = "command"
    TEXT = "text"
    BUTTON = "button"
    FILE = "file"


@dataclass(frozen=True)
class Route:
    handler: Handler
    next: frozenset[Step]
    """Where the chat may be after the handler (the step itself when it may stay)."""
    here: bool = True
    """False: the explicit "not at this step" answer, which never moves the chat."""


@dataclass(frozen=True)
class StepRoutes:
    commands: Mapping[str, Route]
    text: Route
    buttons: Mapping[str, Route]
    file: Route


def _to(handler: Handler, *steps: Step) -> Route:
    return Route(handler, frozenset(steps))


def _not_here(handler: Handler, step: Step) -> Route:
    return Route(handler, frozenset({step}), here=False)


def _step(
    step: Step,
    *,
    text: Route,
    cancel: Route,
    file: Route,
    r: Route,
    d: Route,
    c: Route,
    s: Route,
    v: Route,
) -> StepRoutes:
    """A step's routes: the ones given, and those that mean the same at every step."""
    stay = frozenset({step})
    return StepRoutes(
        commands={
            "start": _to(conversation.start, Step.RIGHTS),  # a fresh draft, whatever came before
            "status": Route(any_step.status, stay),
            "cancel": cancel,
            "help": Route(any_step.help_command, stay),
            "language": Route(any_step.choose_language, stay),
            "privacy": Route(any_step.privacy, stay),
            ANY: Route(any_step.unknown_command, stay, here=False),
        },
        text=text,
        buttons={
            "r": r,
            "d": d,
            "c": c,
            "s": s,
            "v": v,
            "w": Route(any_step.on_withdraw_button, stay),  # withdrawing never moves the conversation
            "l": Route(any_step.on_language_button, stay),
            ANY: Route(any_step.unknown_button, stay, here=False),
        },
        file=file,
    )


IDLE, RIGHTS, DETAILS, CONTACT, SUMMARY = Step.IDLE, Step.RIGHTS, Step.DETAILS, Step.CONTACT, Step.SUMMARY
VERIFY, CODE, DOC = Step.VERIFY, Step.CODE, Step.DOC

# A verification button acts on the chat's current request (or, with none, takes an own
# request up again); its route may send a code, expect a document, end or stay.
_ROUTE_BUTTON = _to(verification.on_route_button, VERIFY, CODE, DOC, IDLE)

TABLE: Mapping[Step, StepRoutes] = {
    IDLE: _step(
        IDLE,
        text=_to(conversation.on_free_text, IDLE, DETAILS, CONTACT),  # text naming a right starts a draft
        cancel=_to(any_step.offer_withdrawal, IDLE),
        file=_not_here(any_step.file_unexpected, IDLE),
        r=_not_here(conversation.stray_rights_button, IDLE),
        d=_not_here(any_step.ignore_button, IDLE),
        c=_not_here(any_step.ignore_button, IDLE),
        s=_not_here(any_step.ignore_button, IDLE),  # e.g. a second tap on "Submit"
        v=_to(verification.on_route_button, IDLE, VERIFY, CODE, DOC),
    ),
    RIGHTS: _step(
        RIGHTS,
        text=_to(conversation.on_rights_text, RIGHTS, DETAILS, CONTACT),
        cancel=_to(conversation.cancel_draft, IDLE),
        file=_not_here(any_step.file_unexpected, RIGHTS),
        r=_to(conversation.on_rights_button, RIGHTS, DETAILS, CONTACT),  # CONTACT: no right needs details
        d=_not_here(any_step.ignore_button, RIGHTS),
        c=_not_here(any_step.ignore_button, RIGHTS),
        s=_not_here(any_step.ignore_button, RIGHTS),
        v=_not_here(verification.refuse_during_draft, RIGHTS),
    ),
    DETAILS: _step(
        DETAILS,
        text=_to(conversation.on_detail_text, DETAILS, CONTACT),
        cancel=_to(conversation.cancel_draft, IDLE),
        file=_not_here(any_step.file_unexpected, DETAILS),
        r=_not_here(conversation.stray_rights_button, DETAILS),
        d=_to(conversation.on_detail_button, DETAILS, CONTACT),
        c=_not_here(any_step.ignore_button, DETAILS),
        s=_not_here(any_step.ignore_button, DETAILS),
        v=_not_here(verification.refuse_during_draft, DETAILS),
    ),
    CONTACT: _step(
        CONTACT,
        text=_to(conversation.on_contact_text, CONTACT, SUMMARY),
        cancel=_to(conversation.cancel_draft, IDLE),
        file=_not_here(any_step.file_unexpected, CONTACT),
        r=_not_here(conversation.stray_rights_button, CONTACT),
        d=_not_here(any_step.ignore_button, CONTACT),
        c=_to(conversation.on_contact_button, CONTACT, SUMMARY),
        s=_not_here(any_step.ignore_button, CONTACT),
        v=_not_here(verification.refuse_during_draft, CONTACT),
    ),
    SUMMARY: _step(
        SUMMARY,
        text=_not_here(conversation.on_summary_text, SUMMARY),  # "use the buttons"
        cancel=_to(conversation.cancel_draft, IDLE),
        file=_not_here(any_step.file_unexpected, SUMMARY),
        r=_not_here(conversation.stray_rights_button, SUMMARY),
        d=_not_here(any_step.ignore_button, SUMMARY),
        c=_not_here(any_step.ignore_button, SUMMARY),
        # ok: registered, then VERIFY (or IDLE when work starts at once); restart; cancel.
        s=_to(conversation.on_summary_button, SUMMARY, VERIFY, IDLE, RIGHTS),
        v=_not_here(verification.refuse_during_draft, SUMMARY),
    ),
    VERIFY: _step(
        VERIFY,
        text=_to(conversation.on_free_text, VERIFY, DETAILS, CONTACT),
        cancel=_to(any_step.offer_withdrawal, IDLE),
        file=_not_here(any_step.file_unexpected, VERIFY),
        r=_not_here(conversation.stray_rights_button, VERIFY),
        d=_not_here(any_step.ignore_button, VERIFY),
        c=_not_here(any_step.ignore_button, VERIFY),
        s=_not_here(any_step.ignore_button, VERIFY),
        v=_ROUTE_BUTTON,
    ),
    CODE: _step(
        CODE,
        text=_to(verification.on_code_text, CODE, VERIFY, IDLE),  # IDLE: verified, or handed to staff
        cancel=_to(any_step.offer_withdrawal, IDLE),
        file=_not_here(any_step.file_unexpected, CODE),
        r=_not_here(conversation.stray_rights_button, CODE),
        d=_not_here(any_step.ignore_button, CODE),
        c=_not_here(any_step.ignore_button, CODE),
        s=_not_here(any_step.ignore_button, CODE),
        v=_ROUTE_BUTTON,
    ),
    DOC: _step(
        DOC,
        text=_to(conversation.on_free_text, DOC, DETAILS, CONTACT),
        cancel=_to(any_step.offer_withdrawal, IDLE),
        file=_to(verification.on_signed_document, DOC, VERIFY, IDLE),
        r=_not_here(conversation.stray_rights_button, DOC),
        d=_not_here(any_step.ignore_button, DOC),
        c=_not_here(any_step.ignore_button, DOC),
        s=_not_here(any_step.ignore_button, DOC),
        v=_ROUTE_BUTTON,
    ),
}


def route(step: Step, kind: InputKind, key: str = "") -> Route:
    """The route for an input at ``step``: ``key`` is the command's name or the button's
    prefix (anything else falls to :data:`ANY`)."""
    routes = TABLE[step]
    if kind is InputKind.COMMAND:
        return routes.commands.get(key, routes.commands[ANY])
    if kind is InputKind.BUTTON:
        return routes.buttons.get(key, routes.buttons[ANY])
    if kind is InputKind.TEXT:
        return routes.text
    return routes.file


async def dispatch(update: Update, context: Context, kind: InputKind, key: str = "", value: str = "") -> None:
    """Answer one input with the route the chat's current step has for it."""
    before = step_in(context.chat_data)
    chosen = route(before, kind, key)
    await chosen.handler(update, context, value)
    after = step_in(context.chat_data)
    if after not in chosen.next:
        log.error("undeclared transition %s -> %s on %s %s", before, after, kind, key or "")
