"""The guided request: rights, the details each right needs, a contact to find the
records by, a summary to confirm, then the request is registered and the reference and
due date given at once (the clock runs from the request, Art. 12(3); EDPB 01/2022 ¶159).

State lives in ``chat_data["flow"]`` and is written through to the database after every
step (bot.persistence), so a restart in the middle of a conversation loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection
from telegram import Update

from bot import texts
from bot.matching import match_rights, parse_contact
from bot.services import Context, chat_data, chat_id_of, flow, keyboard, language, save, say, services
from bot.store import ChatRequest
from bot.verification import offer_verification, verification_flow
from workflows.domain.identity import ClaimedIdentity
from workflows.domain.rights import Channel, Language, Right
from workflows.service_layer import commands as c

RIGHTS_ORDER: tuple[Right, ...] = (
    Right.ACCESS,
    Right.RECTIFICATION,
    Right.ERASURE,
    Right.RESTRICTION,
    Right.PORTABILITY,
    Right.OBJECTION,
    Right.MARKETING_OBJECTION,
    Right.CONSENT_WITHDRAWAL,
)
MARKETING_CHANNELS: tuple[str, ...] = ("email", "sms", "phone", "post")
MAX_DETAIL_CHARS = 1000

# What each right needs to know, and where it goes in ``request.details`` (keys the engine's
# executor reads: "marketing_channels", Art. 21(2); the rest is for staff, in the person's words).
_DETAIL_KEY: Mapping[Right, str] = {
    Right.ACCESS: "access_scope",
    Right.PORTABILITY: "portability_scope",
    Right.ERASURE: "erasure_scope",
    Right.RECTIFICATION: "correction_text",
    Right.RESTRICTION: "restriction_text",
    Right.OBJECTION: "objection_grounds",
    Right.MARKETING_OBJECTION: "marketing_channels",
    Right.CONSENT_WITHDRAWAL: "consents_withdrawn",
}
_ALL_BUTTON: Mapping[Right, str] = {
    Right.ACCESS: "btn.all",
    Right.PORTABILITY: "btn.all",
    Right.ERASURE: "btn.all",
    Right.CONSENT_WITHDRAWAL: "btn.all_consents",
}
INTAKE_STEPS = frozenset({"rights", "details", "contact", "summary"})


def _rights_keyboard(lang: str, chosen: list[str]) -> Any:
    rows = [
        [(("✅ " if r.value in chosen else "") + texts.text(lang, f"right.{r.value}"), f"r:{r.value}")]
        for r in RIGHTS_ORDER
    ]
    rows.append([(texts.text(lang, "btn.continue"), "r:go")])
    return keyboard(rows)


async def start(update: Update, context: Context) -> None:
    """/start: a fresh guided request in the chat's language, with the privacy notice."""
    chat_id = chat_id_of(update)
    if chat_id is None:
        return
    svc = services(context)
    if await svc.run(svc.store.is_blocked, chat_id):  # writing to the bot again means it is unblocked
        await svc.write(lambda connection: svc.store.unblock(chat_id, connection=connection))
    lang = language(update, context)
    chat_data(context)["flow"] = {"step": "rights", "rights": [], "details": {}, "pending": []}
    await save(context, chat_id)
    welcome = texts.text(lang, "welcome")
    url = svc.privacy_url()
    if url:
        welcome += "\n" + texts.text(lang, "privacy", url=url)
    await say(context, chat_id, welcome, _rights_keyboard(lang, []))


async def on_rights_button(update: Update, context: Context, value: str) -> None:
    chat_id = chat_id_of(update)
    current = flow(context)
    query = update.callback_query
    if chat_id is None or query is None:
        return
    lang = language(update, context)
    if current is None or current.get("step") != "rights":
        await query.answer()
        await say(context, chat_id, texts.text(lang, "stray"))
        return
    if value == "go":
        if not current["rights"]:
            await query.answer(texts.text(lang, "rights_none"))
            return
        await query.answer()
        await _begin_details(update, context, chat_id, current)
        return
    if value not in {r.value for r in RIGHTS_ORDER}:
        await query.answer()
        return
    chosen: list[str] = current["rights"]
    if value in chosen:
        chosen.remove(value)
    else:
        chosen.append(value)
    await save(context, chat_id)
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=_rights_keyboard(lang, chosen))


