"""Queries about Undo windows (bot/approval/undo.py): when the publisher must look again because one ends."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.brands import unpaused
from storage.models import Draft, InboxItem, Status

HOLDING_ATTEMPTS = 3  # bot.intake.inbox.MAX_ATTEMPTS: a click given up on stops holding its draft


def next_window_end(session: Session, now: datetime) -> datetime | None:
    """The earliest end of an open Undo window: the publisher sleeps until then, not a tick more."""
    stmt = select(func.min(Draft.undo_until)).where(Draft.status == Status.APPROVED, col(Draft.undo_until) > now)
    stmt = stmt.where(unpaused())
    return session.exec(stmt).one()


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
