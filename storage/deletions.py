"""Queries for Delete: a claim on each network's delivery, then every write fenced by that delivery's claim
(bot/delivery/deleter.py).

The same shape as publishing (storage/deliveries.py): the draft is held first (it must be `published`, or
`delete_failed` for Retry, at its version; who asked and why are written on it, the owner's side of the story),
then a compare-and-set takes each of its version's deliveries that has posts up from `published` (or
`delete_failed`) to `deleting` under one fresh attempt id and lease. Each part's result, and each network's outcome,
are written only while that delivery is still `deleting` under that attempt id. A delivery whose holder stopped
(its lease ran out) can be taken over with a new attempt id, which fences the old holder out of that network.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.models import Delivery, Draft, Status
from storage.store import changed
from storage.types import utcnow

DELETABLE = (Status.PUBLISHED, Status.DELETE_FAILED)


def claim(
    session: Session,
    draft_id: int,
    version: int,
    attempt_id: str,
    worker: str,
    lease_until: datetime,
    *,
    frm: Sequence[str] = DELETABLE,
    **values: Any,
) -> list[int]:
    """The draft's `frm` deliveries with posts → deleting under `attempt_id`: the ids claimed, [] if another caller
    won (or there is nothing to delete). `values` (who asked, why) are written on the draft, which is held first
    and must itself be in `frm` at `version`, so two clicks take turns and the second finds it deleting."""
    wanted = [
        d.id
        for d in session.exec(
            select(Delivery).where(Delivery.draft_id == draft_id, Delivery.version == version),
            execution_options={"populate_existing": True},
        ).all()
        if d.id is not None and d.post_ids and d.status in frm
    ]
    if not wanted:
        return []
    held = update(Draft).where(col(Draft.id) == draft_id, col(Draft.version) == version, col(Draft.status).in_(frm))
    if not changed(session, held.values(updated_at=utcnow(), **values)):
        return []
    claimed = []
    for delivery_id in wanted:
        stmt = update(Delivery).where(col(Delivery.id) == delivery_id, col(Delivery.status).in_(list(frm)))
        if changed(session, stmt.values(**_claim(attempt_id, worker, lease_until))):
            claimed.append(delivery_id)
    return claimed


def take_over(
    session: Session,
    delivery_id: int,
    attempt_id: str,
    worker: str,
    lease_until: datetime,
    now: datetime,
    *,
    taking_over: str,
    holder_gone: bool = False,
) -> bool:
    """A stopped deletion of one network, under a new attempt id: only while it is still `taking_over`'s and its
    lease ran out (or, `holder_gone`, the caller knows its process no longer exists)."""
    stmt = update(Delivery).where(
        col(Delivery.id) == delivery_id,
        col(Delivery.status) == Status.DELETING,
        col(Delivery.attempt_id) == taking_over,
    )
    if not holder_gone:
        stmt = stmt.where(col(Delivery.lease_until) < now)
    return changed(session, stmt.values(**_claim(attempt_id, worker, lease_until)))


def _claim(attempt_id: str, worker: str, lease_until: datetime) -> dict[str, Any]:
    return {
        "status": Status.DELETING,
        "attempt_id": attempt_id,
        "claimed_by": worker,
        "lease_until": lease_until,
        "last_error": None,
        "updated_at": utcnow(),
    }


def attempt_write(
    session: Session, delivery_id: int, attempt_id: str, *, to: str = Status.DELETING, **values: Any
) -> bool:
    """A write of the deletion attempt `attempt_id` on one network (a part gone, a renewed lease, the outcome): only
    while that delivery is still `deleting` under it. Leaving `deleting` clears the attempt, so a stale holder never
    matches again."""
    stmt = update(Delivery).where(
        col(Delivery.id) == delivery_id, col(Delivery.attempt_id) == attempt_id, col(Delivery.status) == Status.DELETING
    )
    if to != Status.DELETING:
        values.update(attempt_id=None, lease_until=None)
    values.setdefault("updated_at", utcnow())
    return changed(session, stmt.values(status=to, **values))


def keep_reason(session: Session, draft_id: int, reason: str) -> bool:
    """The reason for a deletion, once: only while it has none, and only once Delete from X was pressed."""
    stmt = update(Draft).where(
        col(Draft.id) == draft_id,
        col(Draft.status).in_([Status.DELETING, Status.DELETED, Status.DELETE_FAILED]),
        col(Draft.delete_reason).is_(None),
    )
    return changed(session, stmt.values(delete_reason=reason, updated_at=utcnow()))


def abandoned(
    session: Session, now: datetime, host_prefix: str, limit: int = 10, *, brand: str | None = None
) -> list[Delivery]:
    """Deliveries being deleted whose lease ran out, and every one claimed on this host (the caller tells whether
    its holder is gone): candidates to resume, of `brand` only when given."""
    stmt = select(Delivery).where(
        Delivery.status == Status.DELETING,
        (col(Delivery.lease_until) < now) | col(Delivery.claimed_by).startswith(host_prefix, autoescape=True),
    )
    if brand is not None:
        stmt = stmt.where(Delivery.brand == brand)
    return list(session.exec(stmt.order_by(col(Delivery.draft_id), col(Delivery.id)).limit(limit)).all())


def count_deleted_between(session: Session, brand: str, start: datetime, end: datetime) -> int:
    """Drafts whose posts were all taken down, the last of them in [start, end)."""
    last = (
        select(Delivery.draft_id)
        .join(Draft, col(Draft.id) == col(Delivery.draft_id))
        .where(Draft.brand == brand, Draft.status == Status.DELETED, col(Delivery.version) == col(Draft.version))
        .group_by(col(Delivery.draft_id))
        .having((func.max(Delivery.deleted_at) >= start) & (func.max(Delivery.deleted_at) < end))
        .subquery()
    )
    return session.exec(select(func.count()).select_from(last)).one()
