"""the draft's delivery columns dropped: each network's delivery is the only record of where a post went

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04

0017 kept post_ids, post_url, attempt_id, claimed_by, lease_until, attempts, next_attempt_at, looks, last_error,
published_at, deleted_ids and deleted_at on `draft` as a projection of its deliveries, for the readers written for
one network. Every reader now reads deliveries, so the copies go, with their two indexes (publishing's due scan and
the digest's week, both on `delivery` since 0017). On SQLite this rebuilds `draft` (a batch copy), with foreign
keys off around it (storage.migrate), since every other table points at it.

`downgrade` brings the columns back and fills them from each draft's first delivery of its current version (the
lowest id: X's, as 0017 made them), which is what 0017's code reads; a draft with several networks keeps only that
one's post there, as 0017 itself showed it.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def columns() -> tuple[sa.Column, ...]:
    """The twelve as 0017 had them (a Column belongs to one table: new ones for each use)."""
    return (
        sa.Column("post_ids", storage.types.JSONList(), nullable=True),
        sa.Column("post_url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("attempt_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("lease_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_attempt_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("looks", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("published_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_ids", storage.types.JSONList(), nullable=True),
        sa.Column("deleted_at", storage.types.UTCDateTime(timezone=True), nullable=True),
    )


NAMES = tuple(c.name for c in columns())
INDEXES = (
    ("ix_draft_status_next", ["status", "next_attempt_at"]),
    ("ix_draft_brand_status_published", ["brand", "status", "published_at"]),
)


def upgrade() -> None:
    with op.batch_alter_table("draft") as batch:
        for name, _ in INDEXES:
            batch.drop_index(name)
        for name in NAMES:
            batch.drop_column(name)


def downgrade() -> None:
    with op.batch_alter_table("draft") as batch:
        for column in columns():
            batch.add_column(column)
    first = "SELECT MIN(d.id) FROM delivery d WHERE d.draft_id = draft.id AND d.version = draft.version"
    assignments = ", ".join(f"{c} = (SELECT d.{c} FROM delivery d WHERE d.id = ({first}))" for c in NAMES)
    op.execute(f"UPDATE draft SET {assignments} WHERE EXISTS ({first.replace('MIN(d.id)', '1')})")
    with op.batch_alter_table("draft") as batch:
        batch.alter_column("attempts", existing_type=sa.Integer(), server_default=None, existing_nullable=False)
        for name, indexed in INDEXES:
            batch.create_index(name, indexed, unique=False)
