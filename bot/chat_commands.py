"""The PTB handlers: the gate, then every command, text, button press and file goes to
the handler :mod:`bot.conversation_table` names for the chat's step; and the error handler.

The gate lets only private chats through. A request about someone's personal data is made
by that person, so it is made where only she and the bot read it: a group, supergroup or
channel (where every member reads what the bot says) gets one polite message, once per
chat, in Latvian, English and Russian, pointing to a private chat, and nothing of any
request: no request opened, nothing echoed, no buttons (Art. 5(1)(f) and 32: confidentiality;
Art. 12(1): the information goes to the data subject). Commands, text, files, button presses
on the bot's messages in a group and channel posts all stop at the gate.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop

from bot import texts
from bot.conversation_table import ANY, InputKind, dispatch
from bot.limits import Verdict
from bot.services import Context, chat_id_of, language, save, say, services

log = logging.getLogger(__name__)
_MB = 1024 * 1024
SHARED_CHAT_TOLD = "shared_chat_told"
"""``chat_data`` key of a group or channel: when it was told that the bot works only in private."""


async def gate(update: Update, context: Context) -> None:
    """Group -1: only private chats pass; then drop a chat's updates beyond the rate limit
    and say so once per window."""
    chat = update.effective_chat
    if chat is None:
        return
    if chat.type != ChatType.PRIVATE:
        await _refuse_shared_chat(update, context, chat.id)
        raise ApplicationHandlerStop
    chat_id = chat.id
    verdict = services(context).limiter.check(chat_id)
    if verdict is Verdict.ALLOW:
        return
    if verdict is Verdict.WARN:
        log.info("flood: chat %s over the rate limit, ignoring it for a while", chat_id)
        await say(context, chat_id, texts.text(language(update, context), "flood"))
    raise ApplicationHandlerStop


async def _refuse_shared_chat(update: Update, context: Context, chat_id: int) -> None:
    """One polite message per group or channel, and nothing else (see the module docstring).

    Remembered in the chat's stored data before it is sent, so neither a flood of messages
    nor a restart makes the bot say it twice: the bot cannot be used to spam a group. Any
    conversation stored for the chat before (an older bot answered groups) is dropped."""
    query = update.callback_query
    if query is not None:  # the toast is shown to the person who pressed, not to the group
        user = update.effective_user
        toast = texts.text(texts.pick_language(user.language_code if user else None), "private_only.button")
        with contextlib.suppress(TelegramError):
            await query.answer(toast)
    membership = update.my_chat_member
    if membership is not None and membership.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        return  # the bot was removed: nothing can be said there, and it may be added again later
    data = context.chat_data
    if data is None or data.get(SHARED_CHAT_TOLD):
        return
    data.clear()
    data[SHARED_CHAT_TOLD] = services(context).engine.clock.now().isoformat()
    await save(context, chat_id)
    log.info("chat %s is not private: told once that the bot works only in private chats", chat_id)
    try:
        link = f"https://t.me/{context.bot.username}"
    except RuntimeError:  # the bot's own name is not known before getMe
        link = "Telegram"
    message = "\n\n".join(texts.text(lang, "private_only", link=link) for lang in texts.LANGUAGES)
    try:
        await say(context, chat_id, message)
    except TelegramError as error:  # e.g. a channel where the bot may not post: stay silent
        log.info("could not tell chat %s that the bot works only in private: %s", chat_id, type(error).__name__)


async def status(update: Update, context: Context) -> None:
    await dispatch(update, context, InputKind.COMMAND, "status")


async def cancel(update: Update, context: Context) -> None:
    """Cancel the guided request in progress; otherwise offer to withdraw an open request."""
    await dispatch(update, context, InputKind.COMMAND, "cancel")


async def help_command(update: Update, context: Context) -> None:
    await dispatch(update, context, InputKind.COMMAND, "help")


async def privacy(update: Update, context: Context) -> None:
    await dispatch(update, context, InputKind.COMMAND, "privacy")


async def choose_language(update: Update, context: Context) -> None:
    await dispatch(update, context, InputKind.COMMAND, "language")


async def unknown_command(update: Update, context: Context) -> None:
    await dispatch(update, context, InputKind.COMMAND, ANY)


async def on_text(update: Update, context: Context) -> None:
    """Text: a code, an intake answer, free text asking for a right, or a helpful hint."""
    message = update.effective_message
    chat_id = chat_id_of(update)
    if message is None or chat_id is None or message.text is None:
        return
    await dispatch(update, context, InputKind.TEXT, value=message.text)


async def on_document(update: Update, context: Context) -> None:
    """A file: refused when too large (before download, whatever the step); else as the
    step says (only the doc step downloads and checks it)."""
    message = update.effective_message
    chat_id = chat_id_of(update)
    if message is None or chat_id is None or message.document is None:
        return
    svc = services(context)
    document = message.document
    if document.file_size is not None and document.file_size > svc.max_file_bytes:
        lang = language(update, context)
        await say(context, chat_id, texts.text(lang, "file_too_big", limit=svc.max_file_bytes // _MB))
        return
    await dispatch(update, context, InputKind.FILE)


async def on_other_media(update: Update, context: Context) -> None:
    """Photos, stickers, voice: not used; a photo of an ID document is never wanted (EDPB ¶¶73-78)."""
    chat_id = chat_id_of(update)
    if chat_id is not None:
        await say(context, chat_id, texts.text(language(update, context), "file_unexpected"))


async def on_callback(update: Update, context: Context) -> None:
    """A button press: routed by its prefix (``r:``, ``d:``, ``c:``, ``s:``, ``v:``, ``w:``, ``l:``)."""
    query = update.callback_query
    if query is None or query.data is None:
        return
    prefix, _, value = query.data.partition(":")
    await dispatch(update, context, InputKind.BUTTON, prefix, value)


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
