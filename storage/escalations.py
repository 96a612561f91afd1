"""The queries behind escalation (bot/jobs/escalation.py): which pending drafts are due to their backups, the claim of
one escalation, and escalated drafts a backup's card never reached."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import case, func, update
from sqlmodel import Session, col, select

from storage.brands import of_brand
from storage.models import Card, Draft, Status
from storage.store import changed


def due(session: Session, brand: str | None, now: datetime, limit: int) -> list[Draft]:
    """Pending, not yet escalated drafts whose `escalate_at` has come, soonest first."""
    stmt = (
        select(Draft)
        .where(Draft.status == Status.PENDING, col(Draft.escalated_at).is_(None))
        .where(col(Draft.escalate_at).is_not(None), col(Draft.escalate_at) <= now, of_brand(brand))
        .order_by(col(Draft.escalate_at))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def claim(session: Session, draft_id: int, now: datetime) -> bool:
    """pending, not escalated → escalated at `now`: a compare-and-set, False when another instance or a decision won."""
    stmt = (
        update(Draft)
        .where(col(Draft.id) == draft_id, col(Draft.status) == Status.PENDING)
        .where(col(Draft.escalated_at).is_(None), col(Draft.escalate_at) <= now)
        .values(escalated_at=now)
    )
    return changed(session, stmt)


def short_of_cards(
    session: Session, brand: str | None, backups: Collection[str], settled_before: datetime, limit: int
) -> list[Draft]:
    """Drafts escalated before `settled_before`, still pending, with fewer backup cards (posted or on their way) than
    backups; a backup's own draft needs no card of theirs. Counted in SQL, so a batch is never filled with drafts
    that are fine."""
    count = (
        select(func.count())
        .where(col(Card.draft_id) == col(Draft.id), col(Card.approver_id).in_(list(backups)))
        .scalar_subquery()
    )
    own = case((col(Draft.writer_id).in_(list(backups)), 1), else_=0)
    stmt = (
        select(Draft)
        .where(Draft.status == Status.PENDING, col(Draft.escalated_at).is_not(None))
        .where(col(Draft.escalated_at) <= settled_before, of_brand(brand))
        .where(count < len(backups) - own)
        .order_by(col(Draft.id))
        .limit(limit)
    )
    return list(session.exec(stmt).all())
