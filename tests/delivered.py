"""Reading a draft's deliveries in tests: the X delivery of a draft, and which drafts are due."""

from __future__ import annotations

from datetime import datetime, timedelta

from storage import deliveries
from storage.models import Delivery
from storage.store import Tx


def x_of(tx: Tx, draft_id: int) -> Delivery:
    """The draft's X delivery of its current version (a draft seeded past approval has one: Tx.insert_draft)."""
    [found] = [d for d in deliveries.of_draft(tx.session, draft_id) if d.network == "x"]
    return found


def due_drafts(tx: Tx, now: datetime, grace: timedelta = timedelta(minutes=5)) -> list[int]:
    """The drafts with a delivery due at `now`, in the publisher's order."""
    found = deliveries.due(tx.session, now, grace=grace, postgresql=tx.dialect == "postgresql")
    return list(dict.fromkeys(tx.session.get(Delivery, i).draft_id for i in found))  # type: ignore[union-attr]
