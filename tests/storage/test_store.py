"""Storage behaviour that differs by backend, checked on SQLite and (with COUNTERSIGN_TEST_DATABASE_URL) PostgreSQL:
time zones, insert-if-absent, compare-and-set claims, and PostgreSQL's SKIP LOCKED candidate picking."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError
from sqlmodel import Session, col, select

from storage import deliveries
from storage.models import AuditEvent, Draft, SlackEvent, Status
from storage.store import Store
from tests import db
from tests.delivered import due_drafts, insert, x_of

T0 = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def add_draft(store: Store, n: int, status: str = Status.APPROVED, **values: object) -> int:
    draft = Draft(channel="C0DRAFTS", ts=f"1763800000.{n:06d}", writer_id="U0WRITER", text=f"Draft {n}", status=status)
    with store.transaction() as tx:
        return insert(tx, draft, **{"decided_at": T0 + timedelta(seconds=n), **values})


def test_timestamps_come_back_aware_and_in_utc(store: Store) -> None:
    paris_evening = datetime(2026, 11, 22, 23, 30, tzinfo=timezone(timedelta(hours=1)))
    draft_id = add_draft(store, 1, decided_at=paris_evening, next_attempt_at=T0)
    draft = store.get(draft_id)
    assert draft is not None and draft.decided_at is not None
    assert draft.decided_at == paris_evening and draft.decided_at.tzinfo == UTC
    assert draft.decided_at.isoformat() == "2026-11-22T22:30:00+00:00"
    assert draft.created_at.tzinfo == UTC
    with store.transaction() as tx:  # compared in SQL, not only in Python (its X delivery's retry time)
        assert due_drafts(tx, T0 - timedelta(microseconds=1)) == []
        assert due_drafts(tx, T0) == [draft_id]
        assert deliveries.next_due(tx.session) == T0


def test_a_naive_timestamp_is_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive datetime"):
        add_draft(store, 1, decided_at=datetime(2026, 11, 22, 9, 30))


def test_insert_if_absent_tells_the_first_caller_from_the_second(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.first_sighting("Ev01") is True
        assert tx.first_sighting("Ev01") is False
    with store.transaction() as tx:
        assert tx.first_sighting("Ev01") is False
        assert tx.first_sighting("Ev02") is True
    with Session(store.engine) as session:
        assert sorted(e.event_id for e in session.exec(select(SlackEvent))) == ["Ev01", "Ev02"]


def test_racing_claims_have_one_winner(store: Store) -> None:
    draft_id = add_draft(store, 1)
    with store.read() as tx:
        x_id = x_of(tx, draft_id).id or 0
    barrier = threading.Barrier(6)
    won: list[str] = []

    def claim(worker: str) -> None:
        barrier.wait()
        with store.transaction() as tx:
            if deliveries.claimed(tx.session, x_id, f"attempt-{worker}", worker, T0 + timedelta(minutes=1)):
                won.append(worker)

    threads = [threading.Thread(target=claim, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(won) == 1
    with store.read() as tx:
        draft = x_of(tx, draft_id)
    assert (draft.status, draft.claimed_by, draft.attempt_id, draft.attempts) == (
        Status.PUBLISHING,
        won[0],
        f"attempt-{won[0]}",
        1,
    )


def test_an_attempt_writes_only_while_its_delivery_is_publishing_under_it(store: Store) -> None:
    """The fence of every write a publishing attempt makes: its attempt id AND the status. Leaving publishing
    clears the id, so a holder whose delivery was recovered (and re-approved, and re-claimed) never matches again."""
    draft_id = add_draft(store, 1)
    with store.transaction() as tx:
        x = x_of(tx, draft_id).id or 0
        assert deliveries.claimed(tx.session, x, "a1", "w1", T0)
        assert deliveries.attempt_write(tx.session, x, "a1", post_ids=["p1"])
        assert not deliveries.attempt_write(tx.session, x, "a2", post_ids=["x"])  # another attempt's id
        assert deliveries.attempt_write(tx.session, x, "a1", to=Status.UNKNOWN, last_error="recovered")
    with store.read() as tx:
        found = x_of(tx, draft_id)
    assert (found.status, found.attempt_id, found.lease_until) == (Status.UNKNOWN, None, None)
    with store.transaction() as tx:
        assert not deliveries.attempt_write(tx.session, x, "a1", post_ids=["p1", "late"])  # the slow holder's answer
        assert deliveries.move(tx.session, x, frm={Status.UNKNOWN}, to=Status.APPROVED)
        assert not deliveries.attempt_write(tx.session, x, "a1", post_ids=["p1", "late"])  # approved, not publishing
        assert not deliveries.attempt_write(tx.session, x, None, post_ids=["p1", "late"])
        assert deliveries.claimed(tx.session, x, "a2", "w2", T0)
        assert not deliveries.attempt_write(tx.session, x, "a1", post_ids=["p1", "late"])
    with store.read() as tx:
        found = x_of(tx, draft_id)
    assert (found.post_ids, found.attempt_id) == (["p1"], "a2")


@pytest.mark.parametrize("store", [db.POSTGRESQL], indirect=True)  # SQLite writers take turns at BEGIN IMMEDIATE
def test_a_claim_waits_for_a_transaction_holding_the_row_instead_of_giving_up(store: Store) -> None:
    """A losing approve click holds the row for a moment; the publisher's claim must still win after it."""
    draft_id = add_draft(store, 1)
    with store.read() as tx:
        x_id = x_of(tx, draft_id).id or 0
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with store.transaction() as tx:
            tx.session.exec(select(Draft.id).where(col(Draft.id) == draft_id).with_for_update())
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(10)
    threading.Timer(0.2, release.set).start()
    with store.transaction() as tx:
        assert due_drafts(tx, T0) == [draft_id]  # every due row is locked: still a candidate
        assert deliveries.hold_draft(tx.session, draft_id, 1)  # the claim holds the draft's row first: it waits
        assert deliveries.claimed(tx.session, x_id, "attempt-1", "w1", T0 + timedelta(minutes=1))
    holder.join(10)


