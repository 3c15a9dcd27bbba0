"""What the chat answers the same way at every step: /status, /help, /privacy, /language,
unknown commands, withdrawing a request, the language buttons, unexpected files and
buttons that do nothing where they are pressed.

None of these moves the conversation, except that /cancel outside a draft ends the
verification step it was at before offering to withdraw a request (Art. 7(3) for
consent; any request may be withdrawn). :mod:`bot.conversation_table` routes to them.
"""

from __future__ import annotations

import logging

from sqlalchemy import Connection
from telegram import Update

from bot import texts
from bot.services import Context, chat_data, chat_id_of, keyboard, language, save, say, services
from bot.steps import Verification, conversation_in, set_conversation
from workflows.domain.errors import WorkflowError
from workflows.service_layer import commands as c

log = logging.getLogger(__name__)


async def status(update: Update, context: Context, value: str = "") -> None:
    """/status: the chat's requests, their state and due date (no personal data)."""
    chat_id = chat_id_of(update)
    if chat_id is None:
        return
    svc = services(context)
    lang = language(update, context)
    rows = await svc.run(svc.store.chat_requests, chat_id)
    if not rows:
        await say(context, chat_id, texts.text(lang, "status_none"))
        return
    lines = [texts.text(lang, "status_head")]
    for row in rows:
        rights = ", ".join(texts.text(lang, f"right.{r}") for r in row.rights)
        lines.append(
            texts.text(
                lang,
                "status_line",
                reference=row.reference,
                rights=rights,
                state=texts.text(lang, f"state.{row.state}"),
                due=texts.latvian_date(row.due_on),
            )
        )
    await say(context, chat_id, "\n".join(lines))


async def offer_withdrawal(update: Update, context: Context, value: str = "") -> None:
    """/cancel outside a draft: the conversation (a verification step) ends, and each open
    request of the chat is offered for withdrawal (``w:<reference>``)."""
    chat_id = chat_id_of(update)
    if chat_id is None:
        return
    lang = language(update, context)
    if conversation_in(context.chat_data) is not None:
        set_conversation(chat_data(context), None)
        await save(context, chat_id)
    svc = services(context)
    open_rows = [r for r in await svc.run(svc.store.chat_requests, chat_id) if not r.closed]
    if not open_rows:
        await say(context, chat_id, texts.text(lang, "cancel_nothing"))
        return
    buttons = [[(f"{r.reference}", f"w:{r.reference}")] for r in open_rows]
    await say(context, chat_id, texts.text(lang, "withdraw_offer"), keyboard(buttons))


async def on_withdraw_button(update: Update, context: Context, reference: str) -> None:
    """``w:<reference>``: withdraw one of this chat's own requests (anyone else's is refused)."""
    query = update.callback_query
    chat_id = chat_id_of(update)
    if query is None or chat_id is None:
        return
    await query.answer()
    svc = services(context)
    lang = language(update, context)
    own = await svc.run(svc.store.request, chat_id, reference)
    if own is None:  # another chat's request, or none: refused without saying which
        log.info("chat %s pressed a withdrawal button of a request that is not its own", chat_id)
        current = conversation_in(context.chat_data)
        reference_now = current.reference if isinstance(current, Verification) else None
        key = "button_other_request" if reference_now is not None else "button_other_request.none"
        await say(context, chat_id, texts.text(lang, key, reference=reference_now or ""))
        return
    command = c.WithdrawRequest(own.reference, actor=f"telegram:{chat_id}")

    def withdraw(connection: Connection) -> None:
        svc.engine.handle(command)
        request_id = svc.store.request_id(own.reference, connection=connection)
        if request_id is not None:  # the chat is told right now; the notifier need not repeat it
            svc.store.mark_notified(request_id, "withdrawn", now=svc.engine.clock.now(), connection=connection)

    try:
        await svc.write(withdraw)
    except WorkflowError:
        await say(context, chat_id, texts.text(lang, "withdraw_impossible", reference=own.reference))
        return
    await say(context, chat_id, texts.text(lang, "withdrawn", reference=own.reference))


async def help_command(update: Update, context: Context, value: str = "") -> None:
    chat_id = chat_id_of(update)
    if chat_id is not None:
        await say(context, chat_id, _help(update, context))


def _help(update: Update, context: Context) -> str:
    lang = language(update, context)
    message = texts.text(lang, "help")
    url = services(context).privacy_url()
    return message + ("\n\n" + texts.text(lang, "privacy", url=url) if url else "")


async def privacy(update: Update, context: Context, value: str = "") -> None:
    chat_id = chat_id_of(update)
    url = services(context).privacy_url()
    if chat_id is not None:
        lang = language(update, context)
        await say(context, chat_id, texts.text(lang, "privacy", url=url) if url else texts.text(lang, "help"))


async def choose_language(update: Update, context: Context, value: str = "") -> None:
    chat_id = chat_id_of(update)
    if chat_id is None:
        return
    lang = language(update, context)
    buttons = [[(texts.LANGUAGE_NAMES[code], f"l:{code}")] for code in texts.LANGUAGES]
    await say(context, chat_id, texts.text(lang, "language_choose"), keyboard(buttons))


async def on_language_button(update: Update, context: Context, code: str) -> None:
    """``l:<lv|en|ru>``: the chat's language from now on."""
    query = update.callback_query
    chat_id = chat_id_of(update)
    if query is None or chat_id is None:
        return
    await query.answer()
    if code not in texts.LANGUAGES:
        return
    chat_data(context)["lang"] = code
    await save(context, chat_id)
    await say(context, chat_id, texts.text(code, "language_set"))


async def unknown_command(update: Update, context: Context, value: str = "") -> None:
    chat_id = chat_id_of(update)
    if chat_id is not None:
        lang = language(update, context)
        await say(context, chat_id, texts.text(lang, "unknown_command") + "\n\n" + _help(update, context))


async def file_unexpected(update: Update, context: Context, value: str = "") -> None:
    """A file at a step that expects none (only the doc step does)."""
    chat_id = chat_id_of(update)
    if chat_id is not None:
        await say(context, chat_id, texts.text(language(update, context), "file_unexpected"))


async def ignore_button(update: Update, context: Context, value: str) -> None:
    """A step's button pressed at another step (an old message, a second tap on "Submit"):
    Telegram's spinner is stopped and nothing else happens."""
    query = update.callback_query
    if query is not None and chat_id_of(update) is not None:
        await query.answer()


async def unknown_button(update: Update, context: Context, value: str) -> None:
    """A button of no known kind: the spinner is stopped, nothing else."""
    query = update.callback_query
    if query is not None:
        await query.answer()
