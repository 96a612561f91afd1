"""audit rows carry their draft's brand, so a week's counts read one index without a join

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("brand", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default="default")
        )
        batch_op.drop_index(batch_op.f("ix_audit_event_at_action"))
        batch_op.create_index("ix_audit_event_brand_at_action", ["brand", "at", "action"], unique=False)
    op.execute(
        "UPDATE audit_event SET brand = (SELECT draft.brand FROM draft WHERE draft.id = audit_event.draft_id) "
        "WHERE draft_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_brand_at_action")
        batch_op.create_index(batch_op.f("ix_audit_event_at_action"), ["at", "action"], unique=False)
        batch_op.drop_column("brand")
