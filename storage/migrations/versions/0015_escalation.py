"""a draft's escalation to the backup approvers: its clock (waiting_since), its due time (escalate_at), the fact
(escalated_at)

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("draft") as batch:
        batch.add_column(sa.Column("waiting_since", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalate_at", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("escalated_at", storage.types.UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_draft_status_escalate_at", "draft", ["status", "escalate_at"])


def downgrade() -> None:
    op.drop_index("ix_draft_status_escalate_at", table_name="draft")
    with op.batch_alter_table("draft") as batch:
        batch.drop_column("escalated_at")
        batch.drop_column("escalate_at")
        batch.drop_column("waiting_since")
