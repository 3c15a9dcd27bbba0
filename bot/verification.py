"""Routing a registered request to identity verification in proportion to what it asks
(Art. 12(6); LAW.md §Identity; the profile's tiers through ``engine.required_tier``).

Tier 1 (marketing objection, consent withdrawal) is never blocked: control of the chat is
enough and the engine starts work at once. Tier 2 offers a one-time code to the contact
on file as well as the strong routes; tier 3 only the strong ones: a qualified signature,
a qualified eID login, or an ID document shown at a shop. The routes themselves are
``bot.identity``'s; this module only offers them and turns their outcomes into words.
Nothing personal is shown in the chat: outcomes carry no names or codes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from telegram import Update

from bot import texts
from bot.identity.outcome import Outcome, OutcomeStatus
from bot.services import Context, chat_data, chat_id_of, flow, keyboard, language, save, say, services
from workflows.domain.identity import IdentityTier
from workflows.domain.states import State

log = logging.getLogger(__name__)

ROUTES: tuple[str, ...] = ("otc", "eid", "doc", "shop")
_STARTED_STATES = frozenset({State.IN_PROGRESS, State.AWAITING_APPROVAL, State.COMPLETED})


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


def _routes_keyboard(lang: str, reference: str, routes: list[str]) -> Any:
    return keyboard([[(texts.text(lang, f"route.{r}"), f"v:{r}:{reference}")] for r in routes])


def verification_flow(reference: str, tier: IdentityTier, state: str) -> dict[str, Any] | None:
    """The chat's next step after registering: verify, or nothing when work has started
    (tier 1: control of the chat was enough, Art. 21(3), 7(3))."""
    if state in _STARTED_STATES:
        return None
    return {"step": "verify", "reference": reference, "tier": int(tier)}


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
    own = await svc.run(svc.store.request, chat_id, reference)
    if own is None:
        return
    if own.closed:
        await say(context, chat_id, texts.text(lang, "request_closed"))
        return
    hooks = svc.hooks
    outcome: Outcome | None = None
    if route == "otc" and hooks.send_code is not None:
        outcome = await svc.run(hooks.send_code, own.reference, chat_id)
    elif route == "eid" and hooks.start_eid is not None:
        outcome = await svc.run(hooks.start_eid, own.reference, chat_id)
    elif route == "doc" and hooks.check_document is not None:
        chat_data(context)["flow"] = {"step": "doc", "reference": own.reference, "tier": _tier(context)}
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


async def on_code_text(update: Update, context: Context, message: str) -> bool:
    """Digits typed while a code is expected; False when the chat is not waiting for one."""
    current = flow(context)
    chat_id = chat_id_of(update)
    hooks = services(context).hooks
    if current is None or chat_id is None or current.get("step") != "code" or hooks.check_code is None:
        return False
    code = "".join(ch for ch in message if ch.isdigit())
    svc = services(context)
    outcome = await svc.run(hooks.check_code, current["reference"], chat_id, code)
    await answer_outcome(update, context, chat_id, outcome)
    return True


async def on_signed_document(update: Update, context: Context, data: bytes, filename: str) -> bool:
    """A downloaded file while a signed document is expected; False when it is not."""
    current = flow(context)
    chat_id = chat_id_of(update)
    hooks = services(context).hooks
    if current is None or chat_id is None or current.get("step") != "doc" or hooks.check_document is None:
        return False
    svc = services(context)
    outcome = await svc.run(hooks.check_document, current["reference"], chat_id, data, filename)
    await answer_outcome(update, context, chat_id, outcome)
    return True


def expects_document(context: Context) -> bool:
    current = flow(context)
    return current is not None and current.get("step") == "doc"


async def answer_outcome(update: Update, context: Context, chat_id: int, outcome: Outcome) -> None:
    """Say what a route's outcome means, and move the chat to the next step."""
    lang = language(update, context)
    status = outcome.status
    data = chat_data(context)
    reference = outcome.reference
    tier = _tier(context)
    markup = None
    if status is OutcomeStatus.CODE_SENT:
        data["flow"] = {"step": "code", "reference": reference, "tier": tier}
        message = texts.text(lang, "code_sent.sms" if outcome.channel == "sms" else "code_sent.email")
    elif status is OutcomeStatus.CODE_WRONG:
        message = texts.text(lang, "code_wrong", left=outcome.attempts_left if outcome.attempts_left is not None else 0)
    elif status is OutcomeStatus.CODE_EXPIRED:
        message = texts.text(lang, "code_expired")
        markup = keyboard([[(texts.text(lang, "btn.new_code"), f"v:otc:{reference}")]])
    elif status is OutcomeStatus.LINK_CREATED and outcome.url:
        message = texts.text(lang, "eid_link", url=outcome.url)
    elif status is OutcomeStatus.SHOP_VISIT:
        places = ", ".join(outcome.places) or texts.text(lang, "shop_any")
        message = texts.text(lang, "shop_visit", places=places, reference=reference)
    elif outcome.verified:
        data.pop("flow", None)
        message = texts.text(lang, "verified")
    elif status is OutcomeStatus.NEEDS_STAFF:
        data.pop("flow", None)
        message = texts.text(lang, "needs_staff")
    elif status is OutcomeStatus.CLOSED:
        data.pop("flow", None)
        message = texts.text(lang, "request_closed")
    else:
        message, markup = _failure(lang, status, reference, context, tier)
        data["flow"] = {"step": "verify", "reference": reference, "tier": tier}
    await save(context, chat_id)
    log.info("verification outcome %s for %s", status, reference)
    await say(context, chat_id, message, markup)


def _tier(context: Context) -> int:
    """The tier the request needs, remembered when verification was offered (strong if unknown)."""
    current = flow(context) or {}
    return int(current.get("tier", int(IdentityTier.STRONG)))


def _failure(lang: str, status: OutcomeStatus, reference: str, context: Context, tier: int) -> tuple[str, Any]:
    key = {
        OutcomeStatus.LOCKED: "code_locked",
        OutcomeStatus.RATE_LIMITED: "rate_limited",
        OutcomeStatus.NO_CONTACT_ON_FILE: "no_contact",
        OutcomeStatus.INSUFFICIENT_ROUTE: "insufficient",
        OutcomeStatus.UNAVAILABLE: "route_unavailable",
    }.get(status, "rejected")
    routes = [
        r
        for r in routes_for(IdentityTier(tier), _available(context))
        if not (r == "otc" and status in (OutcomeStatus.LOCKED, OutcomeStatus.NO_CONTACT_ON_FILE))
    ]
    return texts.text(lang, key), _routes_keyboard(lang, reference, routes)
