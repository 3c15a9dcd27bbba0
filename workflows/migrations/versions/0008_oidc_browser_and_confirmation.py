"""eID logins bound to the starting browser and confirmed by the person before recording

``oidc_logins.browser_digest``: SHA-256 of the random cookie the web page set in the browser
that started a web login; the callback refuses a web login arriving in another browser (a
forwarded provider link). ``confirm_digest`` / ``confirm_expires_at`` / ``pending_claims``:
a verified login is not recorded at the callback; the claims wait here, keyed by the SHA-256
of the single-use token of the "Is this your request?" form, for a few minutes, and are
cleared when answered or expired.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("oidc_logins", schema=None) as batch_op:
        batch_op.add_column(sa.Column("browser_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("confirm_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("confirm_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("pending_claims", sa.Text(), nullable=True))
        batch_op.create_index("ix_oidc_logins_confirm_digest", ["confirm_digest"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("oidc_logins", schema=None) as batch_op:
        batch_op.drop_index("ix_oidc_logins_confirm_digest")
        batch_op.drop_column("pending_claims")
        batch_op.drop_column("confirm_expires_at")
        batch_op.drop_column("confirm_digest")
        batch_op.drop_column("browser_digest")
