"""Delete, claimed and fenced per delivery (storage/deletions.py, bot/delivery/deleter.py), on two networks (two X
stand-ins, the second labelled Mastodon, tweepy unpatched), on SQLite and PostgreSQL: a holder replaced on one
network can record nothing more there, the network it finished stays finished, a double ask claims once, and a
crash between a network's answer and its record is finished, that part sent once more at most, the rest once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import timedelta

from bot.approval.outcomes import Kind
from bot.approval.workflow import Workflow
from bot.delivery.claimer import Claimer
from bot.delivery.deleter import Deleter
from bot.runtime import failpoints
from bot.sandbox import XSandbox
from storage import deletions
from storage.models import Status
from storage.store import Store
from tests.clock import FakeClock
from tests.storage.test_two_networks import (  # noqa: F401 (fixtures)
    Seen,
    approved,
    by_network,
    clock,
    other,
    publisher,
    servers,
    status,
    wf,
    x,
)
from tests.unit.test_workflow import OWNER


def deleter(store: Store, accounts: object, wf: Workflow, clock: FakeClock, host: str) -> Deleter:  # noqa: F811
    claimer = Claimer(host, 4242, "", "machine")  # a process of another host: never "gone" from here
    return Deleter(store, accounts, wf.policy, lambda _id: None, clock=clock, claimer=claimer)  # type: ignore[arg-type]


def test_each_delivery_is_claimed_under_the_attempt_and_a_second_ask_is_refused(
    wf: Workflow,  # noqa: F811
    store: Store,
    x: XSandbox,  # noqa: F811
    other: XSandbox,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    draft = approved(wf, "Claimed once.")
    publisher(store, x, other, clock, Seen(store)).run_once()
    pulling = deleter(store, publisher(store, x, other, clock, Seen(store)).accounts, wf, clock, "one")

    asked = pulling.request(draft.id or 0, OWNER)
    again = pulling.request(draft.id or 0, OWNER)  # a double click, before anything was deleted

    assert asked.kind is Kind.DELETING and asked.attempt_id
    assert again.kind is Kind.ALREADY_DELETING and again.attempt_id is None
    found = by_network(store, draft)
    assert {(d.status, d.attempt_id) for d in found.values()} == {(Status.DELETING, asked.attempt_id)}
    assert all(d.lease_until is not None and d.claimed_by == str(pulling.claimer) for d in found.values())
    with store.transaction() as tx:  # a stale attempt writes nothing on either network
        for delivery in found.values():
            assert not deletions.attempt_write(tx.session, delivery.id or 0, "stale", deleted_ids=["1"])
    assert x.delete_requests() == [] and other.delete_requests() == []


def test_a_holder_replaced_on_the_second_network_is_fenced_out_there_and_the_first_stays_done(
    wf: Workflow,  # noqa: F811
    store: Store,
    x: XSandbox,  # noqa: F811
    other: XSandbox,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    draft = approved(wf, "Up on both.\n---\nPart two.")
    publisher(store, x, other, clock, Seen(store)).run_once()
    mine = publisher(store, x, other, clock, Seen(store)).accounts  # each holder its own clients
    first = deleter(store, mine, wf, clock, "one")
    second = deleter(store, publisher(store, x, other, clock, Seen(store)).accounts, wf, clock, "two")
    asked = first.request(draft.id or 0, OWNER)
    real_delete = mine["mastodon"].delete
    later = clock() + first.lease + timedelta(seconds=1)

    def slow_delete(post_id: str) -> bool:  # while the first holder waits on Mastodon, the second takes it over
        clock.set(later)
        assert second.resume() == 1
        return real_delete(post_id)

    mine["mastodon"].delete = slow_delete  # type: ignore[method-assign]
    first.run(draft.id or 0, asked.attempt_id)

    found = by_network(store, draft)
    assert {d.status for d in found.values()} == {Status.DELETED}
    assert status(store, draft) == Status.DELETED
    assert sorted(x.delete_requests()) == sorted(found["x"].post_ids or [])  # X: each part once, never taken over
    sent = other.delete_requests()
    assert len(set(sent)) == 2 and len(sent) == 3  # the part both had in flight went twice: harmless
    with store.read() as tx:
        trail = [(a.action, a.detail or "") for a in tx.audit_trail(draft.id or 0)]
    mastodon_parts = [d for a, d in trail if a == "part_deleted" and d.startswith("mastodon ")]
    assert len(mastodon_parts) == 2  # each part recorded once: the replaced holder's record was refused
    assert [a for a, _ in trail if a in ("delete_resumed", "deleted_from_x")] == ["delete_resumed", "deleted_from_x"]


DYING = """
import sys
from bot.approval.policy import Policy
from bot.approval.refs import Actor
from bot.delivery.deleter import Deleter
from bot.networks.base import Network
from bot.networks.x.client import XAccount
from storage.engine import make_engine
from storage.store import Store

