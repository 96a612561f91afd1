"""Whether a draft's current version was tried on any of its networks: read from its deliveries, not the draft.

An approved version's time can be moved, it can be undone, a writer's edit can reopen it, only while nothing of it
has been sent anywhere: no delivery of that version has been claimed (each claim counts one attempt on its
delivery, storage/deliveries.claimed). The compare-and-sets of those moves carry `never_tried()`; the publisher's
claim, which also moves the draft's status in the same transaction (deliveries.settle_draft), is the other side.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from storage.models import Delivery, Draft


def never_tried() -> Any:
    """SQL, correlated to the draft of the statement: no delivery of its current version was ever claimed."""
    return ~(
        select(Delivery.id)
        .where(col(Delivery.draft_id) == col(Draft.id), col(Delivery.version) == col(Draft.version))
        .where(col(Delivery.attempts) > 0)
        .correlate(Draft)
        .exists()
    )


def tried(session: Session, draft_id: int, version: int) -> bool:
    """Whether any delivery of the draft's `version` was claimed (sent, or on its way, to some network)."""
    stmt = select(Delivery.id).where(
        Delivery.draft_id == draft_id, Delivery.version == version, col(Delivery.attempts) > 0
    )
    return session.exec(stmt.limit(1)).first() is not None


def was_tried(found: Iterable[Delivery]) -> bool:
    """`tried`, of a version's deliveries already read (a card, a form about to open: no query of its own)."""
    return any(d.attempts > 0 for d in found)
