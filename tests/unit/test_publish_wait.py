"""A decision's handler waiting for the publisher (bot.delivery.publish_wait): shown, released, or timed out."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from bot.delivery.publish_wait import Waiters, goes_out_now
from storage.models import Delivery, Draft, Status

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_an_outcome_shown_by_the_publisher_ends_the_wait_with_nothing_left_to_show() -> None:
    waiters = Waiters()
    waiter = waiters.expect(7)
    threading.Timer(0.05, waiters.shown, args=(7,)).start()
    started = time.monotonic()
    assert waiter.wait(timeout=5) is True
    assert time.monotonic() - started < 2


def test_a_pass_begun_after_the_wait_that_did_not_publish_releases_it_at_once() -> None:
    waiters = Waiters()
    waiter = waiters.expect(7)
    begun = waiters.pass_begins()
    waiters.pass_ends(begun)  # paused, claimed elsewhere: this publisher won't show the outcome soon
    started = time.monotonic()
    assert waiter.wait(timeout=5) is False
    assert time.monotonic() - started < 2


def test_a_pass_begun_before_the_wait_leaves_it_waiting() -> None:
    waiters = Waiters()
    begun = waiters.pass_begins()  # may have read the queue before the decision committed
    waiter = waiters.expect(7)
    waiters.pass_ends(begun)
    assert waiter.wait(timeout=0.05) is False and not waiter.event.is_set()  # timed out, not released
    waiters.shown(8)  # another draft's outcome is not this one's
    assert not waiter.event.is_set()


def test_a_forgotten_wait_is_not_set_later_and_a_newer_one_for_the_draft_stays() -> None:
    waiters = Waiters()
    old = waiters.expect(7)
    new = waiters.expect(7)
    waiters.forget(7, old)  # the older handler gave up: the newer registration is kept
    waiters.shown(7)
    assert new.shown and not old.shown


def test_only_an_approval_due_now_waits_for_the_publisher() -> None:
    def draft(**values: object) -> Draft:
        return Draft(channel="C", ts="1.0", writer_id="U", text="t", status=Status.APPROVED, **values)

    def retry(at: datetime | None, status: Status = Status.APPROVED) -> Delivery:
        return Delivery(draft_id=1, version=1, network="x", status=status, next_attempt_at=at)

    assert goes_out_now(draft(), [retry(None)], NOW)
    assert goes_out_now(draft(publish_at=NOW - timedelta(seconds=1), undo_until=NOW), [], NOW)
    assert not goes_out_now(draft(undo_until=NOW + timedelta(seconds=30)), [], NOW)  # UNDO_WINDOW: its card at once
    assert not goes_out_now(draft(publish_at=NOW + timedelta(hours=1)), [], NOW)  # scheduled
    assert not goes_out_now(draft(), [retry(NOW + timedelta(seconds=4))], NOW)  # a retry postponed
    # of several networks, the earliest booked retry says when the publisher may take it
    assert goes_out_now(draft(), [retry(NOW + timedelta(hours=1)), retry(NOW - timedelta(seconds=1))], NOW)
    assert not goes_out_now(draft(), [retry(NOW + timedelta(hours=1)), retry(NOW + timedelta(seconds=4))], NOW)
    assert not goes_out_now(Draft(channel="C", ts="1.0", writer_id="U", text="t", status=Status.REJECTED), [], NOW)
    assert not goes_out_now(None, [], NOW)
