"""each approver's yes on a draft version (APPROVAL_RULE needs several)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("approver_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("approver_team_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("approver_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["draft.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("draft_id", "version", "approver_id", name="uq_approval_version_approver"),
    )
    op.create_index(op.f("ix_approval_draft_id"), "approval", ["draft_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_approval_draft_id"), table_name="approval")
    op.drop_table("approval")