async def start_from_text(update: Update, context: Context, message: str) -> bool:
    """Free text outside a conversation that asks for a right starts one; False if none matched."""
    rights = match_rights(message)
    chat_id = chat_id_of(update)
    if not rights or chat_id is None:
        return False
    language(update, context)
    new_flow: dict[str, Any] = {"step": "rights", "rights": [], "details": {}, "pending": []}
    chat_data(context)["flow"] = new_flow
    await _rights_from_text(update, context, chat_id, new_flow, rights, message)
    return True


async def on_text(update: Update, context: Context, message: str) -> bool:
    """A text message in an intake step; False when the chat is not in one."""
    current = flow(context)
    chat_id = chat_id_of(update)
    if current is None or chat_id is None or current.get("step") not in INTAKE_STEPS:
        return False
    lang = language(update, context)
    step = current["step"]
    if step == "rights":
        rights = match_rights(message)
        if not rights:
            await say(context, chat_id, texts.text(lang, "rights_unclear"), _rights_keyboard(lang, current["rights"]))
            return True
        await _rights_from_text(update, context, chat_id, current, rights, message)
    elif step == "details":
        right = Right(current["pending"][0])
        value: Any = message.strip()[:MAX_DETAIL_CHARS]
        if right is Right.MARKETING_OBJECTION:
            value = [ch for ch in MARKETING_CHANNELS if ch in message.lower()] or message.strip()[:MAX_DETAIL_CHARS]
        await _answer_detail(update, context, chat_id, current, right, value)
    elif step == "contact":
        contact = parse_contact(message)
        if contact is None:
            await say(context, chat_id, texts.text(lang, "contact_invalid"), _skip_keyboard(lang))
            return True
        current["contact"] = {contact[0]: contact[1]}
        await _summary(update, context, chat_id, current)
    else:
        await say(context, chat_id, texts.text(lang, "use_buttons"))
    return True


async def _rights_from_text(
    update: Update, context: Context, chat_id: int, current: dict[str, Any], rights: frozenset[Right], message: str
) -> None:
    current["rights"] = [r.value for r in RIGHTS_ORDER if r in rights]
    current["details"]["own_words"] = message.strip()[:MAX_DETAIL_CHARS]
    await _begin_details(update, context, chat_id, current)


async def _begin_details(update: Update, context: Context, chat_id: int, current: dict[str, Any]) -> None:
    current["pending"] = [r for r in current["rights"] if Right(r) in _DETAIL_KEY]
    await _ask_next(update, context, chat_id, current)


def _skip_keyboard(lang: str) -> Any:
    return keyboard([[(texts.text(lang, "btn.skip"), "c:skip")]])


async def _ask_next(update: Update, context: Context, chat_id: int, current: dict[str, Any]) -> None:
    lang = language(update, context)
    if current["pending"]:
        right = Right(current["pending"][0])
        current["step"] = "details"
        await save(context, chat_id)
        markup = None
        if right is Right.MARKETING_OBJECTION:
            rows = [[(texts.text(lang, f"mkt.{ch}"), f"d:{ch}")] for ch in MARKETING_CHANNELS]
            markup = keyboard([*rows, [(texts.text(lang, "mkt.all"), "d:all")]])
        elif right in _ALL_BUTTON:
            markup = keyboard([[(texts.text(lang, _ALL_BUTTON[right]), "d:all")]])
        await say(context, chat_id, texts.text(lang, f"ask.{right.value}"), markup)
        return
    current["step"] = "contact"
    await save(context, chat_id)
    await say(context, chat_id, texts.text(lang, "ask_contact"), _skip_keyboard(lang))


async def _button_pressed(update: Update, context: Context) -> tuple[dict[str, Any] | None, int] | None:
    """Acknowledge a button press (Telegram shows a spinner until answered); the chat's
    flow in progress and its id, or None for a press that belongs to no chat."""
    query = update.callback_query
    chat_id = chat_id_of(update)
    if query is None or chat_id is None:
        return None
    await query.answer()
    return flow(context), chat_id


async def on_detail_button(update: Update, context: Context, value: str) -> None:
    pressed = await _button_pressed(update, context)
    if pressed is None:
        return
    current, chat_id = pressed
    if current is None or current.get("step") != "details" or not current["pending"]:
        return
    right = Right(current["pending"][0])
    if right is Right.MARKETING_OBJECTION:
        answer: Any = "all" if value == "all" else [value] if value in MARKETING_CHANNELS else None
    else:
        answer = "all" if value == "all" else None
    if answer is None:
        return
    await _answer_detail(update, context, chat_id, current, right, answer)


