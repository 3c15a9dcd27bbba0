"""chat identity routes: one-time codes, eID logins, throttles

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_codes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("customer_key", sa.String(length=64), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_identity_codes_request_id_requests"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_codes")),
    )
    with op.batch_alter_table("identity_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_codes_request_id"), ["request_id"], unique=False)

    op.create_table(
        "oidc_logins",
        sa.Column("state_digest", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("nonce_digest", sa.String(length=64), nullable=False),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_oidc_logins_request_id_requests"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("state_digest", name=op.f("pk_oidc_logins")),
    )
    with op.batch_alter_table("oidc_logins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oidc_logins_request_id"), ["request_id"], unique=False)

    op.create_table(
        "identity_throttle",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_throttle")),
    )
    with op.batch_alter_table("identity_throttle", schema=None) as batch_op:
        batch_op.create_index("ix_identity_throttle_subject", ["subject", "action", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("identity_throttle", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_throttle_subject")
    op.drop_table("identity_throttle")
    with op.batch_alter_table("oidc_logins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oidc_logins_request_id"))
    op.drop_table("oidc_logins")
    with op.batch_alter_table("identity_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_codes_request_id"))
    op.drop_table("identity_codes")
