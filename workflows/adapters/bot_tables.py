"""Telegram bot tables (SQLAlchemy Core), registered on :data:`workflows.adapters.orm.metadata`.

- ``bot_conversations``: each chat's conversation state (language, the step of the guided
  request, the answers so far), written by the bot's PTB persistence after every step so a
  restart loses nothing. It holds what the person typed until the request is registered;
  the finished request itself lives in ``requests`` (Art. 5(1)(c): the flow is cleared then).
- ``bot_chat_requests``: which requests a chat made, and the last state the chat was told
  about, so the notifier reports every change of state exactly once.
- ``bot_blocked_chats``: chats whose user blocked the bot (Telegram answered 403): nothing
  more is sent there; the requests themselves go on (a blocked bot is not a withdrawal).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, String, Table

from workflows.adapters.orm import Id, UtcDateTime, metadata

bot_conversations = Table(
    "bot_conversations",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("data", JSON, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

bot_chat_requests = Table(
    "bot_chat_requests",
    metadata,
    Column("request_id", Id, ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("reference", String(32), nullable=False),
    Column("notified_state", String(30), nullable=False),
    Column("notified_at", UtcDateTime, nullable=False),
    Index("ix_bot_chat_requests_chat_id", "chat_id"),
)

bot_blocked_chats = Table(
    "bot_blocked_chats",
    metadata,
    Column("chat_id", BigInteger, primary_key=True, autoincrement=False),
    Column("blocked_at", UtcDateTime, nullable=False),
)
