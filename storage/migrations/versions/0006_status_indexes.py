"""indexes for `status` on a long history: rejected this week, the queue, the drafts that need a person

Without them, at 1,000,000 drafts, `status` read every rejected draft to count this week's, every pending draft
to sort them for the oldest ten, and every failed one for the ten last updated.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_draft_brand_status_decided", "draft", ["brand", "status", "decided_at"], unique=False)
    op.create_index("ix_draft_brand_status_pending", "draft", ["brand", "status", "pending_since"], unique=False)
    op.create_index("ix_draft_brand_status_updated", "draft", ["brand", "status", "updated_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_draft_brand_status_updated", table_name="draft")
    op.drop_index("ix_draft_brand_status_pending", table_name="draft")
    op.drop_index("ix_draft_brand_status_decided", table_name="draft")
