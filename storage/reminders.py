"""The queries behind reminders (bot/jobs/reminders.py): pending drafts whose time is near, and drafts whose approvers
haven't been reminded for a period."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.brands import of_brand
from storage.models import Draft, Reminder, Status


def near_their_time(session: Session, brand: str | None, now: datetime, lead: timedelta, limit: int) -> list[Draft]:
    """Pending drafts whose proposed time is in the next `lead`, soonest first."""
    stmt = (
        select(Draft)
        .where(Draft.status == Status.PENDING, col(Draft.publish_at) > now)
        .where(col(Draft.publish_at) <= now + lead, of_brand(brand))
        .order_by(col(Draft.publish_at))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def unreminded(session: Session, brand: str | None, now: datetime, after: timedelta, limit: int) -> list[Draft]:
    """Pending drafts waiting at least `after`, with no reminder of their version in the last `after`; oldest first."""
    last = (
        select(func.max(Reminder.sent_at))
        .where(col(Reminder.draft_id) == col(Draft.id), col(Reminder.version) == col(Draft.version))
        .scalar_subquery()
    )
    stmt = (
        select(Draft)
        .where(Draft.status == Status.PENDING, col(Draft.pending_since) <= now - after)
        .where((last.is_(None)) | (last <= now - after), of_brand(brand))
        .order_by(col(Draft.pending_since))
        .limit(limit)
    )
    return list(session.exec(stmt).all())
