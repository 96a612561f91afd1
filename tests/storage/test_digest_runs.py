"""A week's digest run: who may take it, and when a dead sender's claim becomes uncertain instead of re-sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import digest_runs
from storage.store import Store

NOW = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
STALE = timedelta(minutes=10)
W = "2026-W45"


def claim(store: Store, worker: str, at: datetime) -> bool:
    with store.transaction() as tx:
        return digest_runs.claim(tx.session, "default", W, worker, at, at - STALE)


def test_one_claim_per_week_until_it_is_stale(store: Store) -> None:
    assert claim(store, "a", NOW)
    assert not claim(store, "b", NOW + timedelta(minutes=1))
    assert claim(store, "b", NOW + STALE + timedelta(seconds=1))  # a died while building it: nothing was sent


def test_a_sender_that_died_posting_leaves_the_week_uncertain_not_re_sent(store: Store) -> None:
    assert claim(store, "a", NOW)
    with store.transaction() as tx:
        assert digest_runs.mark_posting(tx.session, "default", W, "a", NOW)
    later = NOW + STALE + timedelta(seconds=1)
    assert not claim(store, "b", later)
    with store.transaction() as tx:
        assert digest_runs.died_posting(tx.session, "default", W, later, later - STALE)
        assert not digest_runs.died_posting(tx.session, "default", W, later, later - STALE)  # once
    with store.read() as tx:
        run = digest_runs.get(tx.session, "default", W)
    assert run is not None and run.uncertain_at == later and run.sent_at is None
    assert not claim(store, "b", later + timedelta(days=1))


def test_a_refused_run_is_taken_again_only_from_its_retry_time(store: Store) -> None:
    assert claim(store, "a", NOW)
    with store.transaction() as tx:
        digest_runs.refused(tx.session, "default", W, "a", "not_in_channel", NOW + timedelta(minutes=10), 1)
    assert not claim(store, "b", NOW + timedelta(minutes=9))
    assert claim(store, "b", NOW + timedelta(minutes=10))
    with store.transaction() as tx:
        assert digest_runs.take_telling(tx.session, "default", W, NOW)
        assert not digest_runs.take_telling(tx.session, "default", W, NOW)
