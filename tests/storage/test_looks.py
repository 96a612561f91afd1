"""Looking for an unknown post on X again: the schedule is kept in the database and ends after the last look."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.delivery.reconcile import LOOK_AGAIN, Reconciler
from bot.networks.x.client import XAccount
from bot.sandbox import XSandbox
from storage import deliveries
from storage.models import Draft, Status
from storage.store import Store
from tests.delivered import x_of

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(scope="module")
def x() -> Iterator[XSandbox]:
    sandbox = XSandbox().start()
    yield sandbox
    sandbox.stop()


def unknown_draft(store: Store) -> int:
    draft = Draft(
        channel="C0DRAFTS",
        ts="1764590000.000001",
        writer_id="U0WRITER",
        text="Never made it.",
        status=Status.UNKNOWN,
        final_parts=["Never made it."],
        decided_at=T0,
    )
    with store.transaction() as tx:
        tx.insert_draft(draft, author_id="U0WRITER", last_error="X answered 503")
    assert draft.id is not None
    return draft.id


def test_each_miss_books_the_next_look_until_the_last(store: Store, x: XSandbox) -> None:
    x.reset()
    clock = Clock()
    account = XAccount(
        api_key=x.consumer_key, api_secret="s", access_token="t", access_token_secret="ts", base_url=x.url
    )
    reconciler = Reconciler(store, account, clock=clock)
    draft_id = unknown_draft(store)
    booked = []
    with store.read() as tx:
        x_id = x_of(tx, draft_id).id or 0
    for _ in range(len(LOOK_AGAIN) + 1):
        assert reconciler.settle(x_id) is False
        draft = store.get(draft_id)
        assert draft is not None and draft.status == Status.UNKNOWN
        with store.read() as tx:
            delivery = x_of(tx, draft_id)
            assert delivery.status == Status.UNKNOWN
            booked.append(delivery.next_attempt_at)
            assert deliveries.looks_due(tx.session, clock.now) == []
            if delivery.next_attempt_at is not None:
                assert deliveries.looks_due(tx.session, delivery.next_attempt_at) == [x_id]
                clock.now = delivery.next_attempt_at
    offsets = [(b - T0).total_seconds() if b else None for b in booked]
    assert offsets == [5, 15, 30, 60, 120, None]  # a few looks over two minutes, then the approvers decide
    with store.read() as tx:
        delivery = x_of(tx, draft_id)
    assert delivery.looks == len(LOOK_AGAIN) + 1
    assert delivery.last_error == "X answered 503; it is not among the account's recent posts"


def test_a_look_taken_by_another_instance_is_not_taken_twice(store: Store, x: XSandbox) -> None:
    draft_id = unknown_draft(store)
    with store.transaction() as tx:
        delivery = x_of(tx, draft_id)
        x_id, looks = delivery.id or 0, delivery.looks
        assert deliveries.look(tx.session, x_id, looks, T0 + timedelta(seconds=5))
        assert not deliveries.look(tx.session, x_id, looks, T0 + timedelta(seconds=5))
