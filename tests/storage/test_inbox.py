"""The inbox: a request written down before its ack is handled once, by its receiver or, if that stopped, by a
replay; on SQLite and (with COUNTERSIGN_TEST_DATABASE_URL) PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.inbox import MAX_ATTEMPTS, FollowUp, Inbox, InboxKind
from storage import inbox as queries
from storage.models import InboxItem
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
