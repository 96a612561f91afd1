"""What the drafts channel's messages went through beyond their drafts: the newest edit seen, and deletion.

Each function is one guarded statement (an insert-if-absent or a compare-and-set UPDATE), run inside the
caller's transaction after `Tx.by_message` (which, on PostgreSQL, serializes the deliveries of one message).
Edit stamps are `bot.intake.message_life.order_key` strings, which sort as the times they stand for.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import Session, col

from storage.models import SlackMessage
from storage.store import changed, insert_ignore


class EditIs(StrEnum):
    NEWEST = "newest"  # newer than anything seen: it decides the message's text
    OLDER = "older"  # a newer edit was seen first (delivered out of order)
    REPEATED = "repeated"  # this very edit was seen already (another delivery of it)
    DELETED = "deleted"  # the message is gone: nothing about it is live any more


def get(session: Session, channel: str, ts: str) -> SlackMessage | None:
    return session.get(SlackMessage, (channel, ts), populate_existing=True)


def record_edit(session: Session, channel: str, ts: str, key: str | None) -> EditIs:
    """Make `key` the message's newest edit if it is newer than the one seen and the message isn't deleted.
    An edit without a stamp (`key` None) can't be ordered: only a deletion makes it late."""
    if key is None:
        row = get(session, channel, ts)
        return EditIs.DELETED if row is not None and row.deleted_at is not None else EditIs.NEWEST
    insert_ignore(session, SlackMessage, channel=channel, ts=ts)
    newer = (col(SlackMessage.newest_edit).is_(None)) | (col(SlackMessage.newest_edit) < key)
    stmt = (
        update(SlackMessage)
        .where(col(SlackMessage.channel) == channel, col(SlackMessage.ts) == ts, newer)
        .where(col(SlackMessage.deleted_at).is_(None))
        .values(newest_edit=key)
    )
    if changed(session, stmt):
        return EditIs.NEWEST
    row = get(session, channel, ts)
    assert row is not None
    if row.deleted_at is not None:
        return EditIs.DELETED
    return EditIs.REPEATED if row.newest_edit == key else EditIs.OLDER


def record_deletion(session: Session, channel: str, ts: str, now: datetime) -> bool:
    """Remember that the message is gone; True for the first report of it (a tombstone, then the tombstone's own
    `message_deleted`, or a redelivery, are later reports)."""
    if insert_ignore(session, SlackMessage, channel=channel, ts=ts, deleted_at=now):
        return True
    stmt = (
        update(SlackMessage)
        .where(col(SlackMessage.channel) == channel, col(SlackMessage.ts) == ts)
        .where(col(SlackMessage.deleted_at).is_(None))
        .values(deleted_at=now)
    )
    return changed(session, stmt)
