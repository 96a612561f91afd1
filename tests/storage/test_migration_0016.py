"""Migration 0016 (Delete from X) from 0012: a post published before it can be deleted after it; and back down.

Runs to head rather than to 0016, so it holds once the integrator chains the parallel migrations."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

from storage import deletions, deliveries
from storage.migrate import downgrade, upgrade
from storage.models import Status
from storage.store import Store
from tests.storage.test_migrations import current, differences, engine  # noqa: F401 (fixture)


def test_a_draft_published_at_0012_is_deletable_at_0016_and_0016_goes_back_down(engine: Engine) -> None:  # noqa: F811
    upgrade(engine, "0012")
    at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    stored = at.replace(tzinfo=None) if engine.dialect.name == "sqlite" else at
    old = MetaData()
    old.reflect(engine)
    with engine.begin() as connection:
        draft_id = connection.execute(
            old.tables["draft"]
            .insert()
            .values(
                brand="default",
                channel="C0DRAFTS",
                ts="1.000001",
                writer_id="U0WRITER",
                writer_name="Wendy",
                status="published",
                version=1,
                text="Out before 0016.",
                attempts=1,
                looks=0,
                post_ids='["101", "102"]',
                created_at=stored,
                updated_at=stored,
            )
        ).inserted_primary_key[0]

    upgrade(engine)  # to head: 0016, and whatever the integrator chains after 0012 besides
    assert differences(engine) == []
    store = Store(engine)
    draft = store.get(draft_id)
    assert draft is not None and (draft.deleted_by, draft.delete_reason) == (None, None)
    with store.read() as tx:  # nothing of it is gone yet
        [before] = deliveries.of_draft(tx.session, draft_id)
    assert (before.post_ids, before.deleted_ids, before.deleted_at) == (["101", "102"], None, None)
    with store.transaction() as tx:  # the claim is on its delivery (made by 0017), fenced by that delivery's attempt
        [delivery_id] = deletions.claim(tx.session, draft_id, 1, "a1", "host:1:-:m", at, deleted_by="U0OWNER")
        assert deletions.attempt_write(tx.session, delivery_id, "a1", deleted_ids=["102"])
        assert not deletions.attempt_write(tx.session, delivery_id, "stale", deleted_ids=[])  # fenced
        [delivery] = deliveries.of_draft(tx.session, draft_id)
    assert (delivery.status, delivery.deleted_ids) == (Status.DELETING, ["102"])
    draft = store.get(draft_id)
    assert draft is not None and draft.deleted_by == "U0OWNER"

    downgrade(engine, "0012")
    assert current(engine) == "0012"
    upgrade(engine)
    assert differences(engine) == []
