"""eID logins without a chat, and pushed when opened

``oidc_logins.chat_id`` becomes nullable: the web page for e-mail requesters starts the same
OpenID Connect login with no chat; such a login is bound to the request alone and its
callback only shows the confirmation page. ``start_digest``: the digest of the link's token
for a login whose parameters are pushed to the provider (RFC 9126) only when the link is
opened, since a pushed request expires within a minute or so.

Revision ID: 0011
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("oidc_logins", schema=None) as batch_op:
        batch_op.alter_column("chat_id", existing_type=sa.String(length=64), nullable=True)
        batch_op.add_column(sa.Column("start_digest", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_oidc_logins_start_digest", ["start_digest"], unique=True)


def downgrade() -> None:
    # Web logins have no chat to go back to; they are short-lived, so drop them.
    op.execute("DELETE FROM oidc_logins WHERE chat_id IS NULL")
    with op.batch_alter_table("oidc_logins", schema=None) as batch_op:
        batch_op.drop_index("ix_oidc_logins_start_digest")
        batch_op.drop_column("start_digest")
        batch_op.alter_column("chat_id", existing_type=sa.String(length=64), nullable=False)
