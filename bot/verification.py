"""Routing a registered request to identity verification in proportion to what it asks
(Art. 12(6); docs/law.md §Identity; the profile's tiers through ``engine.required_tier``).

Tier 1 (marketing objection, consent withdrawal) is never blocked: control of the chat is
enough and the engine starts work at once. Tier 2 offers a one-time code to the contact
on file as well as the strong routes; tier 3 only the strong ones: a qualified signature,
a qualified eID login, or an ID document shown at a shop. The routes themselves are
``bot.identity``'s; this module only offers them and turns their outcomes into words.
Nothing personal is shown in the chat: outcomes carry no names or codes.

Every button names the request it acts on (``v:<route>:<reference>``) and acts only on the
chat's current one: a button of another request, of an earlier conversation or of another
chat is refused, naming the current request (the reference says nothing about the person).

At the code step only something shaped like a code counts (:func:`code_shaped`); other
text gets a hint. "Resend code" asks for a new code within the route's send limits; "I
didn't get it" offers the other routes this installation has. A paused or rate-limited
chat is told when it may try again (Riga time) and offered the other routes.

The steps (``verify``, ``code``, ``doc``: :class:`bot.steps.Verification`) and which input
reaches which handler here are declared in :mod:`bot.conversation_table`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update

from bot import texts
from bot.identity.one_time_code import CodePolicy, code_shaped
from bot.identity.outcome import Outcome, OutcomeStatus
from bot.services import Context, chat_data, chat_id_of, keyboard, language, save, say, services
from bot.steps import INTAKE_STEPS, Intake, Step, Verification, conversation_in, set_conversation
from bot.store import ChatRequest
from workflows.domain.identity import IdentityTier
from workflows.domain.rights import Right
from workflows.domain.states import State

log = logging.getLogger(__name__)

ROUTES: tuple[str, ...] = ("otc", "eid", "doc", "shop")
RESEND = "resend"
NO_CODE = "nocode"
CODE_DIGITS_KEY = "rightsdesk.code_digits"
"""``bot_data`` key: how many digits the installation's codes have (``BotConfig.code_digits``)."""
_MB = 1024 * 1024
_STARTED_STATES = frozenset({State.IN_PROGRESS, State.AWAITING_APPROVAL, State.COMPLETED})
_RIGA = ZoneInfo("Europe/Riga")


def routes_for(tier: IdentityTier, available: Iterable[str]) -> list[str]:
    """The routes strong enough for ``tier`` that this bot can run, weakest first."""
    offered = set(available)
    wanted = ["otc", "eid", "doc", "shop"] if tier <= IdentityTier.CONTACT_ON_FILE else ["eid", "doc", "shop"]
    return [route for route in wanted if route in offered]


def _available(context: Context) -> list[str]:
    hooks = services(context).hooks
    present = {
        "otc": hooks.send_code is not None and hooks.check_code is not None,
        "eid": hooks.start_eid is not None,
        "doc": hooks.check_document is not None,
        "shop": True,  # the shop visit needs nothing but the reference (staff record the check)
    }
    return [route for route, ok in present.items() if ok]


def _routes_keyboard(lang: str, reference: str, routes: list[str], *, code_step: bool = False) -> InlineKeyboardMarkup:
    rows = [[(texts.text(lang, f"route.{r}"), f"v:{r}:{reference}")] for r in routes]
    if code_step:
        rows.insert(0, [(texts.text(lang, "btn.resend_code"), f"v:{RESEND}:{reference}")])
    return keyboard(rows)


def _code_step_keyboard(lang: str, reference: str) -> InlineKeyboardMarkup:
    return keyboard(
        [
            [
                (texts.text(lang, "btn.resend_code"), f"v:{RESEND}:{reference}"),
                (texts.text(lang, "btn.no_code"), f"v:{NO_CODE}:{reference}"),
            ]
        ]
    )


def _other_routes(context: Context, tier: IdentityTier) -> list[str]:
    return [r for r in routes_for(tier, _available(context)) if r != "otc"]


