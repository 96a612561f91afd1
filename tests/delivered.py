"""A draft's deliveries in tests: seeding a draft past approval with where its post got to, its X delivery, and which
drafts are due."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from storage import deliveries
from storage.models import Delivery, Draft
from storage.store import Store, Tx


def insert(tx: Tx, draft: Draft, author_id: str = "U0WRITER", **values: Any) -> int:
    """`draft` stored with `values`: a delivery's (post ids, link, attempts, error…) on its X delivery, which a
    draft past approval gets (Tx.insert_draft), every other one on the draft."""
    for name, value in values.items():
        if name not in deliveries.BLANK:
            setattr(draft, name, value)
    posted = {k: v for k, v in values.items() if k in deliveries.BLANK}
    tx.insert_draft(draft, author_id=author_id, **posted)
    assert draft.id is not None
    return draft.id


def maybe_x(tx: Tx, draft_id: int) -> Delivery | None:
    """The draft's X delivery of its current version, if it has one (none before approval)."""
    found = [d for d in deliveries.of_draft(tx.session, draft_id) if d.network == "x"]
    assert len(found) <= 1, found
    return found[0] if found else None


def x_of(tx: Tx, draft_id: int) -> Delivery:
    """The draft's X delivery of its current version (a draft seeded past approval has one: Tx.insert_draft)."""
    found = maybe_x(tx, draft_id)
    assert found is not None, f"draft {draft_id} has no X delivery"
    return found


def x_delivery(store: Store, draft_id: int) -> Delivery:
    """`x_of` in a read of its own: where the draft's post is on X now (ids, link, attempts, error, lease…)."""
    with store.read() as tx:
        return x_of(tx, draft_id)


def due_drafts(tx: Tx, now: datetime, grace: timedelta = timedelta(minutes=5)) -> list[int]:
    """The drafts with a delivery due at `now`, in the publisher's order."""
    found = deliveries.due(tx.session, now, grace=grace, postgresql=tx.dialect == "postgresql")
    return list(dict.fromkeys(tx.session.get(Delivery, i).draft_id for i in found))  # type: ignore[union-attr]
