"""pause, digest runs, reminders, publish times

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "brand_state",
        sa.Column("brand", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("changed_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("brand"),
    )
    op.create_table(
        "digest_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("brand", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("week", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("claimed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("ts", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("brand", "week", name="uq_digest_brand_week"),
    )
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["draft_id"],
            ["draft.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("draft_id", "version", "period", name="uq_reminder_period"),
    )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_draft_id"), ["draft_id"], unique=False)

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_at_action", ["at", "action"], unique=False)

    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_since", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("published_at", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_draft_brand_created", ["brand", "created_at"], unique=False)
        batch_op.create_index("ix_draft_brand_status_published", ["brand", "status", "published_at"], unique=False)

    # Drafts from before this revision: the best known times are their creation and last update.
    op.execute("UPDATE draft SET pending_since = created_at WHERE status = 'pending'")
    op.execute("UPDATE draft SET published_at = updated_at WHERE status = 'published'")


def downgrade() -> None:
    with op.batch_alter_table("draft", schema=None) as batch_op:
        batch_op.drop_index("ix_draft_brand_status_published")
        batch_op.drop_index("ix_draft_brand_created")
        batch_op.drop_column("published_at")
        batch_op.drop_column("pending_since")

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_at_action")

    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_draft_id"))

    op.drop_table("reminder")
    op.drop_table("digest_run")
    op.drop_table("brand_state")
