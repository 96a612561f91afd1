"""The publisher's pass in few statements (bot.delivery.publisher): what is due, the claim, when to wake next.

A delivery's draft, version, brand, network, parts and images never change once it is made, so the pass's one
read of what is due brings them along (`Candidate`): the claim then needs no read of its own, the parts' keys are
chosen before it and stored by the claim's own UPDATE, and the images are read only for a version that has some.
The claim itself is `deliveries.claimed` with the keys: a compare-and-set from `approved`, a fresh attempt id and
lease.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from storage import deliveries, schedule, undo
from storage.models import Delivery, DraftMedia


@dataclass(frozen=True)
class Candidate:
    """A delivery to claim, with what the claim needs of it beforehand."""

    id: int
    draft_id: int
    version: int
    brand: str
    network: str
    parts: int
    has_media: bool  # the version has images (read them with the claim)


def _has_media() -> Any:
    return (
        exists()
        .where(col(DraftMedia.draft_id) == col(Delivery.draft_id), col(DraftMedia.version) == col(Delivery.version))
        .label("has_media")
    )


_COLUMNS = (
    Delivery.id,
    Delivery.draft_id,
    Delivery.version,
    Delivery.brand,
    Delivery.network,
    Delivery.final_parts,
)


def _candidate(row: Sequence[Any]) -> Candidate:
    delivery_id, draft_id, version, brand, network, parts, has_media = row
    return Candidate(delivery_id, draft_id, version, brand, network, len(parts or []), bool(has_media))


def candidates(session: Session, now: datetime, *, limit: int, grace: timedelta, postgresql: bool) -> list[Candidate]:
    """`deliveries.due`, each with what its claim needs (same order, same `SKIP LOCKED` on PostgreSQL)."""
    stmt = deliveries.due_query(now, *_COLUMNS, _has_media(), limit=limit, grace=grace)
    return [_candidate(row) for row in deliveries.unlocked_first(session, stmt, postgresql)]


def candidate(session: Session, delivery_id: int) -> Candidate | None:
    """One delivery as a candidate, whatever its status or time (the claim says whether it is still to go)."""
    stmt = select(*_COLUMNS, _has_media()).where(col(Delivery.id) == delivery_id)
    row = session.exec(stmt).first()  # type: ignore[call-overload]
    return None if row is None else _candidate(row)


def next_wake(session: Session, now: datetime) -> datetime | None:
    """The soonest of `deliveries.next_due`, `schedule.next_publish_at` and `undo.next_window_end`, in one
    statement: the publisher reads it after every pass to know how long it may sleep."""
    stmt = core_select(
        deliveries.next_due_query().scalar_subquery(),
        schedule.next_publish_at_query(now).scalar_subquery(),
        undo.next_window_end_query(now).scalar_subquery(),
    )
    return min((t for t in session.execute(stmt).one() if t is not None), default=None)
