"""Queries for telling writers what became of their drafts, once per move, even across a Slack outage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, delete, func
from sqlmodel import Session, col, select

from storage.brands import of_brand
from storage.models import AuditEvent, Draft, WriterNotice
from storage.store import insert_ignore


def latest_move(session: Session, draft_id: int) -> AuditEvent | None:
    """The audit row of the draft's newest status change (moves of a draft are serialized by its row)."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.draft_id == draft_id, col(AuditEvent.to_status).is_not(None))
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def claim(session: Session, draft_id: int, move_id: int, now: datetime) -> bool:
    """Take the telling of this move; False if someone else has it (or it was told)."""
    return insert_ignore(session, WriterNotice, draft_id=draft_id, move_id=move_id, claimed_at=now)


def claim_move(session: Session, move: AuditEvent, now: datetime) -> int | None:
    """`claim` for a move made in this same transaction (its audit row is written here first): the telling is
    taken with the move itself, so nobody else can take it. Returns the move's id, or None if it was taken."""
    session.flush()
    assert move.draft_id is not None and move.id is not None
    return move.id if claim(session, move.draft_id, move.id, now) else None


NOTICE: Table = WriterNotice.__table__  # type: ignore[attr-defined]


def mark_sent(session: Session, move_id: int, now: datetime) -> None:
    session.execute(NOTICE.update().where(NOTICE.c.move_id == move_id).values(sent_at=now))  # Core: every reply


def release(session: Session, move_id: int) -> None:
    """The reply didn't get out: free the move for the catch-up."""
    session.execute(
        delete(WriterNotice).where(col(WriterNotice.move_id) == move_id, col(WriterNotice.sent_at).is_(None))
    )


def drop_abandoned_claims(session: Session, claimed_before: datetime) -> None:
    """Claims of a process that died between claiming and replying."""
    session.execute(
        delete(WriterNotice).where(col(WriterNotice.sent_at).is_(None), col(WriterNotice.claimed_at) < claimed_before)
    )


def untold(
    session: Session,
    statuses: Sequence[str],
    since: datetime,
    before: datetime,
    limit: int,
    *,
    brand: str | None = None,
) -> list[Draft]:
    """Drafts in `statuses` last changed in [since, before) whose writer hasn't been told of that change."""
    newest = (
        select(func.max(AuditEvent.id))
        .where(col(AuditEvent.draft_id) == col(Draft.id), col(AuditEvent.to_status).is_not(None))
        .correlate(Draft)
        .scalar_subquery()
    )
    told = select(WriterNotice.id).where(col(WriterNotice.move_id) == newest).correlate(Draft).exists()
    stmt = (
        select(Draft)
        .where(col(Draft.status).in_(list(statuses)), col(Draft.updated_at) >= since, col(Draft.updated_at) < before)
        .where(~told)
        .where(of_brand(brand))
        .order_by(col(Draft.id))
        .limit(limit)
    )
    return list(session.exec(stmt).all())
