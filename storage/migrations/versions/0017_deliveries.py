"""deliveries: each approved (draft version, network) delivered on its own; every draft past approval becomes its
X delivery

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02

Each delivery is the truth about its network from here on: the publisher claims, fences and records deliveries.
The draft's delivery columns (post_ids, post_url, attempt_id, claimed_by, lease_until, attempts, next_attempt_at,
looks, last_error, published_at, deleted_ids, deleted_at) are left for one more release, as a projection of its
deliveries that no publishing decision reads: storage.deliveries.settle_draft writes them (status: the aggregate;
the rest: the first network's post) in the transaction of every delivery move. Delete's claim alone still lives
on the draft row (one request for every network: storage/deletions.py); it runs only once every delivery is up,
when no delivery moves, and its end marks each delivery deleted. About sixty readers written for one post
(cards, replies, status, history, the Undo and schedule checks) keep reading them unchanged meanwhile; the next
release moves those readers to deliveries and drops the columns (on SQLite a batch rebuild of `draft`, which
needs foreign keys off around it). Keeping them also makes the way back down lossless: `downgrade` copies each
draft's X delivery of its current version back into them. Upgrade with every instance stopped: an instance of
the previous release would publish from the draft's columns.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.types

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

# Every status a draft has once it was approved for good: its X delivery holds where the post got to.
PAST_APPROVAL = ("approved", "publishing", "published", "unknown", "failed", "deleting", "deleted", "delete_failed")
COPIED = (
    "final_parts",
    "post_ids",
    "post_url",
    "attempt_id",
    "claimed_by",
    "lease_until",
    "attempts",
    "next_attempt_at",
    "looks",
    "last_error",
    "published_at",
    "deleted_ids",
    "deleted_at",
)


def upgrade() -> None:
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("brand", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("network", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("final_parts", storage.types.JSONList(), nullable=True),
        sa.Column("post_ids", storage.types.JSONList(), nullable=True),
        sa.Column("keys", storage.types.JSONList(), nullable=True),
        sa.Column("post_url", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("attempt_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("lease_until", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("looks", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("published_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_ids", storage.types.JSONList(), nullable=True),
        sa.Column("deleted_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["draft_id"], ["draft.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("draft_id", "version", "network", name="uq_delivery_version_network"),
    )
    op.create_index("ix_delivery_draft_id", "delivery", ["draft_id"])
    op.create_index("ix_delivery_status_next", "delivery", ["status", "next_attempt_at"])
    op.create_index("ix_delivery_status_lease", "delivery", ["status", "lease_until"])
    op.create_index("ix_delivery_brand_status_published", "delivery", ["brand", "status", "published_at"])
    copied = ", ".join(COPIED)
    past = ", ".join(f"'{s}'" for s in PAST_APPROVAL)
    # One INSERT … SELECT: the same on SQLite and PostgreSQL, and every value copied as stored (JSON text, times).
    op.execute(
        f"INSERT INTO delivery (draft_id, brand, version, network, status, {copied}, created_at, updated_at) "
        f"SELECT id, brand, version, 'x', status, {copied}, COALESCE(decided_at, created_at), updated_at "
        f"FROM draft WHERE status IN ({past})"
    )


def downgrade() -> None:
    # Back into the draft's own columns: each draft's X delivery of its current version (the only one 0016 knew).
    assignments = ", ".join(
        f"{c} = (SELECT d.{c} FROM delivery d WHERE d.draft_id = draft.id AND d.version = draft.version "
        f"AND d.network = 'x')"
        for c in COPIED
    )
    op.execute(
        f"UPDATE draft SET {assignments} WHERE EXISTS (SELECT 1 FROM delivery d WHERE d.draft_id = draft.id "
        f"AND d.version = draft.version AND d.network = 'x')"
    )
    op.drop_index("ix_delivery_brand_status_published", table_name="delivery")
    op.drop_index("ix_delivery_status_lease", table_name="delivery")
    op.drop_index("ix_delivery_status_next", table_name="delivery")
    op.drop_index("ix_delivery_draft_id", table_name="delivery")
    op.drop_table("delivery")
