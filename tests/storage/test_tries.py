"""What the moves of an approved version ask of its deliveries (storage/tries.py, storage/deliveries.posted): whether
any network was tried, whether any post went up, on any of them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from storage import deliveries, schedule, tries, undo
from storage.models import Draft, Status
from storage.store import Store
from tests.storage.test_deliveries import T0, approved_draft


def tried_on_one_network(store: Store, **values: object) -> Draft:
    """Approved for both networks; X claimed once and back to waiting (a 429's backoff), Mastodon never tried."""
    draft = approved_draft(store, **values)
    with store.transaction() as tx:
        x, _ = deliveries.of_draft(tx.session, draft.id or 0)
        assert deliveries.claimed(tx.session, x.id or 0, "a1", "host:1:-:m", T0 + timedelta(seconds=90))
        assert deliveries.attempt_write(tx.session, x.id or 0, "a1", to=Status.APPROVED, next_attempt_at=T0)
    return draft


def test_a_version_tried_on_one_network_is_tried(store: Store) -> None:
    late = T0 - timedelta(hours=2)
    draft = tried_on_one_network(store, publish_at=late, undo_until=T0 + timedelta(minutes=5))
    fresh = approved_draft(store, ts="1.000002", publish_at=late, undo_until=T0 + timedelta(minutes=5))
    with store.transaction() as tx:
        assert tries.tried(tx.session, draft.id or 0, draft.version)
        assert not tries.tried(tx.session, fresh.id or 0, fresh.version)
        # Late (never tried, its time long past): only the untried one; the tried one is the publisher's to retry.
        assert [d.id for d in schedule.late(tx.session, T0, timedelta(minutes=5))] == [fresh.id]
        # Its time can't be moved, nor can it be undone: something of it was sent to X.
        assert not schedule.move_scheduled(tx.session, draft.id or 0, draft.version, Status.PENDING)
        assert not undo.move_back(tx.session, draft.id or 0, draft.version, "U0OWNER", T0, replayed=False)
        assert undo.move_back(tx.session, fresh.id or 0, fresh.version, "U0OWNER", T0, replayed=False)


def test_a_post_up_on_any_network_is_read_from_its_delivery(store: Store) -> None:
    draft = approved_draft(store)
    with store.transaction() as tx:
        assert not deliveries.posted(tx.session, draft.id or 0, draft.version)
        _, mastodon = deliveries.of_draft(tx.session, draft.id or 0)
        assert deliveries.claimed(tx.session, mastodon.id or 0, "a1", "host:1:-:m", T0 + timedelta(seconds=90))
        assert deliveries.attempt_write(tx.session, mastodon.id or 0, "a1", post_ids=["7"])  # its first part
    with store.transaction() as tx:
        assert deliveries.posted(tx.session, draft.id or 0, draft.version)
        assert not deliveries.posted(tx.session, draft.id or 0, draft.version + 1)
