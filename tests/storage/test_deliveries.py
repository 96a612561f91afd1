"""Deliveries in the database: one per (version, network), claimed once, written only by the attempt that holds it,
due by the draft's decision, and the draft's status as their aggregate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from storage import deliveries
from storage.models import Draft, InboxItem, Status
from storage.store import Store

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NETWORKS = ("x", "mastodon")


def approved_draft(store: Store, **values: object) -> Draft:
    draft = Draft(channel="C0DRAFTS", ts="1.000001", writer_id="U0WRITER", text="Hi", decided_at=T0)
    for name, value in values.items():
        setattr(draft, name, value)
    with store.transaction() as tx:
        tx.insert_draft(draft, author_id="U0WRITER")  # pending: no delivery until it is approved
        assert tx.move(draft.id or 0, frm={Status.PENDING}, to=Status.APPROVED)
        draft.status = Status.APPROVED
        assert deliveries.create(tx.session, draft, NETWORKS, ["Hi — drafted by Agency"], now=T0) == 2
        assert deliveries.create(tx.session, draft, NETWORKS, ["Hi"], now=T0) == 0  # a replayed approval: kept
    return draft


@pytest.mark.parametrize(
    ("statuses", "draft"),
    [
        ([], None),
        (["approved", "approved"], "approved"),
        (["publishing", "approved"], "publishing"),
        (["published", "publishing"], "publishing"),
        (["published", "unknown"], "unknown"),
        (["unknown", "publishing"], "publishing"),
        (["failed", "approved"], "approved"),  # B still goes out: the draft isn't over
        (["failed", "published"], "failed"),
        (["published", "published"], "published"),
        (["deleting", "published"], "deleting"),
        (["deleted", "delete_failed"], "delete_failed"),
        (["deleted", "published"], "delete_failed"),
        (["deleted", "deleted"], "deleted"),
    ],
)
def test_the_drafts_status_is_the_aggregate_of_its_deliveries(statuses: list[str], draft: str | None) -> None:
    assert deliveries.aggregate(statuses) == (Status(draft) if draft else None)


def test_a_delivery_is_claimed_once_and_written_only_by_its_attempt(store: Store) -> None:
    draft = approved_draft(store)
    with store.transaction() as tx:
        x, mastodon = deliveries.of_draft(tx.session, draft.id or 0)
        assert (x.network, mastodon.network, x.final_parts) == ("x", "mastodon", ["Hi — drafted by Agency"])
        claimed = deliveries.claimed(tx.session, x.id or 0, "a1", "host:1:-:m", T0 + timedelta(seconds=90))
        assert claimed is not None and (claimed.status, claimed.attempts) == (Status.PUBLISHING, 1)
        assert deliveries.claimed(tx.session, x.id or 0, "a2", "host:2:-:m", T0) is None  # taken
        assert deliveries.attempt_write(tx.session, x.id or 0, "a1", keys=["k1"])  # the key before the call
        assert not deliveries.attempt_write(tx.session, x.id or 0, "a2", keys=["k2"])  # fenced
        assert deliveries.settle_draft(tx.session, draft.id or 0, draft.version) is Status.PUBLISHING
        assert deliveries.attempt_write(tx.session, x.id or 0, "a1", to=Status.PUBLISHED, post_ids=["9"])
        assert not deliveries.attempt_write(tx.session, x.id or 0, "a1", post_ids=["10"])  # the attempt is over
        assert deliveries.settle_draft(tx.session, draft.id or 0, draft.version) is Status.APPROVED  # B waits
    with store.read() as tx:
        x, mastodon = deliveries.of_draft(tx.session, draft.id or 0)
        assert (x.status, x.keys, x.post_ids, x.attempt_id, x.lease_until) == ("published", ["k1"], ["9"], None, None)
        assert mastodon.status == Status.APPROVED and tx.get(draft.id or 0).status == Status.APPROVED  # type: ignore[union-attr]


def test_due_follows_the_drafts_decision_and_each_deliverys_backoff(store: Store) -> None:
    draft = approved_draft(store, publish_at=T0 + timedelta(hours=1), undo_until=T0 + timedelta(minutes=1))
    pg = store.engine.dialect.name == "postgresql"
    with store.transaction() as tx:
        x, mastodon = deliveries.of_draft(tx.session, draft.id or 0)
        assert deliveries.due(tx.session, T0, postgresql=pg) == []  # its time hasn't come
        later = T0 + timedelta(hours=1)
        assert deliveries.due(tx.session, later, postgresql=pg) == [x.id, mastodon.id]
        assert deliveries.move(
            tx.session, x.id or 0, frm={Status.APPROVED}, to=Status.APPROVED, next_attempt_at=later + timedelta(1)
        )
        assert deliveries.due(tx.session, later, postgresql=pg) == [mastodon.id]  # X backs off; Mastodon goes
        assert deliveries.next_due(tx.session) == later + timedelta(1)
        assert deliveries.due(tx.session, later + timedelta(minutes=10), postgresql=pg) == []  # untried, past its grace
        tx.session.add(InboxItem(kind="action", body="{}", owner="w", lease_until=later, holds_draft=draft.id))
        tx.session.flush()
        assert deliveries.due(tx.session, later, postgresql=pg) == []  # an Undo click waits: nothing goes


def test_withdraw_drops_only_the_versions_deliveries_never_tried(store: Store) -> None:
    draft = approved_draft(store)
    with store.transaction() as tx:
        x, _ = deliveries.of_draft(tx.session, draft.id or 0)
        deliveries.claimed(tx.session, x.id or 0, "a1", "host:1:-:m", T0)
        assert deliveries.withdraw(tx.session, draft.id or 0, draft.version) == 1
        assert [d.network for d in deliveries.of_draft(tx.session, draft.id or 0)] == ["x"]