async def _answer_detail(
    update: Update, context: Context, chat_id: int, current: dict[str, Any], right: Right, value: Any
) -> None:
    if not (right is Right.MARKETING_OBJECTION and value == "all"):  # absent means every channel
        current["details"][_DETAIL_KEY[right]] = value
    current["pending"].pop(0)
    await _ask_next(update, context, chat_id, current)


async def on_contact_button(update: Update, context: Context, value: str) -> None:
    pressed = await _button_pressed(update, context)
    if pressed is None:
        return
    current, chat_id = pressed
    if current is None or current.get("step") != "contact" or value != "skip":
        return
    current["contact"] = {}
    await _summary(update, context, chat_id, current)


def _summary_lines(lang: str, current: Mapping[str, Any]) -> list[str]:
    labels = ", ".join(texts.text(lang, f"right.{r}") for r in current["rights"])
    lines = [texts.text(lang, "summary.rights", value=labels)]
    for key, value in current["details"].items():
        if key == "own_words":
            continue
        shown = ", ".join(texts.text(lang, f"mkt.{v}") for v in value) if key == "marketing_channels" else value
        if shown == "all":
            shown = texts.text(lang, "btn.all")
        lines.append(f"— {shown}")
    contact = current.get("contact") or {}
    if contact:
        lines.append(texts.text(lang, "summary.contact", value=next(iter(contact.values()))))
    return lines


async def _summary(update: Update, context: Context, chat_id: int, current: dict[str, Any]) -> None:
    lang = language(update, context)
    current["step"] = "summary"
    await save(context, chat_id)
    markup = keyboard(
        [
            [(texts.text(lang, "btn.confirm"), "s:ok")],
            [(texts.text(lang, "btn.restart"), "s:restart"), (texts.text(lang, "btn.cancel"), "s:cancel")],
        ]
    )
    await say(context, chat_id, texts.text(lang, "summary", lines="\n".join(_summary_lines(lang, current))), markup)


async def on_summary_button(update: Update, context: Context, value: str) -> None:
    pressed = await _button_pressed(update, context)
    if pressed is None:
        return
    current, chat_id = pressed
    if current is None or current.get("step") != "summary":
        return  # a second tap on "Submit" after the request was registered
    lang = language(update, context)
    if value == "restart":
        await start(update, context)
    elif value == "cancel":
        chat_data(context).pop("flow", None)
        await save(context, chat_id)
        await say(context, chat_id, texts.text(lang, "cancel_flow"))
    elif value == "ok":
        await _register(update, context, chat_id, current, lang)


async def _register(update: Update, context: Context, chat_id: int, current: dict[str, Any], lang: str) -> None:
    """OpenRequest, then the reference and the due date; then proportionate verification."""
    svc = services(context)
    contact = current.get("contact") or {}
    rights = frozenset(Right(r) for r in current["rights"])
    message = update.effective_message
    command = c.OpenRequest(
        channel=Channel.TELEGRAM,
        rights=rights,
        language=Language(lang),
        claimed=ClaimedIdentity(chat_id=str(chat_id), email=contact.get("email"), phone=contact.get("phone")),
        received_at=svc.engine.clock.now(),
        details={**current["details"], "rights_recognised": True},
        incoming_subject="Telegram",
        incoming_text="\n".join(_summary_lines(lang, current)),
        incoming_external_id=f"telegram:{chat_id}:{message.message_id}" if message else None,
        identity_asked_in_conversation=True,  # offer_verification, right below
    )

    tier = svc.engine.required_tier(rights)
    others = {k: v for k, v in chat_data(context).items() if k != "flow"}

    def register(connection: Connection) -> tuple[str, ChatRequest | None, dict[str, Any] | None]:
        # One transaction (the engine joins it): the request, the chat's link to it and the
        # chat's next step, so a crash cannot leave a request the chat does not know about.
        reference: str = svc.engine.handle(command)
        now = svc.engine.clock.now()
        svc.store.link_request(reference, chat_id, now=now, connection=connection)
        row = svc.store.request(chat_id, reference, connection=connection)
        next_flow = verification_flow(reference, tier, row.state if row else "")
        state = {**others, **({"flow": next_flow} if next_flow else {})}
        svc.store.save_conversations({chat_id: state}, now=now, connection=connection)
        return reference, row, next_flow

    reference, row, next_flow = await svc.write(register)
    if next_flow is None:
        chat_data(context).pop("flow", None)
    else:
        chat_data(context)["flow"] = next_flow
    due = texts.latvian_date(row.due_on) if row else ""
    await say(context, chat_id, texts.text(lang, "registered", reference=reference, due=due))
    await offer_verification(update, context, chat_id, reference, tier, next_flow is not None)
