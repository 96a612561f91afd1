"""a message's newest edit and its deletion are remembered, so late or repeated deliveries never win

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_message",
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("newest_edit", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("deleted_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "ts"),
    )


def downgrade() -> None:
    op.drop_table("slack_message")
