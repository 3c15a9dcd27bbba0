"""Commands and everything outside the guided steps: /status, /cancel (and withdrawal),
/help, /language, /privacy, unknown commands, stray messages, files, the flood gate and
the error handler (issue 7 §1 and §3)."""

from __future__ import annotations

import logging

from sqlalchemy import Connection
from telegram import Update
from telegram.error import Forbidden
from telegram.ext import ApplicationHandlerStop

from bot import conversation, texts, verification
from bot.limits import Verdict
from bot.services import Context, chat_data, chat_id_of, flow, keyboard, language, save, say, services
from workflows.domain.errors import WorkflowError
from workflows.service_layer import commands as c

log = logging.getLogger(__name__)
_MB = 1024 * 1024


async def gate(update: Update, context: Context) -> None:
    """Group -1: drop a chat's updates beyond the rate limit; say so once per window."""
    chat_id = chat_id_of(update)
    if chat_id is None:
        return
    verdict = services(context).limiter.check(chat_id)
    if verdict is Verdict.ALLOW:
        return
    if verdict is Verdict.WARN:
        log.info("flood: chat %s over the rate limit, ignoring it for a while", chat_id)
        await say(context, chat_id, texts.text(language(update, context), "flood"))
    raise ApplicationHandlerStop


async def status(update: Update, context: Context) -> None:
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


async def cancel(update: Update, context: Context) -> None:
    """Cancel the guided request in progress; otherwise offer to withdraw an open request."""
    chat_id = chat_id_of(update)
    if chat_id is None:
        return
    lang = language(update, context)
    current = flow(context)
    if current is not None and current.get("step") in conversation.INTAKE_STEPS:
        chat_data(context).pop("flow", None)
        await save(context, chat_id)
        await say(context, chat_id, texts.text(lang, "cancel_flow"))
        return
    if current is not None:
        chat_data(context).pop("flow", None)
        await save(context, chat_id)
    svc = services(context)
    open_rows = [r for r in await svc.run(svc.store.chat_requests, chat_id) if not r.closed]
    if not open_rows:
        await say(context, chat_id, texts.text(lang, "cancel_nothing"))
        return
    buttons = [[(f"{r.reference}", f"w:{r.reference}")] for r in open_rows]
    await say(context, chat_id, texts.text(lang, "withdraw_offer"), keyboard(buttons))


async def on_withdraw_button(update: Update, context: Context, reference: str) -> None:
    query = update.callback_query
    chat_id = chat_id_of(update)
    if query is None or chat_id is None:
        return
    await query.answer()
    svc = services(context)
    lang = language(update, context)
    own = await svc.run(svc.store.request, chat_id, reference)
    if own is None:
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


async def help_command(update: Update, context: Context) -> None:
    chat_id = chat_id_of(update)
    if chat_id is not None:
        await say(context, chat_id, _help(update, context))


def _help(update: Update, context: Context) -> str:
    lang = language(update, context)
    message = texts.text(lang, "help")
    url = services(context).privacy_url()
    return message + ("\n\n" + texts.text(lang, "privacy", url=url) if url else "")


async def privacy(update: Update, context: Context) -> None:
    chat_id = chat_id_of(update)
    url = services(context).privacy_url()
    if chat_id is not None:
        lang = language(update, context)
        await say(context, chat_id, texts.text(lang, "privacy", url=url) if url else texts.text(lang, "help"))


async def choose_language(update: Update, context: Context) -> None:
    chat_id = chat_id_of(update)
    if chat_id is None:
        return
    lang = language(update, context)
    buttons = [[(texts.LANGUAGE_NAMES[code], f"l:{code}")] for code in texts.LANGUAGES]
    await say(context, chat_id, texts.text(lang, "language_choose"), keyboard(buttons))


async def on_language_button(update: Update, context: Context, code: str) -> None:
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


async def unknown_command(update: Update, context: Context) -> None:
    chat_id = chat_id_of(update)
    if chat_id is not None:
        lang = language(update, context)
        await say(context, chat_id, texts.text(lang, "unknown_command") + "\n\n" + _help(update, context))


async def on_text(update: Update, context: Context) -> None:
    """Text: a code, an intake answer, free text asking for a right, or a helpful hint."""
    message = update.effective_message
    chat_id = chat_id_of(update)
    if message is None or chat_id is None or message.text is None:
        return
    if await verification.on_code_text(update, context, message.text):
        return
    if await conversation.on_text(update, context, message.text):
        return
    if await conversation.start_from_text(update, context, message.text):
        return
    await stray(update, context)


async def stray(update: Update, context: Context) -> None:
    chat_id = chat_id_of(update)
    if chat_id is None:
        return
    lang = language(update, context)
    key = "use_buttons" if flow(context) is not None else "stray"
    await say(context, chat_id, texts.text(lang, key))


async def on_document(update: Update, context: Context) -> None:
    """A file: refused when too large (before download) or not expected; else to the route."""
    message = update.effective_message
    chat_id = chat_id_of(update)
    if message is None or chat_id is None or message.document is None:
        return
    svc = services(context)
    lang = language(update, context)
    document = message.document
    if document.file_size is not None and document.file_size > svc.max_file_bytes:
        await say(context, chat_id, texts.text(lang, "file_too_big", limit=svc.max_file_bytes // _MB))
        return
    if not verification.expects_document(context):
        await say(context, chat_id, texts.text(lang, "file_unexpected"))
        return
    handle = await document.get_file()
    if handle.file_size is not None and handle.file_size > svc.max_file_bytes:
        await say(context, chat_id, texts.text(lang, "file_too_big", limit=svc.max_file_bytes // _MB))
        return
    data = bytes(await handle.download_as_bytearray())
    await verification.on_signed_document(update, context, data, document.file_name or "document")


async def on_other_media(update: Update, context: Context) -> None:
    """Photos, stickers, voice: not used; a photo of an ID document is never wanted (EDPB ¶¶73-78)."""
    chat_id = chat_id_of(update)
    if chat_id is not None:
        await say(context, chat_id, texts.text(language(update, context), "file_unexpected"))


async def on_callback(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    prefix, _, value = query.data.partition(":")
    routes = {
        "r": conversation.on_rights_button,
        "d": conversation.on_detail_button,
        "c": conversation.on_contact_button,
        "s": conversation.on_summary_button,
        "v": verification.on_route_button,
        "w": on_withdraw_button,
        "l": on_language_button,
    }
    handler = routes.get(prefix)
    if handler is None:
        await query.answer()
        return
    await handler(update, context, value)


async def on_error(update: object, context: Context) -> None:
    """Forbidden: the person blocked the bot; stop writing there, keep their requests."""
    error = context.error
    chat_id = chat_id_of(update) if isinstance(update, Update) else None
    svc = services(context)
    if isinstance(error, Forbidden) and chat_id is not None:
        log.info("chat %s blocked the bot; notifications stop", chat_id)
        await svc.write(
            lambda connection: svc.store.mark_blocked(chat_id, now=svc.engine.clock.now(), connection=connection)
        )
        return
    log.error("bot handler failed: %s", type(error).__name__, exc_info=error)
    if chat_id is not None:
        try:
            lang = language(update, context) if isinstance(update, Update) else texts.DEFAULT_LANGUAGE
            await say(context, chat_id, texts.text(lang, "error"))
        except Exception:
            log.warning("could not tell chat %s about the error", chat_id)
