"""PTB persistence backed by the project database (``bot_conversations``), not pickle.

Only ``chat_data`` is kept: the chat's language and the guided request in progress. The
handlers write through before they answer (:func:`save_now`), so a crash or a restart
between two messages loses nothing; PTB's periodic flush is only a back-stop.

In memory the conversation is typed (:mod:`bot.steps`); it becomes JSON here, on its way
to the database, and is read back here (a stored conversation that cannot be read is left
out, and the chat starts afresh).

Writes go through :class:`bot.writer.GroupWriter` (group commit with the bot's other writes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from telegram.ext import Application, BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.steps import chat_data_from_json, chat_data_to_json
from bot.store import BotStore
from bot.writer import GroupWriter

ChatData = dict[str, Any]


class DatabasePersistence(BasePersistence[dict[str, Any], ChatData, dict[str, Any]]):
    """Chat data in the ``bot_conversations`` table; user, bot and callback data are not kept.

    ``refresh_from_database``: re-read a chat's state before each of its updates. Needed
    only when several bot processes share chats (webhook replicas behind a balancer);
    one polling process holds the authoritative state in memory.
    """

    def __init__(
        self,
        store: BotStore,
        writer: GroupWriter,
        *,
        executor: Executor | None = None,
        update_interval: float = 60,
        refresh_from_database: bool = False,
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=True, user_data=False, callback_data=False),
            update_interval=update_interval,
        )
        self._store = store
        self._executor = executor
        self._refresh = refresh_from_database
        self.writer = writer

    async def _in_thread(self, function: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function)

    async def get_chat_data(self) -> dict[int, ChatData]:
        loaded: dict[int, ChatData] = await self._in_thread(self._store.load_conversations)
        return {chat_id: chat_data_from_json(stored) for chat_id, stored in loaded.items()}

    async def update_chat_data(self, chat_id: int, data: ChatData) -> None:
        await self.writer.save_state(chat_id, chat_data_to_json(data))

    async def refresh_chat_data(self, chat_id: int, chat_data: ChatData) -> None:
        if not self._refresh:
            return
        stored = await self._in_thread(lambda: self._store.load_conversation(chat_id))
        if stored is not None:
            chat_data.clear()
            chat_data.update(chat_data_from_json(stored))

    async def drop_chat_data(self, chat_id: int) -> None:
        await self.writer.call(lambda connection: self._store.drop_conversation(chat_id, connection=connection))

    async def flush(self) -> None:
        await self.writer.close()

    # Not stored: PTB asks anyway, so answer "nothing".
    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        return {}

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def get_callback_data(self) -> None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        return {}

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        return None

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        return None

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None


async def save_now(application: Application[Any, Any, Any, Any, Any, Any], chat_id: int) -> None:
    """Write this chat's data through to the database before the bot answers."""
    persistence = application.persistence
    if isinstance(persistence, DatabasePersistence):
        await persistence.writer.save_state(chat_id, chat_data_to_json(application.chat_data[chat_id]))
    else:
        application.mark_data_for_update_persistence(chat_ids=chat_id)
        await application.update_persistence()
