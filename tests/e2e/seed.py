"""Drafts and audit rows at chosen moments, for tests about weeks and ages.

The app's own flows stamp `now`; a digest of a past week needs a past week, so these rows are written
with the same tables and the same audit actions the workflow writes.
"""

from __future__ import annotations

from datetime import datetime

from storage import deliveries
from storage.models import AuditEvent, Draft, DraftVersion, Status
from storage.store import Store

_ts = iter(range(1, 10**9))


def draft(
    store: Store,
    *,
    writer: str,
    text: str,
    submitted: datetime,
    status: str = Status.PENDING,
    steps: tuple[tuple[str, str, datetime, str | None], ...] = (),
    published_at: datetime | None = None,
    post_id: str | None = None,
    username: str = "acmecoffee",
    brand: str = "default",
) -> int:
    """A draft submitted at `submitted`, then `steps` of (action, actor, at, detail) audited in order."""
    with store.transaction() as tx:
        row = Draft(
            brand=brand,
            channel="C0DRAFTS",
            ts=f"1700000000.{next(_ts):06d}",
            writer_id=writer,
            writer_name=writer,
            status=status,
            text=text,
            created_at=submitted,
            updated_at=submitted,
            pending_since=submitted,
            final_parts=[text] if post_id else None,
        )
        tx.session.add(row)
        tx.session.flush()
        assert row.id is not None
        tx.session.add(DraftVersion(draft_id=row.id, version=1, text=text, author_id=writer, created_at=submitted))
        tx.session.add(
            AuditEvent(
                draft_id=row.id, action="submitted", actor_id=writer, to_status="pending", at=submitted, brand=brand
            )
        )
        for action, actor, at, detail in steps:
            tx.session.add(AuditEvent(draft_id=row.id, action=action, actor_id=actor, at=at, detail=detail))
            if action in ("approved", "edited", "rejected", "changes_requested"):
                row.decided_by, row.decided_at = actor, at
            if action in ("changes_requested", "rejected"):
                row.reason = detail
        tx.session.flush()
        # Past approval: its X delivery, as Tx.insert_draft makes one, with where the post got to.
        posted = {"post_ids": [post_id], "post_url": f"https://x.com/{username}/status/{post_id}"} if post_id else {}
        deliveries.from_draft(tx.session, row, published_at=published_at, **posted)
        return row.id
