"""Queries about drafts' times to go out: what is due next, what is coming up, what passed unseen.

A scheduled draft is `approved` with `publish_at` ahead; a pending draft's `publish_at` is the writer's proposal.
`time_noticed_at` records (once per version, compare-and-set) that people were told its time passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.brands import of_brand, unpaused
from storage.models import Delivery, Draft, Status
from storage.store import changed
from storage.tries import never_tried, was_tried
from storage.types import utcnow


def next_publish_at(session: Session, now: datetime) -> datetime | None:
    """When the next scheduled post is due: the publisher sleeps until then (no fixed polling for it)."""
    return session.exec(next_publish_at_query(now)).one()


def next_publish_at_query(now: datetime) -> Any:
    """`next_publish_at`'s SELECT, for the publisher's one read of when to wake (storage.publishing.next_wake)."""
    stmt = select(func.min(Draft.publish_at)).where(Draft.status == Status.APPROVED, col(Draft.publish_at) > now)
    return stmt.where(unpaused())  # a paused brand's time wakes nobody: its post waits for resume


def coming_up(session: Session, brand: str, start: datetime, end: datetime, *, limit: int) -> list[Draft]:
    """Scheduled drafts due in [start, end), soonest first."""
    stmt = (
        select(Draft)
        .where(Draft.brand == brand, Draft.status == Status.APPROVED)
        .where(col(Draft.publish_at) >= start, col(Draft.publish_at) < end)
        .order_by(col(Draft.publish_at), col(Draft.id))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def late(
    session: Session, now: datetime, grace: timedelta, *, limit: int = 20, brand: str | None = None
) -> list[Draft]:
    """Approved, never tried, its time more than `grace` ago, nobody told: the publisher won't post these."""
    stmt = (
        select(Draft)
        .where(Draft.status == Status.APPROVED, never_tried(), col(Draft.publish_at) < now - grace)
        .where(col(Draft.time_noticed_at).is_(None))
        .where(of_brand(brand))
        .order_by(col(Draft.publish_at))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def missed(session: Session, now: datetime, *, limit: int = 20, brand: str | None = None) -> list[Draft]:
    """Still pending at the time the writer proposed, nobody told."""
    stmt = (
        select(Draft)
        .where(Draft.status == Status.PENDING, col(Draft.publish_at) <= now)
        .where(col(Draft.time_noticed_at).is_(None))
        .where(of_brand(brand))
        .order_by(col(Draft.publish_at))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def claim_notice(session: Session, draft: Draft, now: datetime) -> bool:
    """Take the one telling that `draft`'s time passed (same status and version, not told yet); True if ours."""
    stmt = update(Draft).where(
        col(Draft.id) == draft.id,
        col(Draft.status) == draft.status,
        col(Draft.version) == draft.version,
        col(Draft.time_noticed_at).is_(None),
    )
    return changed(session, stmt.values(time_noticed_at=now, updated_at=utcnow()))


def is_late(draft: Draft, found: Sequence[Delivery], now: datetime, grace: timedelta) -> bool:
    """An approved draft the publisher holds back: never tried (`found`: its version's deliveries), and its time
    went by more than `grace` ago."""
    return is_movable(draft, found) and draft.publish_at is not None and draft.publish_at < now - grace


def is_movable(draft: Draft, found: Sequence[Delivery]) -> bool:
    """Approved with a time and never tried on any network (`found`: its version's deliveries): its time can still
    be moved, or it can be posted now or unscheduled."""
    return draft.status == Status.APPROVED and draft.publish_at is not None and not was_tried(found)


def move_scheduled(session: Session, draft_id: int, at_version: int, to: Status, /, **values: object) -> bool:
    """Compare-and-set on an approved, never-tried draft with a time; the publisher's claim is the other side."""
    stmt = update(Draft).where(
        col(Draft.id) == draft_id,
        col(Draft.status) == Status.APPROVED,
        col(Draft.version) == at_version,
        never_tried(),
        col(Draft.publish_at).is_not(None),
    )
    return changed(session, stmt.values(status=to, updated_at=utcnow(), **values))