url, x_url, other_url, key, draft_id = sys.argv[1:6]
def account(base, network):
    return XAccount(api_key=key, api_secret="s", access_token="t", access_token_secret="ts", base_url=base,
                    network=network)
store = Store(make_engine(url))
accounts = {"x": account(x_url, Network.X), "mastodon": account(other_url, Network.MASTODON)}
pulling = Deleter(store, accounts, Policy(approvers=frozenset({"U0OWNER"}), team_id="T0ACME"), lambda _id: None)
asked = pulling.request(int(draft_id), Actor("U0OWNER", "T0ACME"), "typo")
pulling.run(int(draft_id), asked.attempt_id)
"""


def test_a_crash_after_the_first_networks_delete_call_is_finished_once_on_each_network(
    wf: Workflow,  # noqa: F811
    store: Store,
    x: XSandbox,  # noqa: F811
    other: XSandbox,  # noqa: F811
    clock: FakeClock,  # noqa: F811
) -> None:
    """The process dies just after X deleted its last part, before recording it: both deliveries stay claimed;
    a deleter of this host sees the holder gone, takes both over and finishes: X's part once more at most (gone is
    gone), Mastodon's each once, the draft deleted and audited once."""
    draft = approved(wf, "Up on both, then the bot dies.\n---\nPart two.")
    publishing = publisher(store, x, other, clock, Seen(store))
    publishing.run_once()
    up = by_network(store, draft)
    url = store.engine.url.render_as_string(hide_password=False)
    died = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(DYING), url, x.url, other.url, x.consumer_key, str(draft.id)],
        env={failpoints.VARIABLE: "after-delete-call", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert died.returncode == failpoints.EXIT_CODE, died.stderr[-2000:]
    x_ids, mastodon_ids = up["x"].post_ids or [], up["mastodon"].post_ids or []
    held = by_network(store, draft)
    assert {d.status for d in held.values()} == {Status.DELETING} and not held["x"].deleted_ids  # claims survived
    assert x.delete_requests() == [x_ids[1]] and other.delete_requests() == []

    finishing = Deleter(store, publishing.accounts, wf.policy, lambda _id: None, clock=clock)
    assert finishing.resume() == 1  # its holder's process, of this host, is gone: taken over at once

    found = by_network(store, draft)
    assert {d.status for d in found.values()} == {Status.DELETED}
    assert status(store, draft) == Status.DELETED
    assert x.delete_requests() == [x_ids[1], x_ids[1], x_ids[0]]  # part 2 once more: its answer died with it
    assert other.delete_requests() == [mastodon_ids[1], mastodon_ids[0]]  # never sent twice
    assert x.live_posts() == [] and other.live_posts() == []
    with store.read() as tx:
        actions = [a.action for a in tx.audit_trail(draft.id or 0) if a.action.startswith("delete")]
    assert actions == ["delete_requested", "delete_resumed", "deleted_from_x"]
