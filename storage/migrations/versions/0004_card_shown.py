"""cards remember which state of their draft they show, so missed updates can be caught up

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shown_status", sqlmodel.sql.sqltypes.AutoString(length=32), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("shown_version", sa.Integer(), server_default="0", nullable=False))
    # Cards posted before this revision are taken to show their draft as it is now (no burst of updates).
    op.execute(
        "UPDATE card SET shown_status = (SELECT status FROM draft WHERE draft.id = card.draft_id), "
        "shown_version = (SELECT version FROM draft WHERE draft.id = card.draft_id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("card", schema=None) as batch_op:
        batch_op.drop_column("shown_version")
        batch_op.drop_column("shown_status")
