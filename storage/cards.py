"""Queries for keeping Slack's cards in step with the drafts they show (catch-up after Slack was away)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Table, case, delete, func, or_, update
from sqlmodel import Session, col, select

from storage.brands import of_brand
from storage.models import Card, Draft, Status

CARD: Table = Card.__table__  # type: ignore[attr-defined]


def mark_shown(session: Session, card_id: int, status: str, version: int) -> None:
    session.execute(CARD.update().where(CARD.c.id == card_id).values(shown_status=status, shown_version=version))


def mark_all_shown(session: Session, card_ids: Sequence[int], status: str, version: int) -> None:
    """`mark_shown` for several cards of one draft that took the same update: one statement. Always what Slack now
    shows, even if the draft moved meanwhile: a card recorded as showing a state it doesn't would never be caught up."""
    session.execute(CARD.update().where(CARD.c.id.in_(card_ids)).values(shown_status=status, shown_version=version))


def fill_shown(session: Session, draft_id: int, approver_id: str, channel: str, ts: str, shown: Draft) -> None:
    """A posted card's place in Slack and the state it shows, in one UPDATE (the slot was claimed before)."""
    stmt = (
        CARD.update()  # Core: on every card's path, where the ORM's UPDATE costs more than the statement
        .where(CARD.c.draft_id == draft_id, CARD.c.approver_id == approver_id)
        .values(channel=channel, ts=ts, shown_status=shown.status, shown_version=shown.version)
    )
    session.execute(stmt)


def behind(session: Session, limit: int, *, brand: str | None = None) -> list[int]:
    """Drafts (of `brand`, or any) with a posted card that shows an older state than the draft has."""
    stmt = (
        select(Card.draft_id)
        .join(Draft, col(Draft.id) == col(Card.draft_id))
        .where(Card.ts != "")
        .where(or_(col(Card.shown_status) != col(Draft.status), col(Card.shown_version) != col(Draft.version)))
        .where(of_brand(brand))
        .distinct()
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def short_of_cards(
    session: Session,
    expected: int,
    created_before: datetime,
    limit: int,
    no_card_for: Sequence[str] = (),
    *,
    not_counted: Sequence[str] = (),
    brand: str | None = None,
) -> list[Draft]:
    """Pending drafts older than `created_before` with fewer cards than `expected` (a card never got out).

    A writer among `no_card_for` (approvers who get a card in their DM) gets none for their own draft, so such a
    draft expects one card fewer: counted as short, it would be picked again at every tick, forever, and a batch
    of them would crowd out the drafts really missing a card. Cards of `not_counted` (backups, carded on
    escalation: bot/jobs/escalation) are not among the expected ones, so they can't hide an approver's missing card."""
    counted = select(func.count()).where(col(Card.draft_id) == col(Draft.id))
    if not_counted:
        counted = counted.where(col(Card.approver_id).not_in(list(not_counted)))
    count = counted.scalar_subquery()
    own = case((col(Draft.writer_id).in_(list(no_card_for)), 1), else_=0) if no_card_for else 0
    stmt = (
        select(Draft)
        .where(Draft.status == Status.PENDING, col(Draft.created_at) < created_before)
        .where(count < expected - own)
        .where(of_brand(brand))
        .order_by(col(Draft.id))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def drop_abandoned_claims(session: Session, claimed_before: datetime) -> int:
    """Card slots reserved by a process that died before posting: free them so the card can be sent."""
    result = session.execute(delete(Card).where(Card.ts == "", col(Card.created_at) < claimed_before))
    return result.rowcount  # type: ignore[attr-defined]


def mark_behind(session: Session, draft_id: int) -> None:
    """Something every card shows changed without a new status or version (a yes under APPROVAL_RULE): the cards
    count as behind until an update lands, so the catch-up resends one Slack refused."""
    session.execute(update(Card).where(col(Card.draft_id) == draft_id).values(shown_status=""))
