"""Read-only queries for status, history and the digest. Aggregates run in SQL, so the cost follows
the size of the answer (a week, a queue of ten), not the size of the history."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, union_all
from sqlmodel import Session, col, select

from storage.models import AuditEvent, BrandState, Card, Delivery, Draft, DraftVersion, Status

DECISIONS = ("approved", "edited", "changes_requested", "rejected")


def counts_by_status(session: Session, brand: str, statuses: Sequence[str]) -> dict[str, int]:
    """How many drafts are in each of `statuses` (a status with none is absent). Only those are counted: the
    (brand, status, …) index is then read over the active drafts alone, not over a history that is mostly
    published, rejected and withdrawn."""
    stmt = (
        select(Draft.status, func.count())
        .where(Draft.brand == brand, col(Draft.status).in_(list(statuses)))
        .group_by(Draft.status)
    )
    return {status: count for status, count in session.exec(stmt).all()}


def _went_out(brand: str, start: datetime, end: datetime) -> Any:
    """(draft id, first time) of the brand's drafts with a post up on some network that was published in
    [start, end): each delivery of the draft's current version has its own time (a draft up on X and Bluesky and
    failed on Mastodon went out, on two networks). A post deleted since is not up."""
    return (
        select(col(Delivery.draft_id).label("draft_id"), func.min(Delivery.published_at).label("first_at"))
        .join(Draft, col(Draft.id) == col(Delivery.draft_id))
        .where(Delivery.brand == brand, Delivery.status == Status.PUBLISHED)
        .where(col(Delivery.published_at) >= start, col(Delivery.published_at) < end)
        .where(col(Delivery.version) == col(Draft.version))
        .group_by(col(Delivery.draft_id))
        .subquery()
    )


def count_published_between(session: Session, brand: str, start: datetime, end: datetime) -> int:
    """Drafts with a post that went out in [start, end) on any of their networks."""
    went = _went_out(brand, start, end)
    return session.exec(select(func.count()).select_from(went)).one()


def published_between(session: Session, brand: str, start: datetime, end: datetime) -> list[Draft]:
    """The drafts of `count_published_between`, in the order their first post of the period went out."""
    went = _went_out(brand, start, end)
    stmt = select(Draft).join(went, went.c.draft_id == col(Draft.id)).order_by(went.c.first_at, col(Draft.id))
    return list(session.exec(stmt).all())


def drafts_in(
    session: Session, brand: str, statuses: Sequence[str], *, limit: int, oldest_first: bool = True
) -> list[Draft]:
    """The first `limit` drafts in `statuses`: longest waiting first (pending_since), or last updated first.

    Each status is read on its own, its first `limit` rows in the order of the (brand, status, pending_since)
    or (brand, status, updated_at) index, and only those are sorted together: with `status IN (...)` the
    database fetches and sorts every draft of those statuses (10,000 failed ones in a big history)."""
    order = (col(Draft.pending_since), col(Draft.id)) if oldest_first else (col(Draft.updated_at).desc(), col(Draft.id))
    wanted = list(dict.fromkeys(statuses))
    if len(wanted) <= 1:
        stmt = select(Draft).where(Draft.brand == brand, col(Draft.status).in_(wanted))
    else:
        firsts = [
            select(Draft.id).where(Draft.brand == brand, Draft.status == one).order_by(*order).limit(limit).subquery()
            for one in wanted
        ]
        stmt = select(Draft).where(col(Draft.id).in_(union_all(*(select(first.c.id) for first in firsts))))
    return list(session.exec(stmt.order_by(*order).limit(limit)).all())


def last_published(session: Session, brand: str, limit: int) -> list[Draft]:
    """The drafts whose newest post (on any network) went out last, newest first. Read along the deliveries'
    (brand, status, published_at) index only until `limit` drafts are found (a draft on three networks is three
    rows there): the cost follows the answer, not the history."""
    found: list[int] = []
    seen, batch = 0, limit * 4
    while len(found) < limit:
        stmt = (
            select(Delivery.draft_id)
            .join(Draft, col(Draft.id) == col(Delivery.draft_id))
            .where(Delivery.brand == brand, Delivery.status == Status.PUBLISHED)
            .where(col(Delivery.version) == col(Draft.version))
            .order_by(col(Delivery.published_at).desc(), col(Delivery.draft_id).desc())
            .offset(seen)
            .limit(batch)
        )
        rows = session.exec(stmt).all()
        found += [i for i in dict.fromkeys(rows) if i not in found]
        seen += len(rows)
        if len(rows) < batch:
            break
        batch *= 2
    drafts = {d.id: d for d in session.exec(select(Draft).where(col(Draft.id).in_(found[:limit]))).all()}
    return [drafts[i] for i in found[:limit]]


def count_in_status_since(session: Session, brand: str, status: str, since: datetime) -> int:
    stmt = select(func.count()).where(Draft.brand == brand, Draft.status == status, col(Draft.decided_at) >= since)
    return session.exec(stmt).one()


def oldest_pending(session: Session, brand: str, limit: int) -> list[Draft]:
    """The brand's drafts waiting for a decision, the longest-waiting first."""
    stmt = (
        select(Draft)
        .where(Draft.brand == brand, Draft.status == Status.PENDING)
        .order_by(col(Draft.pending_since), col(Draft.id))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def is_paused(session: Session, brand: str) -> bool:
    state = session.get(BrandState, brand)
    return bool(state and state.paused)


def first_card(session: Session, draft_ids: Sequence[int], approver_id: str | None = None) -> dict[int, Card]:
    """One card per draft for linking: the caller's own if they have one, else the first posted."""
    if not draft_ids:
        return {}
    stmt = select(Card).where(col(Card.draft_id).in_(list(draft_ids)), Card.ts != "").order_by(col(Card.id))
    found: dict[int, Card] = {}
    for card in session.exec(stmt).all():
        if card.draft_id not in found or card.approver_id == approver_id:
            found[card.draft_id] = card
    return found


def versions(session: Session, draft_id: int) -> list[DraftVersion]:
    stmt = select(DraftVersion).where(DraftVersion.draft_id == draft_id).order_by(col(DraftVersion.version))
    return list(session.exec(stmt).all())


def audit_trail(session: Session, draft_id: int) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.draft_id == draft_id).order_by(col(AuditEvent.id))
    return list(session.exec(stmt).all())


