"""a digest run remembers how its delivery went: posting, refused (retry later), uncertain, approvers told

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_WHEN = ("posting_at", "retry_at", "uncertain_at", "told_at")


def upgrade() -> None:
    with op.batch_alter_table("digest_run", schema=None) as batch_op:
        for name in _WHEN:
            batch_op.add_column(sa.Column(name, storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("digest_run", schema=None) as batch_op:
        batch_op.drop_column("last_error")
        batch_op.drop_column("attempts")
        for name in reversed(_WHEN):
            batch_op.drop_column(name)