@pytest.mark.parametrize("store", [db.POSTGRESQL], indirect=True)  # on SQLite the compare-and-set alone decides
def test_instances_pick_different_candidates(store: Store) -> None:
    """While one instance holds the oldest due draft (claiming it), another is offered the next one."""
    first, second = add_draft(store, 1), add_draft(store, 2)
    with store.read() as tx:
        x1, x2 = x_of(tx, first).id, x_of(tx, second).id
    later = T0 + timedelta(hours=1)
    with store.transaction() as a:
        assert deliveries.due(a.session, later, limit=1, postgresql=True) == [x1]
        with store.transaction() as b:
            assert deliveries.due(b.session, later, limit=1, postgresql=True) == [x2]
            assert deliveries.claimed(b.session, x2 or 0, "attempt-b", "b", T0 + timedelta(minutes=1))
        assert deliveries.claimed(a.session, x1 or 0, "attempt-a", "a", T0 + timedelta(minutes=1))
    with store.read() as tx:
        assert [x_of(tx, i).claimed_by for i in (first, second)] == ["a", "b"]


def test_a_compare_and_set_move_reports_whether_it_won(store: Store) -> None:
    draft_id = add_draft(store, 1, status=Status.PENDING)
    with store.transaction() as tx:
        assert tx.move(draft_id, frm={Status.PENDING}, to=Status.APPROVED, at_version=1)
        assert not tx.move(draft_id, frm={Status.PENDING}, to=Status.REJECTED, at_version=1)
    draft = store.get(draft_id)
    assert draft is not None and draft.status == Status.APPROVED