def _when(lang: str, moment: datetime, now: datetime) -> str:
    """A moment as the person reads it: Riga time, with the date unless it is today."""
    local, today = moment.astimezone(_RIGA), now.astimezone(_RIGA).date()
    clock = local.strftime("%H:%M")
    if local.date() == today:
        return texts.text(lang, "when.time", time=clock)
    return texts.text(lang, "when.date_time", date=texts.latvian_date(local.date()), time=clock)


def _code_digits(context: Context) -> int:
    digits = context.application.bot_data.get(CODE_DIGITS_KEY)
    return digits if isinstance(digits, int) and digits > 0 else CodePolicy().digits


def _current(context: Context) -> Verification | None:
    current = conversation_in(context.chat_data)
    return current if isinstance(current, Verification) else None


def _refusal_for_button(context: Context, lang: str, own: ChatRequest | None) -> str | None:
    """Why a verification button may not act, or None when it may.

    It may act only on one of this chat's own requests, and only on the chat's current
    one; with no conversation in progress, a button of an own request takes it up again."""
    current = conversation_in(context.chat_data)
    current_reference = current.reference if isinstance(current, Verification) else None
    if own is not None and (current is None or current_reference == own.reference):
        return None
    if current_reference is not None:
        return texts.text(lang, "button_other_request", reference=current_reference)
    if isinstance(current, Intake) and current.step in INTAKE_STEPS:
        return texts.text(lang, "button_other_request.draft")
    return texts.text(lang, "button_other_request.none")


def verification_flow(reference: str, tier: IdentityTier, state: str) -> Verification | None:
    """The chat's next step after registering: verify, or nothing when work has started
    (tier 1: control of the chat was enough, Art. 21(3), 7(3))."""
    if state in _STARTED_STATES:
        return None
    return Verification(Step.VERIFY, reference, tier)


async def offer_verification(
    update: Update, context: Context, chat_id: int, reference: str, tier: IdentityTier, needed: bool
) -> None:
    """Say which routes the request's tier allows (the step itself is already stored)."""
    lang = language(update, context)
    if not needed:
        await say(context, chat_id, texts.text(lang, "verify_not_needed"))
        return
    routes = routes_for(tier, _available(context))
    await say(context, chat_id, texts.text(lang, "verify_needed"), _routes_keyboard(lang, reference, routes))


async def refuse_during_draft(update: Update, context: Context, value: str) -> None:
    """``v:…`` while a new request is being put together: the draft is the chat's current
    conversation, so no earlier request's button acts (finish or cancel the draft first)."""
    query = update.callback_query
    chat_id = chat_id_of(update)
    if query is None or chat_id is None:
        return
    await query.answer()
    log.info("chat %s pressed a button of a request that is not its current one", chat_id)
    await say(context, chat_id, texts.text(language(update, context), "button_other_request.draft"))


