"""Queries about Undo windows (bot/approval/undo.py): when the publisher must look again because one ends."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.brands import unpaused
from storage.models import Draft, InboxItem, Status
from storage.store import changed
from storage.tries import never_tried
from storage.types import utcnow

HOLDING_ATTEMPTS = 3  # bot.intake.inbox.MAX_ATTEMPTS: a click given up on stops holding its draft


def next_window_end(session: Session, now: datetime) -> datetime | None:
    """The earliest end of an open Undo window: the publisher sleeps until then, not a tick more."""
    return session.exec(next_window_end_query(now)).one()


def next_window_end_query(now: datetime) -> Any:
    """`next_window_end`'s SELECT, for the publisher's one read of when to wake (storage.publishing.next_wake)."""
    stmt = select(func.min(Draft.undo_until)).where(Draft.status == Status.APPROVED, col(Draft.undo_until) > now)
    return stmt.where(unpaused())


def click_waiting() -> Any:
    """An Undo click for the draft recorded in the inbox and not handled yet (its receiver may have stopped after
    the ack): the publisher's due query skips such a draft until the click is replayed (bot.approval.undo)."""
    return (
        select(InboxItem.id)
        .where(col(InboxItem.holds_draft) == col(Draft.id), col(InboxItem.attempts) < HOLDING_ATTEMPTS)
        .correlate(Draft)
        .exists()
    )


def click_received_in_window(draft_id: int) -> Any:
    """A waiting Undo click for `draft_id` received before its window closed: the replay of a click acked in time."""
    return (
        select(InboxItem.id)
        .where(col(InboxItem.holds_draft) == draft_id, col(InboxItem.received_at) < col(Draft.undo_until))
        .correlate(Draft)
        .exists()
    )


def move_back(session: Session, draft_id: int, version: int, undone_by: str, now: datetime, *, replayed: bool) -> bool:
    """approved → pending, only while the window is open and the publisher hasn't claimed it (its claim is the
    other side of this compare-and-set: both need `approved`). A replayed click: if it was received in the window.
    The decision's traces go with it: who, when, the composed parts, the window, the time notice, the reason."""
    in_window = col(Draft.undo_until) > now
    if replayed:
        in_window = in_window | click_received_in_window(draft_id)
    stmt = update(Draft).where(
        col(Draft.id) == draft_id,
        col(Draft.status) == Status.APPROVED,
        col(Draft.version) == version,
        never_tried(),
        in_window,
    )
    values = dict(
        status=Status.PENDING,
        decided_by=None,
        decided_at=None,
        approver_name=None,
        final_parts=None,
        undo_until=None,
        time_noticed_at=None,
        reason=None,
        undone_by=undone_by,
        undone_at=now,
        updated_at=utcnow(),
    )
    return changed(session, stmt.values(**values))


def keep_reason(session: Session, draft_id: int, version: int, undone_by: str, reason: str) -> bool:
    """The reason the one who undid gives afterwards, kept while that undone version is still the one waiting."""
    stmt = update(Draft).where(
        col(Draft.id) == draft_id,
        col(Draft.status) == Status.PENDING,
        col(Draft.version) == version,
        col(Draft.undone_by) == undone_by,
    )
    return changed(session, stmt.values(reason=reason, updated_at=utcnow()))
