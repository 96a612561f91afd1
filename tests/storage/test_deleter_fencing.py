"""The Deleter's claim against a real database and the X stand-in (tweepy unpatched): a live claim is never taken
over, an abandoned one is, and the holder it replaced can record nothing and delete nothing more."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.approval.policy import Policy
from bot.approval.refs import Actor
from bot.delivery.claimer import Claimer
from bot.delivery.deleter import Deleter
from bot.networks.x.client import XAccount
from bot.sandbox import XSandbox
from storage.models import Draft, Status
from storage.store import Store

OWNER = Actor("U0OWNER", "T0ACME")
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def server() -> Iterator[XSandbox]:
    with XSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def x(server: XSandbox) -> XSandbox:
    server.reset()
    return server


def deleter(store: Store, x: XSandbox, changes: list[int], host: str = "here") -> Deleter:
    account = XAccount(
        api_key=x.consumer_key, api_secret="s", access_token="t", access_token_secret="ts", base_url=x.url
    )
    claimer = Claimer(host, 4242, "", "machine")  # a process of another host: never "gone" from here
    policy = Policy(approvers=frozenset({OWNER.user_id}), team_id="T0ACME")
    return Deleter(store, account, policy, changes.append, clock=lambda: NOW, claimer=claimer)


def published(store: Store, x: XSandbox, parts: int = 3) -> int:
    account = XAccount(
        api_key=x.consumer_key, api_secret="s", access_token="t", access_token_secret="ts", base_url=x.url
    )
    ids: list[str] = []
    for n in range(parts):
        ids.append(account.post(f"part {n + 1}", reply_to=ids[-1] if ids else None).id)
    draft = Draft(channel="C0DRAFTS", ts="1.000001", writer_id="U0WRITER", text="t", status=Status.PUBLISHED)
    with store.transaction() as tx:
        tx.insert_draft(draft, author_id="U0WRITER", post_ids=ids, post_url=f"https://x.com/acmecoffee/status/{ids[0]}")
    assert draft.id is not None
    return draft.id


def test_a_live_claim_is_left_alone_and_an_abandoned_one_is_finished(store: Store, x: XSandbox) -> None:
    changes: list[int] = []
    first, second = deleter(store, x, changes, "one"), deleter(store, x, changes, "two")
    draft_id = published(store, x)
    claimed = first.request(draft_id, OWNER)
    assert claimed.draft is not None and claimed.draft.status == Status.DELETING

    assert second.resume(NOW) == 0  # its lease runs: the holder may be mid-call
    assert x.delete_requests() == []

    later = NOW + first.lease + timedelta(seconds=1)
    assert second.resume(later) == 1  # the holder stopped: taken over with a new attempt id, and finished
    done = store.get(draft_id)
    assert done is not None and done.status == Status.DELETED and len(x.delete_requests()) == 3

    assert first.run(draft_id, claimed.attempt_id) is not None  # the old holder wakes up: fenced out
    assert len(x.delete_requests()) == 3
    with store.read() as tx:
        actions = [a.action for a in tx.audit_trail(draft_id)]
    assert actions == [
        "delete_requested",
        "delete_resumed",
        "part_deleted",
        "part_deleted",
        "part_deleted",
        "deleted_from_x",
    ]
    assert changes == [draft_id]


def test_a_holder_replaced_mid_thread_stops_at_its_next_record(store: Store, x: XSandbox) -> None:
    changes: list[int] = []
    first, second = deleter(store, x, changes, "one"), deleter(store, x, changes, "two")
    draft_id = published(store, x)
    claimed = first.request(draft_id, OWNER)
    assert claimed.draft is not None
    later = NOW + first.lease + timedelta(seconds=1)

    real_delete = first.accounts["x"].delete

    def slow_delete(post_id: str) -> bool:  # while the first holder waits on X, the second takes the claim over
        second.resume(later)
        return real_delete(post_id)

    first.accounts["x"].delete = slow_delete  # type: ignore[method-assign]
    first.run(draft_id, claimed.attempt_id)

    done = store.get(draft_id)
    assert done is not None and done.status == Status.DELETED
    sent = x.delete_requests()
    assert len(sent) == 4 and len(set(sent)) == 3  # the part both had in flight went twice: harmless, gone is gone
    with store.read() as tx:
        parts = [a.detail for a in tx.audit_trail(draft_id) if a.action == "part_deleted"]
    assert len(parts) == 3  # each part recorded once: the replaced holder's record was refused