# -- the digest ---------------------------------------------------------------------------------


def action_counts(session: Session, brand: str, start: datetime, end: datetime) -> dict[str, int]:
    """How many times each audited action happened in [start, end) to this brand's drafts."""
    stmt = (
        select(AuditEvent.action, func.count())
        .where(AuditEvent.brand == brand, col(AuditEvent.at) >= start, col(AuditEvent.at) < end)
        .where(col(AuditEvent.draft_id).is_not(None))
        .group_by(AuditEvent.action)
    )
    return {action: count for action, count in session.exec(stmt).all()}


def submitted_count(session: Session, brand: str, start: datetime, end: datetime) -> int:
    stmt = select(func.count()).where(Draft.brand == brand, col(Draft.created_at) >= start, col(Draft.created_at) < end)
    return session.exec(stmt).one()


def writer_counts(session: Session, brand: str, start: datetime, end: datetime) -> list[tuple[str, str, int]]:
    stmt = (
        select(Draft.writer_id, func.max(Draft.writer_name), func.count())
        .where(Draft.brand == brand, col(Draft.created_at) >= start, col(Draft.created_at) < end)
        .group_by(Draft.writer_id)
        .order_by(func.count().desc(), col(Draft.writer_id))
    )
    return [(w, n or w, c) for w, n, c in session.exec(stmt).all()]


def decisions_with_wait(session: Session, brand: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Each decision in the period with when its version went to the approvers.

    The wait is measured from the submission or revision that the decision answered: the newest
    `submitted`/`revised` audit row of the same draft before the decision.
    """
    decision = AuditEvent.__table__.alias("decision")
    asked = AuditEvent.__table__.alias("asked")
    asked_at = (
        select(func.max(asked.c.at))
        .where(
            asked.c.draft_id == decision.c.draft_id,
            asked.c.action.in_(("submitted", "revised")),
            asked.c.at <= decision.c.at,
        )
        .scalar_subquery()
    )
    stmt = (
        select(
            decision.c.draft_id,
            decision.c.action,
            decision.c.at,
            decision.c.detail,
            decision.c.actor_id,
            asked_at.label("asked_at"),
        )
        .where(decision.c.brand == brand, decision.c.action.in_(DECISIONS))
        .where(decision.c.at >= start, decision.c.at < end)
        .order_by(decision.c.at)
    )
    return [dict(row._mapping) for row in session.execute(stmt)]


def weekly_published_counts(session: Session, brand: str, bounds: Sequence[tuple[datetime, datetime]]) -> list[int]:
    return [count_published_between(session, brand, start, end) for start, end in bounds]
