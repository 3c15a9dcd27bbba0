"""The guided request: rights, the details each right needs, a contact to find the
records by, a summary to confirm, then the request is registered and the reference and
due date given at once (the clock runs from the request, Art. 12(3); EDPB 01/2022 ¶159).

The steps are :class:`bot.steps.Step`; which handler here answers which input at which
step, and where it may lead, is declared in :mod:`bot.conversation_table` (the handlers
trust it: each runs only at the steps the table routes to it). State lives in
``chat_data["flow"]`` as a :class:`bot.steps.Intake` and is written through to the
database after every step (bot.persistence), so a restart in the middle of a conversation
loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection
from telegram import InlineKeyboardMarkup, Update

from bot import texts
from bot.matching import match_rights, parse_contact
from bot.services import Context, chat_data, chat_id_of, keyboard, language, save, say, services
from bot.steps import FLOW_KEY, DetailValue, Intake, Step, Verification, chat_data_to_json, conversation_in
from bot.steps import set_conversation as _set
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


def _draft(context: Context) -> Intake | None:
    current = conversation_in(context.chat_data)
    return current if isinstance(current, Intake) else None


def _rights_keyboard(lang: str, chosen: list[Right]) -> InlineKeyboardMarkup:
    rows = [
        [(("✅ " if r in chosen else "") + texts.text(lang, f"right.{r.value}"), f"r:{r.value}")] for r in RIGHTS_ORDER
    ]
    rows.append([(texts.text(lang, "btn.continue"), "r:go")])
    return keyboard(rows)


async def start(update: Update, context: Context, value: str = "") -> None:
    """/start (and "Start again"): a fresh guided request in the chat's language, with the
    privacy notice."""
    chat_id = chat_id_of(update)
    if chat_id is None:
        return
    svc = services(context)
    if await svc.run(svc.store.is_blocked, chat_id):  # writing to the bot again means it is unblocked
        await svc.write(lambda connection: svc.store.unblock(chat_id, connection=connection))
    lang = language(update, context)
    _set(chat_data(context), Intake(Step.RIGHTS))
    await save(context, chat_id)
    welcome = texts.text(lang, "welcome")
    url = svc.privacy_url()
    if url:
        welcome += "\n" + texts.text(lang, "privacy", url=url)
    await say(context, chat_id, welcome, _rights_keyboard(lang, []))


async def stray_rights_button(update: Update, context: Context, value: str) -> None:
    """A right's button outside the rights step (an old message): say how to start."""
    chat_id = chat_id_of(update)
    query = update.callback_query
    if chat_id is None or query is None:
        return
    await query.answer()
    await say(context, chat_id, texts.text(language(update, context), "stray"))


async def on_rights_button(update: Update, context: Context, value: str) -> None:
    """``r:<right>`` toggles a right, ``r:go`` goes on to the details (rights step)."""
    chat_id = chat_id_of(update)
    current = _draft(context)
    query = update.callback_query
    if chat_id is None or query is None or current is None:
        return
    lang = language(update, context)
    if value == "go":
        if not current.rights:
            await query.answer(texts.text(lang, "rights_none"))
            return
        await query.answer()
        await _begin_details(update, context, chat_id, current)
        return
    if value not in {r.value for r in RIGHTS_ORDER}:
        await query.answer()
        return
    chosen = current.rights
    right = Right(value)
    if right in chosen:
        chosen.remove(right)
    else:
        chosen.append(right)
    await save(context, chat_id)
    await query.answer()
    await query.edit_message_reply_markup(reply_markup=_rights_keyboard(lang, chosen))


async def on_free_text(update: Update, context: Context, message: str) -> None:
    """Text outside the intake steps: a message that asks for a right starts a guided
    request (a new draft, even while another request waits for proof); else a hint."""
    if not await _start_from_text(update, context, message):
        await stray(update, context, message)


async def _start_from_text(update: Update, context: Context, message: str) -> bool:
    """Free text that asks for a right starts a conversation; False if none matched."""
    rights = match_rights(message)
    chat_id = chat_id_of(update)
    if not rights or chat_id is None:
        return False
    language(update, context)
    draft = Intake(Step.RIGHTS)
    _set(chat_data(context), draft)
    await _rights_from_text(update, context, chat_id, draft, rights, message)
    return True


async def stray(update: Update, context: Context, message: str = "") -> None:
    """Input nothing expects: use the buttons (during a conversation) or how to start."""
    chat_id = chat_id_of(update)
    if chat_id is None:
        return
    lang = language(update, context)
    key = "use_buttons" if conversation_in(context.chat_data) is not None else "stray"
    await say(context, chat_id, texts.text(lang, key))


