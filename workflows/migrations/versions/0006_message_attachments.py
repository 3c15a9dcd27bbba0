"""attachments on messages and outbox rows: the copy of the data goes out with the reply

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("messages", "outbox"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("attachments", sa.JSON(), nullable=True))


def downgrade() -> None:
    for table in ("outbox", "messages"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("attachments")
