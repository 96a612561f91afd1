"""a draft has a time to go out (publish_at), and whether its passing was told (time_noticed_at)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("draft") as batch:
        batch.add_column(sa.Column("publish_at", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("publish_said", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
        batch.add_column(sa.Column("time_noticed_at", storage.types.UTCDateTime(timezone=True), nullable=True))
    op.create_index("ix_draft_status_publish_at", "draft", ["status", "publish_at"])


def downgrade() -> None:
    op.drop_index("ix_draft_status_publish_at", table_name="draft")
    with op.batch_alter_table("draft") as batch:
        batch.drop_column("time_noticed_at")
        batch.drop_column("publish_said")
        batch.drop_column("publish_at")