async def on_rights_text(update: Update, context: Context, message: str) -> None:
    """Rights step: rights named in words, or a hint with the rights' buttons again."""
    current = _draft(context)
    chat_id = chat_id_of(update)
    if current is None or chat_id is None:
        return
    rights = match_rights(message)
    if not rights:
        lang = language(update, context)
        await say(context, chat_id, texts.text(lang, "rights_unclear"), _rights_keyboard(lang, current.rights))
        return
    await _rights_from_text(update, context, chat_id, current, rights, message)


async def on_detail_text(update: Update, context: Context, message: str) -> None:
    """Details step: the answer for the right being asked about, in the person's words."""
    current = _draft(context)
    chat_id = chat_id_of(update)
    if current is None or chat_id is None or not current.pending:
        return
    language(update, context)
    right = current.pending[0]
    value: DetailValue = message.strip()[:MAX_DETAIL_CHARS]
    if right is Right.MARKETING_OBJECTION:
        value = [ch for ch in MARKETING_CHANNELS if ch in message.lower()] or message.strip()[:MAX_DETAIL_CHARS]
    await _answer_detail(update, context, chat_id, current, right, value)


async def on_contact_text(update: Update, context: Context, message: str) -> None:
    """Contact step: an e-mail address or phone number, or a hint with "Skip"."""
    current = _draft(context)
    chat_id = chat_id_of(update)
    if current is None or chat_id is None:
        return
    lang = language(update, context)
    contact = parse_contact(message)
    if contact is None:
        await say(context, chat_id, texts.text(lang, "contact_invalid"), _skip_keyboard(lang))
        return
    current.contact = {contact[0]: contact[1]}
    await _summary(update, context, chat_id, current)


async def on_summary_text(update: Update, context: Context, message: str) -> None:
    """Summary step: only the buttons confirm, start again or cancel."""
    chat_id = chat_id_of(update)
    if chat_id is not None:
        await say(context, chat_id, texts.text(language(update, context), "use_buttons"))


async def _rights_from_text(
    update: Update, context: Context, chat_id: int, current: Intake, rights: frozenset[Right], message: str
) -> None:
    current.rights = [r for r in RIGHTS_ORDER if r in rights]
    current.details["own_words"] = message.strip()[:MAX_DETAIL_CHARS]
    await _begin_details(update, context, chat_id, current)


async def _begin_details(update: Update, context: Context, chat_id: int, current: Intake) -> None:
    current.pending = [r for r in current.rights if r in _DETAIL_KEY]
    await _ask_next(update, context, chat_id, current)


def _skip_keyboard(lang: str) -> InlineKeyboardMarkup:
    return keyboard([[(texts.text(lang, "btn.skip"), "c:skip")]])


async def _ask_next(update: Update, context: Context, chat_id: int, current: Intake) -> None:
    lang = language(update, context)
    if current.pending:
        right = current.pending[0]
        current.step = Step.DETAILS
        await save(context, chat_id)
        markup = None
        if right is Right.MARKETING_OBJECTION:
            rows = [[(texts.text(lang, f"mkt.{ch}"), f"d:{ch}")] for ch in MARKETING_CHANNELS]
            markup = keyboard([*rows, [(texts.text(lang, "mkt.all"), "d:all")]])
        elif right in _ALL_BUTTON:
            markup = keyboard([[(texts.text(lang, _ALL_BUTTON[right]), "d:all")]])
        await say(context, chat_id, texts.text(lang, f"ask.{right.value}"), markup)
        return
    current.step = Step.CONTACT
    await save(context, chat_id)
    await say(context, chat_id, texts.text(lang, "ask_contact"), _skip_keyboard(lang))


async def _button_pressed(update: Update, context: Context) -> tuple[Intake | None, int] | None:
    """Acknowledge a button press (Telegram shows a spinner until answered); the chat's
    draft in progress and its id, or None for a press that belongs to no chat."""
    query = update.callback_query
    chat_id = chat_id_of(update)
    if query is None or chat_id is None:
        return None
    await query.answer()
    return _draft(context), chat_id


async def on_detail_button(update: Update, context: Context, value: str) -> None:
    """Details step: ``d:all`` or a marketing channel ``d:<channel>``."""
    pressed = await _button_pressed(update, context)
    if pressed is None:
        return
    current, chat_id = pressed
    if current is None or not current.pending:
        return
    right = current.pending[0]
    answer: DetailValue | None
    if right is Right.MARKETING_OBJECTION:
        answer = "all" if value == "all" else [value] if value in MARKETING_CHANNELS else None
    else:
        answer = "all" if value == "all" else None
    if answer is None:
        return
    await _answer_detail(update, context, chat_id, current, right, answer)


async def _answer_detail(
    update: Update, context: Context, chat_id: int, current: Intake, right: Right, value: DetailValue
) -> None:
    if not (right is Right.MARKETING_OBJECTION and value == "all"):  # absent means every channel
        current.details[_DETAIL_KEY[right]] = value
    current.pending.pop(0)
    await _ask_next(update, context, chat_id, current)


