"""telegram bot: conversation state, chat requests, blocked chats

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bot_conversations",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_bot_conversations")),
    )
    op.create_table(
        "bot_chat_requests",
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("notified_state", sa.String(length=30), nullable=False),
        sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name=op.f("fk_bot_chat_requests_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_bot_chat_requests")),
    )
    with op.batch_alter_table("bot_chat_requests", schema=None) as batch_op:
        batch_op.create_index("ix_bot_chat_requests_chat_id", ["chat_id"], unique=False)
    op.create_table(
        "bot_blocked_chats",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_bot_blocked_chats")),
    )


def downgrade() -> None:
    op.drop_table("bot_blocked_chats")
    with op.batch_alter_table("bot_chat_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_bot_chat_requests_chat_id")
    op.drop_table("bot_chat_requests")
    op.drop_table("bot_conversations")