async def on_route_button(update: Update, context: Context, value: str) -> None:
    """``v:<route>:<reference>``: start a route for one of this chat's own requests."""
    query = update.callback_query
    chat_id = chat_id_of(update)
    if query is None or chat_id is None:
        return
    await query.answer()
    route, _, reference = value.partition(":")
    svc = services(context)
    lang = language(update, context)
    own = await svc.run(svc.store.request, chat_id, reference) if reference else None
    refusal = _refusal_for_button(context, lang, own)
    if refusal is not None or own is None:
        log.info("chat %s pressed a button of a request that is not its current one", chat_id)
        await say(context, chat_id, refusal or texts.text(lang, "button_other_request.none"))
        return
    if own.closed:
        await say(context, chat_id, texts.text(lang, "request_closed"))
        return
    if conversation_in(context.chat_data) is None:  # taken up again from an earlier message: now the current one
        tier = svc.engine.required_tier(frozenset(Right(r) for r in own.rights))
        set_conversation(chat_data(context), Verification(Step.VERIFY, own.reference, tier))
    hooks = svc.hooks
    outcome: Outcome | None = None
    if route == NO_CODE:
        await _no_code(context, chat_id, lang, own.reference)
        return
    if route in ("otc", RESEND) and hooks.send_code is not None:
        outcome = await svc.run(hooks.send_code, own.reference, chat_id)
    elif route == "eid" and hooks.start_eid is not None:
        outcome = await svc.run(hooks.start_eid, own.reference, chat_id)
    elif route == "doc" and hooks.check_document is not None:
        set_conversation(chat_data(context), Verification(Step.DOC, own.reference, _tier(context)))
        await save(context, chat_id)
        await say(context, chat_id, texts.text(lang, "doc_prompt"))
        return
    elif route == "shop":
        outcome = (
            await svc.run(hooks.shop_visit, own.reference, chat_id)
            if hooks.shop_visit is not None
            else Outcome(OutcomeStatus.SHOP_VISIT, own.reference)
        )
    if outcome is None:
        await say(context, chat_id, texts.text(lang, "route_unavailable"))
        return
    await answer_outcome(update, context, chat_id, outcome)


async def _no_code(context: Context, chat_id: int, lang: str, reference: str) -> None:
    """ "I didn't get it": where to look, the code again, or another route. The chat stays at
    the code step, so a code that arrives late still works."""
    routes = _other_routes(context, _tier(context))
    markup = _routes_keyboard(lang, reference, routes, code_step=True)
    await say(context, chat_id, texts.text(lang, "no_code_help"), markup)


async def on_code_text(update: Update, context: Context, message: str) -> None:
    """Code step: text while a code is expected.

    Only text shaped like a code is checked (an attempt); anything else gets a hint and
    the code-step buttons, and counts for nothing."""
    current = _current(context)
    chat_id = chat_id_of(update)
    if current is None or chat_id is None:
        return
    lang = language(update, context)
    hooks = services(context).hooks
    if hooks.check_code is None:  # the code step is reached only through the code route
        await say(context, chat_id, texts.text(lang, "route_unavailable"))
        return
    digits = _code_digits(context)
    code = code_shaped(message, digits)
    if code is None:
        hint = texts.text(lang, "code_hint", digits=digits)
        await say(context, chat_id, hint, _code_step_keyboard(lang, current.reference))
        return
    svc = services(context)
    outcome = await svc.run(hooks.check_code, current.reference, chat_id, code)
    await answer_outcome(update, context, chat_id, outcome, checking=True)


