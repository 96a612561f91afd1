"""The newest edit and the deletion of a drafts-channel message: each one guarded statement, on both backends."""

from __future__ import annotations

import threading

from bot.intake.message_life import order_key
from storage import messages
from storage.messages import EditIs
from storage.store import Store
from storage.types import utcnow

CHANNEL, TS = "C0DRAFTS", "1763800000.000100"


def edit(store: Store, stamp: str | None) -> EditIs:
    with store.transaction() as tx:
        return messages.record_edit(tx.session, CHANNEL, TS, order_key(stamp) if stamp else None)


def delete(store: Store) -> bool:
    with store.transaction() as tx:
        return messages.record_deletion(tx.session, CHANNEL, TS, utcnow())


def test_only_a_newer_edit_is_the_newest(store: Store) -> None:
    assert edit(store, "1763800009.000100") is EditIs.NEWEST
    assert edit(store, "1763800009.000100") is EditIs.REPEATED
    assert edit(store, "1763800005.000100") is EditIs.OLDER
    assert edit(store, "1763800010.000100") is EditIs.NEWEST
    with store.read() as tx:
        row = messages.get(tx.session, CHANNEL, TS)
    assert row is not None and row.newest_edit == order_key("1763800010.000100") and row.deleted_at is None


def test_after_a_deletion_no_edit_counts_and_the_deletion_is_reported_once(store: Store) -> None:
    assert edit(store, None) is EditIs.NEWEST  # no stamp: nothing to order by, nothing recorded
    with store.read() as tx:
        assert messages.get(tx.session, CHANNEL, TS) is None
    assert delete(store) is True
    assert delete(store) is False  # the tombstone's own message_deleted, or a redelivery
    assert edit(store, "1763800099.000100") is EditIs.DELETED
    assert edit(store, "1763800001.000100") is EditIs.DELETED
    assert edit(store, None) is EditIs.DELETED


def test_a_deletion_after_edits_is_the_first_deletion(store: Store) -> None:
    assert edit(store, "1763800009.000100") is EditIs.NEWEST
    assert delete(store) is True and delete(store) is False


def test_concurrent_deliveries_of_one_edit_make_it_newest_once(store: Store) -> None:
    results: list[EditIs] = []
    barrier = threading.Barrier(4)

    def deliver() -> None:
        barrier.wait()
        with store.transaction() as tx:
            tx.by_message(CHANNEL, TS)  # what the workflow takes first: the message's turn, on PostgreSQL
            results.append(messages.record_edit(tx.session, CHANNEL, TS, order_key("1763800009.000100")))

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == sorted([EditIs.NEWEST] + [EditIs.REPEATED] * 3)
