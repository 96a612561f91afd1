"""an approved draft is held until `undo_until` (UNDO_WINDOW), and remembers its last Undo (undone_by, undone_at);
an Undo click waiting in the inbox holds its draft (inbox.holds_draft)

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("draft") as batch:
        batch.add_column(sa.Column("undo_until", storage.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("undone_by", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.add_column(sa.Column("undone_at", storage.types.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("holds_draft", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("holds_draft")
    with op.batch_alter_table("draft") as batch:
        batch.drop_column("undone_at")
        batch.drop_column("undone_by")
        batch.drop_column("undo_until")
