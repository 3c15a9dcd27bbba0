"""The bot's own rows in the project database: conversation state, which requests each
chat made (and the last state it was told about), and chats that blocked the bot.

Synchronous SQLAlchemy Core; the async bot calls it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from workflows.adapters.bot_tables import bot_blocked_chats, bot_chat_requests, bot_conversations
from workflows.adapters.orm import requests

_CLOSED_STATES = ("completed", "refused", "withdrawn")

# The writer's statements, built once with their values as parameters: SQLAlchemy reuses
# the compiled SQL instead of coercing values and hashing a new cache key on every call
# (these run in the single writer thread, where every millisecond queues the next update).
_KNOWN_CHATS = select(bot_conversations.c.chat_id).where(
    bot_conversations.c.chat_id.in_(bindparam("chat_ids", expanding=True))
)
_UPDATE_CONVERSATION = (
    update(bot_conversations)
    .where(bot_conversations.c.chat_id == bindparam("key"))
    .values(data=bindparam("data"), updated_at=bindparam("updated_at"))
)
_INSERT_CONVERSATION = insert(bot_conversations)
_REQUEST_BY_REFERENCE = select(requests.c.id, requests.c.state).where(requests.c.reference == bindparam("reference"))
_INSERT_CHAT_REQUEST = insert(bot_chat_requests)
_CHAT_REQUESTS = (
    select(
        requests.c.reference,
        requests.c.rights,
        requests.c.state,
        requests.c.effective_due_on,
        requests.c.received_at,
        requests.c.closed_at,
    )
    .select_from(bot_chat_requests)
    .join(requests, requests.c.id == bot_chat_requests.c.request_id)
    .where(bot_chat_requests.c.chat_id == bindparam("chat_id"))
)
_CHAT_REQUEST = _CHAT_REQUESTS.where(bot_chat_requests.c.reference == bindparam("reference"))


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One of a chat's requests as /status shows it: no personal data, only the case facts."""

    reference: str
    rights: tuple[str, ...]
    state: str
    due_on: date
    closed: bool


@dataclass(frozen=True, slots=True)
class StateChange:
    """A request whose state moved since its chat was last told."""

    request_id: str
    reference: str
    chat_id: int
    state: str
    language: str


