"""PTB persistence backed by the project database (``bot_conversations``), not pickle.

Only ``chat_data`` is kept: the chat's language and the guided request in progress. The
handlers write through before they answer (:func:`save_now`), so a crash or a restart
between two messages loses nothing; PTB's periodic flush is only a back-stop.

Writes are group-committed: saves that arrive while a transaction is on its way to disk
go together in the next one. With ``synchronous=FULL`` a commit costs an fsync (about
5 ms here), so one transaction per update would cap the bot near 150 updates/s.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from concurrent.futures import Executor
from datetime import datetime
from typing import Any

from telegram.ext import Application, BasePersistence, PersistenceInput
from telegram.ext._utils.types import ConversationDict, ConversationKey

from bot.store import BotStore

ChatData = dict[str, Any]


class ConversationWriter:
    """Group commit of chat states: each ``save`` returns once its state is on disk."""

    def __init__(self, store: BotStore, now: Callable[[], datetime], executor: Executor | None = None) -> None:
        self._store = store
        self._now = now
        self.executor = executor
        self._pending: dict[int, ChatData] = {}
        self._waiters: list[asyncio.Future[None]] = []
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    async def save(self, chat_id: int, data: ChatData) -> None:
        # A JSON round trip: a deep copy that also proves the state is storable.
        self._pending[chat_id] = json.loads(json.dumps(data))
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        if self._task is None or self._task.done():
            self._wake = asyncio.Event()
            self._task = asyncio.create_task(self._run(), name="bot-conversation-writer")
        assert self._wake is not None
        self._wake.set()
        await waiter

    async def _run(self) -> None:
        assert self._wake is not None
        loop = asyncio.get_running_loop()
        while True:
            await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, {}
            waiters, self._waiters = self._waiters, []
            try:
                await loop.run_in_executor(self.executor, lambda: self._store.save_conversations(batch, now=self._now()))
            except Exception as error:  # every waiter learns; the handler's error path answers
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_exception(error)
            else:
                for waiter in waiters:
                    if not waiter.done():
                        waiter.set_result(None)

    async def close(self) -> None:
        """Wait for what is queued, then stop the writer task."""
        while self._waiters:
            await asyncio.gather(*self._waiters, return_exceptions=True)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None


class DatabasePersistence(BasePersistence[dict[str, Any], ChatData, dict[str, Any]]):
    """Chat data in the ``bot_conversations`` table; user, bot and callback data are not kept.

    ``refresh_from_database``: re-read a chat's state before each of its updates. Needed
    only when several bot processes share chats (webhook replicas behind a balancer);
    one polling process holds the authoritative state in memory.
    """

    def __init__(
        self,
        store: BotStore,
        now: Callable[[], datetime],
        *,
        executor: Executor | None = None,
        write_executor: Executor | None = None,
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
        self.writer = ConversationWriter(store, now, write_executor)

    async def _in_thread(self, function: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function)

    async def get_chat_data(self) -> dict[int, ChatData]:
        loaded: dict[int, ChatData] = await self._in_thread(self._store.load_conversations)
        return loaded

    async def update_chat_data(self, chat_id: int, data: ChatData) -> None:
        await self.writer.save(chat_id, data)

    async def refresh_chat_data(self, chat_id: int, chat_data: ChatData) -> None:
        if not self._refresh:
            return
        stored = await self._in_thread(lambda: self._store.load_conversation(chat_id))
        if stored is not None:
            chat_data.clear()
            chat_data.update(stored)

    async def drop_chat_data(self, chat_id: int) -> None:
        await asyncio.get_running_loop().run_in_executor(
            self.writer.executor, lambda: self._store.drop_conversation(chat_id)
        )

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
        await persistence.writer.save(chat_id, application.chat_data[chat_id])
    else:
        application.mark_data_for_update_persistence(chat_ids=chat_id)
        await application.update_persistence()
