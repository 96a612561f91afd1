"""The inbox: a request written down before its ack is handled once, by its receiver or, if that stopped, by a
replay; on SQLite and (with COUNTERSIGN_TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlmodel import select

from bot.intake.inbox import MAX_ATTEMPTS, FollowUp, Inbox, InboxKind
from storage import inbox as queries
from storage.models import AuditEvent, InboxItem
from storage.store import Store

T0 = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
LEASE = timedelta(seconds=60)
BODY = {"type": "event_callback", "event_id": "Ev01", "event": {"type": "message", "text": "Beans \u0000 \ud800"}}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


class Recorder:
    """A handler that notes what it was given and what followed."""

    def __init__(self, fail: int = 0) -> None:
        self.calls: list[tuple[dict[str, Any], bool]] = []
        self.followed = 0
        self.fail = fail

    def __call__(self, body: dict[str, Any], replay: bool) -> FollowUp:
        self.calls.append((body, replay))
        if len(self.calls) <= self.fail:
            raise RuntimeError("the database went away")
        return self.follow

    def follow(self) -> None:
        self.followed += 1


def instance(store: Store, worker: str, clock: Clock, handler: Recorder) -> Inbox:
    inbox = Inbox(store, worker, LEASE, clock=clock)
    inbox.handle(InboxKind.MESSAGE, handler)
    return inbox


def rows(store: Store) -> list[InboxItem]:
    with store.read() as tx:
        return list(tx.session.exec(select(InboxItem)).all())


def test_the_receiver_handles_it_once_and_the_row_is_gone(store: Store) -> None:
    clock, handler = Clock(), Recorder()
    inbox = instance(store, "host-1", clock, handler)
    item_id = inbox.receive(InboxKind.MESSAGE, BODY)
    [row] = rows(store)
    assert (row.id, row.owner, row.lease_until, row.attempts) == (item_id, "host-1", T0 + LEASE, 0)
    assert inbox.process_now(item_id, InboxKind.MESSAGE, BODY) is True
    assert handler.calls == [(BODY, False)] and handler.followed == 1
    assert rows(store) == []
    assert inbox.process_now(item_id, InboxKind.MESSAGE, BODY) is False  # a second go finds nothing
    assert len(handler.calls) == 1


def test_a_stopped_receivers_request_is_replayed_after_its_lease_by_another_instance(store: Store) -> None:
    clock, dead, alive = Clock(), Recorder(), Recorder()
    receiver = instance(store, "host-1", clock, dead)
    other = instance(store, "host-2", clock, alive)
    receiver.receive(InboxKind.MESSAGE, BODY)  # acked, then the process died
    assert other.replay(T0 + LEASE) == 0, "replayed while the receiver's lease held"
    assert other.next_expiry() == T0 + LEASE
    clock.now = T0 + LEASE + timedelta(seconds=1)
    assert other.replay() == 1
    assert alive.calls == [(BODY, True)]  # the JSON round trip kept the NUL and the lone surrogate
    assert alive.followed == 1 and dead.calls == []
    assert rows(store) == [] and other.next_expiry() is None


def test_a_slow_receiver_loses_to_the_replay_and_does_nothing(store: Store) -> None:
    clock, slow, replayer = Clock(), Recorder(), Recorder()
    receiver = instance(store, "host-1", clock, slow)
    item_id = receiver.receive(InboxKind.MESSAGE, BODY)
    clock.now = T0 + LEASE + timedelta(seconds=1)
    assert instance(store, "host-2", clock, replayer).replay() == 1
    assert receiver.process_now(item_id, InboxKind.MESSAGE, BODY) is False
    assert slow.calls == [] and len(replayer.calls) == 1


def test_a_replay_never_takes_a_request_its_receiver_is_handling(store: Store) -> None:
    clock = Clock()
    inbox = instance(store, "host-1", clock, Recorder())
    item_id = inbox.receive(InboxKind.MESSAGE, BODY)
    with store.transaction() as tx:  # the receiver's attempt has begun (the handler is running)
        assert queries.take(tx.session, item_id, "host-1", T0 + LEASE)
    assert instance(store, "host-1", clock, Recorder()).replay(T0 + timedelta(seconds=1)) == 0


def test_a_request_that_keeps_failing_is_kept_after_three_attempts_and_not_replayed_again(store: Store) -> None:
    clock, handler = Clock(), Recorder(fail=MAX_ATTEMPTS)
    inbox = instance(store, "host-1", clock, handler)
    item_id = inbox.receive(InboxKind.MESSAGE, BODY)
    with pytest.raises(RuntimeError):
        inbox.process_now(item_id, InboxKind.MESSAGE, BODY)
    for _ in range(MAX_ATTEMPTS + 1):
        clock.now += LEASE + timedelta(seconds=1)
        assert inbox.replay() == 0
    assert len(handler.calls) == MAX_ATTEMPTS and handler.followed == 0
    [row] = rows(store)
    assert row.attempts == MAX_ATTEMPTS
    assert inbox.next_expiry() is None  # nothing left to wake up for


def test_a_failed_attempt_is_retried_by_the_next_replay(store: Store) -> None:
    clock, handler = Clock(), Recorder(fail=1)
    inbox = instance(store, "host-1", clock, handler)
    item_id = inbox.receive(InboxKind.MESSAGE, BODY)
    with pytest.raises(RuntimeError):
        inbox.process_now(item_id, InboxKind.MESSAGE, BODY)
    clock.now += LEASE + timedelta(seconds=1)
    assert inbox.replay() == 1
    assert [replay for _, replay in handler.calls] == [False, True]
    assert handler.followed == 1 and rows(store) == []


# -- a handler whose move is one transaction: the row's end rides in it ---------------------------------------


class Mover(Recorder):
    """A one-transaction handler: it writes an audit row (its "move") in one transaction; `before` runs first."""

    def __init__(self, store: Store, fail: int = 0, before: Any = None) -> None:
        super().__init__(fail)
        self.store, self.before = store, before

    def __call__(self, body: dict[str, Any], replay: bool) -> FollowUp:
        if self.before is not None:
            self.before()
        follow = super().__call__(body, replay)
        with self.store.transaction() as tx:
            tx.audit(None, "moved", actor_id="U1", detail=str(replay))
        return follow


def riding(store: Store, worker: str, clock: Clock, handler: Recorder) -> Inbox:
    inbox = Inbox(store, worker, LEASE, clock=clock)
    inbox.handle(InboxKind.MESSAGE, handler, one_transaction=True)
    return inbox


def moves(store: Store) -> list[str | None]:
    with store.read() as tx:
        return [a.detail for a in tx.session.exec(select(AuditEvent).where(AuditEvent.action == "moved")).all()]


def test_a_one_transaction_move_and_its_rows_end_commit_together(store: Store) -> None:
    clock = Clock()
    handler = Mover(store)
    inbox = riding(store, "host-1", clock, handler)
    item_id = inbox.receive(InboxKind.MESSAGE, BODY)
    assert inbox.process_now(item_id, InboxKind.MESSAGE, BODY) is True
    assert rows(store) == [] and moves(store) == ["False"] and handler.followed == 1
    assert inbox.process_now(item_id, InboxKind.MESSAGE, BODY) is False
    assert moves(store) == ["False"]


def test_a_receiver_overtaken_while_handling_rolls_its_move_back_and_the_replay_makes_it(store: Store) -> None:
    clock = Clock()
    replayer = Mover(store)
    other = riding(store, "host-2", clock, replayer)

    def the_lease_runs_out_and_another_instance_replays() -> None:
        clock.now = T0 + LEASE + timedelta(seconds=1)
        replayed: list[int] = []
        scheduler = threading.Thread(target=lambda: replayed.append(other.replay()))  # its own thread, as in the app
        scheduler.start()
        scheduler.join()
        assert replayed == [1]

    slow = Mover(store, before=the_lease_runs_out_and_another_instance_replays)
    receiver = riding(store, "host-1", clock, slow)
    item_id = receiver.receive(InboxKind.MESSAGE, BODY)
    assert receiver.process_now(item_id, InboxKind.MESSAGE, BODY) is False
    assert moves(store) == ["True"], "the receiver's move was kept beside the replay's"
    assert slow.followed == 0 and replayer.followed == 1 and rows(store) == []


def test_a_one_transaction_handler_does_not_start_on_a_row_already_replayed(store: Store) -> None:
    clock, slow, replayer = Clock(), Mover(store), Mover(store)
    receiver = riding(store, "host-1", clock, slow)
    item_id = receiver.receive(InboxKind.MESSAGE, BODY)
    clock.now = T0 + LEASE + timedelta(seconds=1)
    assert riding(store, "host-2", clock, replayer).replay() == 1
    assert receiver.process_now(item_id, InboxKind.MESSAGE, BODY) is False
    assert slow.calls == [] and moves(store) == ["True"]


def test_a_one_transaction_handler_that_moves_nothing_still_ends_the_row(store: Store) -> None:
    clock, handler = Clock(), Recorder()  # opens no transaction (a bot's message: nothing to do)
    inbox = riding(store, "host-1", clock, handler)
    item_id = inbox.receive(InboxKind.MESSAGE, BODY)
    assert inbox.process_now(item_id, InboxKind.MESSAGE, BODY) is True
    assert rows(store) == [] and handler.followed == 1


def test_a_failing_one_transaction_handler_counts_its_attempt_and_keeps_the_row(store: Store) -> None:
    clock, handler = Clock(), Mover(store, fail=MAX_ATTEMPTS)
    inbox = riding(store, "host-1", clock, handler)
    item_id = inbox.receive(InboxKind.MESSAGE, BODY)
    with pytest.raises(RuntimeError):
        inbox.process_now(item_id, InboxKind.MESSAGE, BODY)
    [row] = rows(store)
    assert (row.attempts, row.lease_until) == (1, T0 + LEASE)
    for _ in range(MAX_ATTEMPTS + 1):
        clock.now += LEASE + timedelta(seconds=1)
        assert inbox.replay() == 0
    assert len(handler.calls) == MAX_ATTEMPTS and handler.followed == 0 and moves(store) == []
    [row] = rows(store)
    assert row.attempts == MAX_ATTEMPTS


def test_a_fresh_receipt_is_handled_in_the_moves_one_transaction_and_a_stale_one_is_looked_at_first(
    store: Store,
) -> None:
    clock = Clock()
    inbox = riding(store, "host-1", clock, Mover(store))
    begun: list[object] = []

    def count(connection: object) -> None:
        begun.append(connection)

    event.listen(store.engine, "begin", count)
    try:
        fresh = inbox.receive(InboxKind.MESSAGE, BODY)
        begun.clear()
        assert inbox.process_now(fresh, InboxKind.MESSAGE, BODY) is True
        assert len(begun) == 1, "more than the move's own transaction"
        stale = inbox.receive(InboxKind.MESSAGE, BODY)
        clock.now = T0 + LEASE  # its lease has run out: a replay may have it
        begun.clear()
        assert inbox.process_now(stale, InboxKind.MESSAGE, BODY) is True
        assert len(begun) == 2
    finally:
        event.remove(store.engine, "begin", count)
    assert rows(store) == [] and moves(store) == ["False", "False"]