def test_two_deliveries_of_one_message_make_one_draft(store: Store) -> None:
    """Slack can deliver a message twice under different event ids, to two instances at once."""
    inserted = threading.Event()
    results: list[str] = []

    def deliver(n: int, wait_for_other: bool) -> None:
        if wait_for_other:
            inserted.wait(10)
        with store.transaction() as tx:
            if tx.first_sighting(f"Ev{n}") and tx.by_message("C0DRAFTS", "1763800000.000001") is None:
                draft = Draft(channel="C0DRAFTS", ts="1763800000.000001", writer_id="U0WRITER", text="Once.")
                tx.insert_draft(draft, author_id="U0WRITER")
                inserted.set()
                time.sleep(0.3)  # still uncommitted while the second delivery looks
                results.append("inserted")
            else:
                results.append("duplicate")

    threads = [threading.Thread(target=deliver, args=(n, n == 2)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["duplicate", "inserted"]


def test_a_read_sees_committed_rows_while_a_writer_holds_the_lock(store: Store) -> None:
    """Status and App Home reads must not queue behind a write (on SQLite: a DEFERRED snapshot in WAL mode)."""
    draft_id = add_draft(store, 1, status=Status.PENDING)
    writing, done = threading.Event(), threading.Event()

    def writer() -> None:
        with store.transaction() as tx:
            tx.move(draft_id, frm={Status.PENDING}, to=Status.APPROVED)
            writing.set()
            done.wait(10)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert writing.wait(5)
        started = time.monotonic()
        with store.read() as tx:
            seen = tx.get(draft_id)
        assert time.monotonic() - started < 1.0, "the read waited for the writer"
        assert seen is not None and seen.status == Status.PENDING  # the writer hasn't committed
    finally:
        done.set()
        thread.join(10)
    after = store.get(draft_id)
    assert after is not None and after.status == Status.APPROVED


def test_writers_in_one_process_take_turns_without_errors(store: Store) -> None:
    draft_ids = [add_draft(store, n, status=Status.PENDING) for n in range(1, 9)]
    barrier = threading.Barrier(len(draft_ids))
    errors: list[BaseException] = []

    def decide(draft_id: int) -> None:
        barrier.wait()
        try:
            for _ in range(20):
                with store.transaction() as tx:
                    tx.move(draft_id, frm={Status.PENDING, Status.APPROVED}, to=Status.APPROVED)
                    tx.audit(draft_id, "approved", actor_id="U0OWNER", to=Status.APPROVED, version=1)
        except BaseException as exc:  # surfaced below with the thread's error
            errors.append(exc)

    threads = [threading.Thread(target=decide, args=(i,)) for i in draft_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    with store.read() as tx:
        assert len(tx.session.exec(select(AuditEvent).where(AuditEvent.action == "approved")).all()) == 160


def test_a_scheduled_draft_is_due_at_its_time_and_not_once_past_the_grace(store: Store) -> None:
    grace = timedelta(minutes=5)
    now_draft = add_draft(store, 1)
    scheduled = add_draft(store, 2, publish_at=T0 + timedelta(hours=1))
    late = add_draft(store, 3, publish_at=T0 - timedelta(minutes=6))
    retrying = add_draft(store, 4, publish_at=T0 - timedelta(hours=1), attempts=1)
    within = add_draft(store, 5, publish_at=T0 - timedelta(minutes=4))
    with store.read() as tx:
        assert due_drafts(tx, T0, grace=grace) == [now_draft, retrying, within]
        assert scheduled in due_drafts(tx, T0 + timedelta(hours=1), grace=grace)
    from storage import schedule

    with store.read() as tx:
        assert schedule.next_publish_at(tx.session, T0) == T0 + timedelta(hours=1)
        assert [d.id for d in schedule.late(tx.session, T0, grace)] == [late]


def test_a_claim_returns_the_row_as_claimed_and_a_second_claim_returns_nothing(store: Store) -> None:
    draft_id = add_draft(store, 1, final_parts=["One", "Two"], post_ids=["1001"])
    until = T0 + timedelta(seconds=90)
    with store.transaction() as tx:
        x = x_of(tx, draft_id).id or 0
        claimed = deliveries.claimed(tx.session, x, "attempt-1", "host-1", until)
    assert claimed is not None
    seen = (claimed.id, claimed.status, claimed.attempt_id, claimed.claimed_by, claimed.lease_until, claimed.attempts)
    assert seen == (x, Status.PUBLISHING, "attempt-1", "host-1", until, 1)
    assert (claimed.final_parts, claimed.post_ids, claimed.draft_id) == (["One", "Two"], ["1001"], draft_id)
    with store.transaction() as tx:
        assert deliveries.claimed(tx.session, x, "attempt-2", "host-2", until) is None


def test_moved_returns_the_row_as_moved_and_none_when_another_move_won(store: Store) -> None:
    draft_id = add_draft(store, 900, status=Status.PENDING)
    with store.transaction() as tx:
        held = tx.get(draft_id)  # a copy this session holds is replaced by the returned row, not left stale
        row = tx.moved(draft_id, frm={Status.PENDING}, to=Status.REJECTED, at_version=1, reason="no")
        assert row is not None and (row.status, row.reason, row.version) == (Status.REJECTED, "no", 1)
        assert held is row
        assert tx.moved(draft_id, frm={Status.PENDING}, to=Status.APPROVED) is None  # decided already
        assert tx.moved(draft_id, frm={Status.REJECTED}, to=Status.PENDING, at_version=2) is None  # not that version
    assert (store.get(draft_id) or Draft()).status == Status.REJECTED
