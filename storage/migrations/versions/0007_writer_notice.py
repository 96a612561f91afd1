"""writers are told about each move of their draft once, and again after a Slack outage made the reply fail

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "writer_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("move_id", sa.Integer(), nullable=False),
        sa.Column("claimed_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["draft_id"], ["draft.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("move_id"),
    )
    op.create_index(op.f("ix_writer_notice_draft_id"), "writer_notice", ["draft_id"], unique=False)
    # Writers of drafts moved before this revision were told (or their reply is long past): mark each draft's
    # latest move told, so the first catch-up doesn't reply to them again.
    audit = sa.table("audit_event", sa.column("id"), sa.column("draft_id"), sa.column("to_status"))
    now = sa.literal(datetime.now(UTC), type_=storage.types.UTCDateTime(timezone=True))
    latest = (
        sa.select(audit.c.draft_id, sa.func.max(audit.c.id), now, now)
        .where(audit.c.draft_id.is_not(None), audit.c.to_status.is_not(None))
        .group_by(audit.c.draft_id)
    )
    op.execute(table.insert().from_select(["draft_id", "move_id", "claimed_at", "sent_at"], latest))


def downgrade() -> None:
    op.drop_index(op.f("ix_writer_notice_draft_id"), table_name="writer_notice")
    op.drop_table("writer_notice")