async def on_signed_document(update: Update, context: Context, value: str = "") -> None:
    """Doc step: a file is downloaded (within the size limit) and checked by the route.

    The size Telegram announced was checked before (``chat_commands.on_document``); the
    size of the file handle is checked again before downloading."""
    message = update.effective_message
    current = _current(context)
    chat_id = chat_id_of(update)
    svc = services(context)
    hooks = svc.hooks
    if message is None or message.document is None or current is None or chat_id is None:
        return
    if hooks.check_document is None:  # the doc step is entered only when the route exists
        return
    document = message.document
    handle = await document.get_file()
    if handle.file_size is not None and handle.file_size > svc.max_file_bytes:
        lang = language(update, context)
        await say(context, chat_id, texts.text(lang, "file_too_big", limit=svc.max_file_bytes // _MB))
        return
    data = bytes(await handle.download_as_bytearray())
    filename = document.file_name or "document"
    outcome = await svc.run(hooks.check_document, current.reference, chat_id, data, filename)
    await answer_outcome(update, context, chat_id, outcome)


async def answer_outcome(
    update: Update, context: Context, chat_id: int, outcome: Outcome, *, checking: bool = False
) -> None:
    """Say what a route's outcome means, and move the chat to the next step.

    ``checking``: the outcome answers a code typed in (not a press of a route's button)."""
    lang = language(update, context)
    status = outcome.status
    data = chat_data(context)
    reference = outcome.reference
    tier = _tier(context)
    current = _current(context)
    at_code_step = current is not None and current.step is Step.CODE and current.reference == reference
    markup: InlineKeyboardMarkup | None = None
    if status is OutcomeStatus.CODE_SENT:
        set_conversation(data, Verification(Step.CODE, reference, tier))
        message = texts.text(lang, "code_sent.sms" if outcome.channel == "sms" else "code_sent.email")
        if at_code_step:
            message += "\n" + texts.text(lang, "code_new")
        markup = _code_step_keyboard(lang, reference)
    elif status is OutcomeStatus.CODE_WRONG:
        message = texts.text(lang, "code_wrong", left=outcome.attempts_left if outcome.attempts_left is not None else 0)
        markup = _code_step_keyboard(lang, reference)
    elif status in (OutcomeStatus.LOCKED, OutcomeStatus.RATE_LIMITED) and outcome.retry_after is not None:
        # The chat keeps its step: a live code still works once the pause is over.
        now = services(context).engine.clock.now()
        when = _when(lang, outcome.retry_after, now)
        # LOCKED: wrong codes paused this chat; RATE_LIMITED: too many codes typed, or asked for.
        key = {OutcomeStatus.LOCKED: "code_paused"}.get(status, "checks_later" if checking else "code_send_later")
        message = texts.text(lang, key, when=when)
        markup = _routes_keyboard(lang, reference, _other_routes(context, tier))
    elif status is OutcomeStatus.CODE_EXPIRED:
        message = texts.text(lang, "code_expired")
        markup = keyboard([[(texts.text(lang, "btn.new_code"), f"v:otc:{reference}")]])
    elif status is OutcomeStatus.LINK_CREATED and outcome.url:
        message = texts.text(lang, "eid_link", url=outcome.url)
    elif status is OutcomeStatus.SHOP_VISIT:
        places = ", ".join(outcome.places) or texts.text(lang, "shop_any")
        message = texts.text(lang, "shop_visit", places=places, reference=reference)
    elif outcome.verified:
        set_conversation(data, None)
        message = texts.text(lang, "verified")
    elif status is OutcomeStatus.NEEDS_STAFF:
        set_conversation(data, None)
        message = texts.text(lang, "needs_staff")
    elif status is OutcomeStatus.CLOSED:
        set_conversation(data, None)
        message = texts.text(lang, "request_closed")
    else:
        message, markup = _failure(lang, status, reference, context, tier)
        if status is OutcomeStatus.REJECTED and outcome.failure is not None:
            # What exactly to do about this proof (e.g. sign this request's own text, naming us).
            profile = services(context).engine.profile
            message = texts.rejected(
                lang, str(outcome.failure), controller=profile.trade_name or profile.name, reference=reference
            )
        set_conversation(data, Verification(Step.VERIFY, reference, tier))
    await save(context, chat_id)
    log.info("verification outcome %s for %s", status, reference)
    await say(context, chat_id, message, markup)


def _tier(context: Context) -> IdentityTier:
    """The tier the request needs, remembered when verification was offered (strong if unknown)."""
    current = _current(context)
    return current.tier if current is not None else IdentityTier.STRONG


def _failure(
    lang: str, status: OutcomeStatus, reference: str, context: Context, tier: IdentityTier
) -> tuple[str, InlineKeyboardMarkup]:
    key = {
        OutcomeStatus.LOCKED: "code_locked",
        OutcomeStatus.RATE_LIMITED: "rate_limited",
        OutcomeStatus.NO_CONTACT_ON_FILE: "no_contact",
        OutcomeStatus.INSUFFICIENT_ROUTE: "insufficient",
        OutcomeStatus.UNAVAILABLE: "route_unavailable",
    }.get(status, "rejected")
    routes = [
        r
        for r in routes_for(tier, _available(context))
        if not (r == "otc" and status in (OutcomeStatus.LOCKED, OutcomeStatus.NO_CONTACT_ON_FILE))
    ]
    return texts.text(lang, key), _routes_keyboard(lang, reference, routes)