async def on_contact_button(update: Update, context: Context, value: str) -> None:
    """Contact step: ``c:skip``."""
    pressed = await _button_pressed(update, context)
    if pressed is None:
        return
    current, chat_id = pressed
    if current is None or value != "skip":
        return
    current.contact = {}
    await _summary(update, context, chat_id, current)


def _summary_lines(lang: str, current: Intake) -> list[str]:
    labels = ", ".join(texts.text(lang, f"right.{r.value}") for r in current.rights)
    lines = [texts.text(lang, "summary.rights", value=labels)]
    for key, value in current.details.items():
        if key == "own_words":
            continue
        shown = ", ".join(texts.text(lang, f"mkt.{v}") for v in value) if key == "marketing_channels" else value
        if shown == "all":
            shown = texts.text(lang, "btn.all")
        lines.append(f"— {shown}")
    contact = current.contact or {}
    if contact:
        lines.append(texts.text(lang, "summary.contact", value=next(iter(contact.values()))))
    return lines


async def _summary(update: Update, context: Context, chat_id: int, current: Intake) -> None:
    lang = language(update, context)
    current.step = Step.SUMMARY
    await save(context, chat_id)
    markup = keyboard(
        [
            [(texts.text(lang, "btn.confirm"), "s:ok")],
            [(texts.text(lang, "btn.restart"), "s:restart"), (texts.text(lang, "btn.cancel"), "s:cancel")],
        ]
    )
    await say(context, chat_id, texts.text(lang, "summary", lines="\n".join(_summary_lines(lang, current))), markup)


async def on_summary_button(update: Update, context: Context, value: str) -> None:
    """Summary step: ``s:ok`` registers, ``s:restart`` starts again, ``s:cancel`` ends the draft."""
    pressed = await _button_pressed(update, context)
    if pressed is None:
        return
    current, chat_id = pressed
    if current is None:
        return
    lang = language(update, context)
    if value == "restart":
        await start(update, context)
    elif value == "cancel":
        await _drop_draft(context, chat_id, lang)
    elif value == "ok":
        await _register(update, context, chat_id, current, lang)


async def cancel_draft(update: Update, context: Context, value: str = "") -> None:
    """/cancel during the intake steps: the draft ends, nothing was registered."""
    chat_id = chat_id_of(update)
    if chat_id is not None:
        await _drop_draft(context, chat_id, language(update, context))


async def _drop_draft(context: Context, chat_id: int, lang: str) -> None:
    _set(chat_data(context), None)
    await save(context, chat_id)
    await say(context, chat_id, texts.text(lang, "cancel_flow"))


async def _register(update: Update, context: Context, chat_id: int, current: Intake, lang: str) -> None:
    """OpenRequest, then the reference and the due date; then proportionate verification."""
    svc = services(context)
    contact = current.contact or {}
    rights = frozenset(current.rights)
    message = update.effective_message
    command = c.OpenRequest(
        channel=Channel.TELEGRAM,
        rights=rights,
        language=Language(lang),
        claimed=ClaimedIdentity(chat_id=str(chat_id), email=contact.get("email"), phone=contact.get("phone")),
        received_at=svc.engine.clock.now(),
        details={**current.details, "rights_recognised": True},
        incoming_subject="Telegram",
        incoming_text="\n".join(_summary_lines(lang, current)),
        incoming_external_id=f"telegram:{chat_id}:{message.message_id}" if message else None,
        identity_asked_in_conversation=True,  # offer_verification, right below
    )

    tier = svc.engine.required_tier(rights)
    others = {k: v for k, v in chat_data(context).items() if k != FLOW_KEY}

    def register(connection: Connection) -> tuple[str, ChatRequest | None, Verification | None]:
        # One transaction (the engine joins it): the request, the chat's link to it and the
        # chat's next step, so a crash cannot leave a request the chat does not know about.
        reference: str = svc.engine.handle(command)
        now = svc.engine.clock.now()
        svc.store.link_request(reference, chat_id, now=now, connection=connection)
        row = svc.store.request(chat_id, reference, connection=connection)
        next_flow = verification_flow(reference, tier, row.state if row else "")
        state = chat_data_to_json({**others, **({FLOW_KEY: next_flow} if next_flow else {})})
        svc.store.save_conversations({chat_id: state}, now=now, connection=connection)
        return reference, row, next_flow

    reference, row, next_flow = await svc.write(register)
    _set(chat_data(context), next_flow)
    due = texts.latvian_date(row.due_on) if row else ""
    await say(context, chat_id, texts.text(lang, "registered", reference=reference, due=due))
    await offer_verification(update, context, chat_id, reference, tier, next_flow is not None)
