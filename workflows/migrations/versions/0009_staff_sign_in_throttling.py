"""staff sign-in throttling: attempts by browser, and recognised staff browsers

Sign-in attempts now record the browser's device token digest (when it showed one issued to
that account), so an owner's browser is throttled on its own failures and not on an
attacker's; ``staff_devices`` holds the digests of those tokens.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_devices",
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["username"],
            ["staff_users.username"],
            name=op.f("fk_staff_devices_username_staff_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_digest", name=op.f("pk_staff_devices")),
    )
    with op.batch_alter_table("staff_devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_devices_username"), ["username"], unique=False)
    with op.batch_alter_table("staff_login_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("device", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_staff_login_attempts_device_at", ["device", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_login_attempts", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_login_attempts_device_at")
        batch_op.drop_column("device")
    with op.batch_alter_table("staff_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_devices_username"))
    op.drop_table("staff_devices")
