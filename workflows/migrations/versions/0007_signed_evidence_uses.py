"""signed evidence used once: the digest of each signature that verified a request

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signed_evidence_uses",
        sa.Column("signature_digest", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=36), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_signed_evidence_uses_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("signature_digest", name=op.f("pk_signed_evidence_uses")),
    )
    with op.batch_alter_table("signed_evidence_uses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signed_evidence_uses_request_id"), ["request_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signed_evidence_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signed_evidence_uses_request_id"))
    op.drop_table("signed_evidence_uses")
