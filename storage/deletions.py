"""Queries for Delete from X: a claim on the draft, then every write fenced by that claim (bot/delivery/deleter.py).

The same shape as publishing (`Tx.claim` / `Tx.attempt_write`): a compare-and-set takes the draft from
`published` (or `delete_failed`, for Retry) to `deleting` under a fresh attempt id and lease; each part's result,
and the outcome, are written only while the draft is still `deleting` under that attempt id. A claim whose holder
stopped (its lease ran out) can be taken over with a new attempt id, which fences the old holder out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.models import Draft, Status
from storage.store import changed
from storage.types import utcnow

DELETABLE = (Status.PUBLISHED, Status.DELETE_FAILED)


def claim(
    session: Session,
    draft_id: int,
    attempt_id: str,
    worker: str,
    lease_until: datetime,
    now: datetime,
    *,
    frm: Sequence[str] = DELETABLE,
    taking_over: str | None = None,
    holder_gone: bool = False,
    **values: Any,
) -> bool:
    """`frm` → deleting under `attempt_id`; only one caller wins. `taking_over`: the attempt id of a claim whose
    holder stopped, replaced only if it is still that one and its lease ran out (or, `holder_gone`, the caller
    knows its process no longer exists)."""
    stmt = update(Draft).where(col(Draft.id) == draft_id)
    if taking_over is None:
        stmt = stmt.where(col(Draft.status).in_(list(frm)))
    else:
        stmt = stmt.where(col(Draft.status) == Status.DELETING, col(Draft.attempt_id) == taking_over)
        if not holder_gone:
            stmt = stmt.where(col(Draft.lease_until) < now)
    values.update(
        status=Status.DELETING, attempt_id=attempt_id, claimed_by=worker, lease_until=lease_until, updated_at=utcnow()
    )
    return changed(session, stmt.values(**values))


def attempt_write(
    session: Session, draft_id: int, attempt_id: str, *, to: str = Status.DELETING, **values: Any
) -> bool:
    """A write of the deletion attempt `attempt_id` (a part gone, a renewed lease, the outcome): only while the
    draft is still `deleting` under it. Leaving `deleting` clears the attempt, so a stale holder never matches."""
    stmt = update(Draft).where(
        col(Draft.id) == draft_id, col(Draft.attempt_id) == attempt_id, col(Draft.status) == Status.DELETING
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
) -> list[Draft]:
    """Deletions whose lease ran out, and every one claimed on this host (the caller tells whether its holder is
    gone): candidates to resume, of `brand` only when given."""
    stmt = select(Draft).where(
        Draft.status == Status.DELETING,
        (col(Draft.lease_until) < now) | col(Draft.claimed_by).startswith(host_prefix, autoescape=True),
    )
    if brand is not None:
        stmt = stmt.where(Draft.brand == brand)
    return list(session.exec(stmt.order_by(col(Draft.id)).limit(limit)).all())


def count_deleted_between(session: Session, brand: str, start: datetime, end: datetime) -> int:
    """Drafts whose posts were all taken off X in [start, end)."""
    stmt = select(Draft.id).where(
        Draft.brand == brand,
        Draft.status == Status.DELETED,
        col(Draft.deleted_at) >= start,
        col(Draft.deleted_at) < end,
    )
    return len(session.exec(stmt).all())