class BotStore:
    """``engine`` writes; ``reader`` (SQLite: DEFERRED transactions) serves the reads, so a
    /status never queues behind a writer for the database lock."""

    def __init__(self, engine: Engine, reader: Engine | None = None) -> None:
        self._engine = engine
        self._reader = reader or engine

    @contextlib.contextmanager
    def _writing(self, connection: Connection | None) -> Iterator[Connection]:
        """The caller's transaction (bot.writer's group commit) or a new one."""
        if connection is not None:
            yield connection
            return
        with self._engine.begin() as own:
            yield own

    # -- conversation state (used by bot.persistence) -------------------------------------
    def load_conversations(self) -> dict[int, dict[str, Any]]:
        with self._reader.connect() as connection:
            rows = connection.execute(select(bot_conversations.c.chat_id, bot_conversations.c.data)).all()
        return {int(r.chat_id): dict(r.data or {}) for r in rows}

    def load_conversation(self, chat_id: int) -> dict[str, Any] | None:
        with self._reader.connect() as connection:
            data = connection.execute(
                select(bot_conversations.c.data).where(bot_conversations.c.chat_id == chat_id)
            ).scalar_one_or_none()
        return None if data is None else dict(data)

    def save_conversation(self, chat_id: int, data: Mapping[str, Any], *, now: datetime) -> None:
        values = {"data": dict(data), "updated_at": now}
        with self._engine.begin() as connection:
            changed = connection.execute(
                update(bot_conversations).where(bot_conversations.c.chat_id == chat_id).values(**values)
            ).rowcount
            if changed:
                return
            try:
                with connection.begin_nested():
                    connection.execute(insert(bot_conversations).values(chat_id=chat_id, **values))
            except IntegrityError:
                # Another process inserted the row between our UPDATE and INSERT: update it.
                connection.execute(
                    update(bot_conversations).where(bot_conversations.c.chat_id == chat_id).values(**values)
                )

    def save_conversations(
        self, batch: Mapping[int, Mapping[str, Any]], *, now: datetime, connection: Connection | None = None
    ) -> None:
        """Several chats' state in one transaction (group commit: one fsync for many chats),
        in three statements whatever the batch size."""
        if not batch:
            return
        with self._writing(connection) as connection:
            known = set(connection.execute(_KNOWN_CHATS, {"chat_ids": list(batch)}).scalars())
            changed = [{"key": k, "data": dict(v), "updated_at": now} for k, v in batch.items() if k in known]
            added = [{"chat_id": k, "data": dict(v), "updated_at": now} for k, v in batch.items() if k not in known]
            if changed:
                connection.execute(_UPDATE_CONVERSATION, changed)
            if added:
                connection.execute(_INSERT_CONVERSATION, added)

    def drop_conversation(self, chat_id: int, *, connection: Connection | None = None) -> None:
        with self._writing(connection) as connection:
            connection.execute(delete(bot_conversations).where(bot_conversations.c.chat_id == chat_id))

    # -- the chat's requests ---------------------------------------------------------------
    def link_request(
        self, reference: str, chat_id: int, *, now: datetime, connection: Connection | None = None
    ) -> None:
        """Remember that ``chat_id`` made ``reference``, as of the state it is in now."""
        with self._writing(connection) as connection:
            row = connection.execute(_REQUEST_BY_REFERENCE, {"reference": reference}).one()
            connection.execute(
                _INSERT_CHAT_REQUEST,
                {
                    "request_id": row.id,
                    "chat_id": chat_id,
                    "reference": reference,
                    "notified_state": row.state,
                    "notified_at": now,
                },
            )

    def chat_requests(self, chat_id: int, *, limit: int = 20) -> list[ChatRequest]:
        """The chat's requests, newest first. Filtered by chat first, sorted here: ordering by
        ``requests.received_at`` in SQL makes SQLite walk every request in the table."""
        return self._chat_requests(chat_id)[:limit]

    def request(self, chat_id: int, reference: str, *, connection: Connection | None = None) -> ChatRequest | None:
        """The chat's own request ``reference``; None for anyone else's (no probing by reference)."""
        found = self._chat_requests(chat_id, reference=reference.strip().upper(), connection=connection)
        return found[0] if found else None

    def _chat_requests(
        self, chat_id: int, *, reference: str | None = None, connection: Connection | None = None
    ) -> list[ChatRequest]:
        query, params = (
            (_CHAT_REQUESTS, {"chat_id": chat_id})
            if reference is None
            else (_CHAT_REQUEST, {"chat_id": chat_id, "reference": reference})
        )
        if connection is not None:
            rows = sorted(connection.execute(query, params), key=lambda r: r.received_at, reverse=True)
        else:
            with self._reader.connect() as own:
                rows = sorted(own.execute(query, params), key=lambda r: r.received_at, reverse=True)
        return [
            ChatRequest(
                reference=r.reference,
                rights=tuple(x for x in r.rights.split(",") if x),
                state=r.state,
                due_on=r.effective_due_on,
                closed=r.closed_at is not None,
            )
            for r in rows
        ]

    def state_changes(self, *, limit: int = 100) -> list[StateChange]:
        """Requests whose state differs from what their (unblocked) chat was last told."""
        blocked = exists().where(bot_blocked_chats.c.chat_id == bot_chat_requests.c.chat_id)
        query = (
            select(
                bot_chat_requests.c.request_id,
                bot_chat_requests.c.reference,
                bot_chat_requests.c.chat_id,
                requests.c.state,
                requests.c.language,
            )
            .join(requests, requests.c.id == bot_chat_requests.c.request_id)
            # A chat told of a closed state has heard the last word: skip those rows.
            .where(bot_chat_requests.c.notified_state.not_in(_CLOSED_STATES))
            .where(requests.c.state != bot_chat_requests.c.notified_state, ~blocked)
            .limit(limit)
        )
        with self._reader.connect() as connection:
            return [
                StateChange(r.request_id, r.reference, int(r.chat_id), r.state, r.language)
                for r in connection.execute(query)
            ]

    def mark_notified(
        self, request_id: str, state: str, *, now: datetime, connection: Connection | None = None
    ) -> None:
        with self._writing(connection) as connection:
            connection.execute(
                update(bot_chat_requests)
                .where(bot_chat_requests.c.request_id == request_id)
                .values(notified_state=state, notified_at=now)
            )

    # -- blocked chats ---------------------------------------------------------------------
    def mark_blocked(self, chat_id: int, *, now: datetime, connection: Connection | None = None) -> None:
        with self._writing(connection) as connection:
            known = select(bot_blocked_chats.c.chat_id).where(bot_blocked_chats.c.chat_id == chat_id)
            if connection.execute(known).first():
                return
            connection.execute(insert(bot_blocked_chats).values(chat_id=chat_id, blocked_at=now))

    def unblock(self, chat_id: int, *, connection: Connection | None = None) -> None:
        with self._writing(connection) as connection:
            connection.execute(delete(bot_blocked_chats).where(bot_blocked_chats.c.chat_id == chat_id))

    def is_blocked(self, chat_id: int) -> bool:
        with self._reader.connect() as connection:
            found = connection.execute(
                select(bot_blocked_chats.c.chat_id).where(bot_blocked_chats.c.chat_id == chat_id)
            ).first()
        return found is not None

    def request_id(self, reference: str, *, connection: Connection | None = None) -> str | None:
        query = select(bot_chat_requests.c.request_id).where(bot_chat_requests.c.reference == reference)
        if connection is not None:
            found: str | None = connection.execute(query).scalar_one_or_none()
            return found
        with self._reader.connect() as own:
            found = own.execute(query).scalar_one_or_none()
        return found
