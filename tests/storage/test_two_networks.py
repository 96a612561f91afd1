"""One approved version, two networks: each delivery has its own claim, outcome and reconciliation, and one failing
never blocks or repeats the other. Two X stand-ins play the two networks (the second account is labelled Mastodon
in the accounts the publisher is given), tweepy unpatched, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from bot.approval.marking import Marking
from bot.approval.outcomes import Kind
from bot.approval.policy import Policy, Voice
from bot.approval.recovery_moves import cancel_reason
from bot.approval.refs import CardRef
from bot.approval.workflow import Workflow
from bot.delivery.deleter import Deleter
from bot.delivery.publisher import CANDIDATES, Publisher
from bot.delivery.reconcile import LOOK_AGAIN
from bot.delivery.recovery import STOPPED
from bot.networks.base import Network
from bot.networks.x.client import XAccount
from bot.runtime import failpoints
from bot.sandbox import XSandbox
from storage import cards, deliveries
from storage.models import AuditEvent, Draft, Status
from storage.store import Store
from storage.types import utcnow
from tests.clock import FakeClock
from tests.unit.test_workflow import NAMES, OWNER, TEAM, Names, message, ref_of

NETWORKS = ("x", "mastodon")


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[XSandbox, XSandbox]]:
    with XSandbox() as a, XSandbox() as b:
        yield a, b


@pytest.fixture
def x(servers: tuple[XSandbox, XSandbox]) -> XSandbox:
    servers[0].reset()
    return servers[0]


@pytest.fixture
def other(servers: tuple[XSandbox, XSandbox]) -> XSandbox:
    servers[1].reset()
    return servers[1]


def account(sandbox: XSandbox, network: Network) -> XAccount:
    return XAccount(
        api_key=sandbox.consumer_key,
        api_secret="s",
        access_token="t",
        access_token_secret="ts",
        base_url=sandbox.url,
        network=network,
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(utcnow())


@pytest.fixture
def wf(store: Store, clock: FakeClock) -> Workflow:
    return Workflow(
        store,
        Policy(approvers=frozenset({"U0OWNER", "U0PARTNER"}), team_id=TEAM),
        Voice(agency="Acme Agency", template="— drafted by {agency}, approved by {approver}"),
        Names(NAMES),
        clock=clock,
        networks=lambda brand: NETWORKS,
    )


class Seen:
    """The draft's status each time the publisher says it changed."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.statuses: list[str] = []

    def __call__(self, draft_id: int) -> None:
        draft = self.store.get(draft_id)
        assert draft is not None
        self.statuses.append(draft.status)


def publisher(store: Store, x: XSandbox, other: XSandbox, clock: FakeClock, seen: Seen) -> Publisher:
    accounts = {"x": account(x, Network.X), "mastodon": account(other, Network.MASTODON)}
    return Publisher(store, accounts, on_change=seen, worker_id="w1", clock=clock)


def approved(wf: Workflow, text: str) -> Draft:
    draft = wf.submit(message(text)).draft
    assert draft is not None
    outcome = wf.approve(ref_of(draft), OWNER)
    assert outcome.draft is not None and outcome.draft.status == Status.APPROVED
    return outcome.draft


def by_network(store: Store, draft: Draft) -> dict[str, deliveries.Delivery]:
    with store.read() as tx:
        return {d.network: d for d in deliveries.of_draft(tx.session, draft.id or 0)}


def status(store: Store, draft: Draft) -> str:
    found = store.get(draft.id or 0)
    assert found is not None
    return found.status


def test_approval_makes_one_delivery_per_network_each_waiting(wf: Workflow, store: Store) -> None:
    draft = approved(wf, "Two networks, one decision.")
    found = by_network(store, draft)
    assert sorted(found) == sorted(NETWORKS)
    assert {(d.status, d.version, d.attempts) for d in found.values()} == {(Status.APPROVED, draft.version, 0)}
    assert found["x"].final_parts == found["mastodon"].final_parts == draft.final_parts


def test_an_uncertain_answer_on_one_network_is_reconciled_and_the_other_is_published_once(
    wf: Workflow, store: Store, x: XSandbox, other: XSandbox, clock: FakeClock
) -> None:
    draft = approved(wf, "Fresh beans on both networks.")
    x.fail("POST /2/tweets", status=500, record_anyway=True)  # X made the post, then answered 500
    x.fail("GET /2/users/:id/tweets", status=503)  # and its timeline can't say yet
    seen = Seen(store)
    publishing = publisher(store, x, other, clock, seen)

    assert publishing.run_once() == 2
    found = by_network(store, draft)
    assert (found["x"].status, found["mastodon"].status) == (Status.UNKNOWN, Status.PUBLISHED)
    assert seen.statuses == [Status.UNKNOWN, Status.UNKNOWN]  # A unknown (B waiting), then B up and A unknown
    assert len(found["x"].keys or []) == len(found["mastodon"].keys or []) == 1  # chosen before each create call
    assert found["mastodon"].post_ids == [other.live_posts()[0].id]
    assert found["mastodon"].post_url and found["mastodon"].post_url.endswith(other.live_posts()[0].id)

    clock.advance(LOOK_AGAIN[0])
    publishing.run_once()  # the booked look finds A's post; B is not touched again
    found = by_network(store, draft)
    assert (found["x"].status, found["x"].post_ids) == (Status.PUBLISHED, [x.live_posts()[0].id])
    assert status(store, draft) == Status.PUBLISHED and seen.statuses[-1] == Status.PUBLISHED
    assert len(x.live_posts()) == 1 and len(other.live_posts()) == 1  # nothing was sent twice
    assert [r.route for r in other.requests].count("POST /2/tweets") == 1


def test_retry_after_a_failure_on_one_network_runs_that_delivery_alone(
    wf: Workflow, store: Store, x: XSandbox, other: XSandbox, clock: FakeClock
) -> None:
    draft = approved(wf, "Keys fixed, then retried.")
    x.fail("POST /2/tweets", status=401)
    seen = Seen(store)
    publishing = publisher(store, x, other, clock, seen)
    publishing.run_once()
    found = by_network(store, draft)
    assert (found["x"].status, found["mastodon"].status) == (Status.FAILED, Status.PUBLISHED)
    assert status(store, draft) == Status.FAILED  # none in flight, one failed
    assert "401" in (found["x"].last_error or "")

    outcome = wf.retry(ref_of(draft), OWNER)
    assert outcome.draft is not None and outcome.draft.status == Status.APPROVED  # A waits again; B stays up
    assert by_network(store, draft)["mastodon"].status == Status.PUBLISHED
    publishing.run_once()
    found = by_network(store, draft)
    assert (found["x"].status, found["x"].attempts) == (Status.PUBLISHED, 1)  # Retry starts its count afresh
    assert status(store, draft) == Status.PUBLISHED
    assert len(x.live_posts()) == 1 and len(other.live_posts()) == 1
    assert [r.route for r in other.requests].count("POST /2/tweets") == 1  # B was never sent again


CRASHING = """
import sys
from bot.delivery.deleter import Deleter
from bot.delivery.publisher import CANDIDATES, Publisher
from bot.networks.base import Network
from bot.networks.x.client import XAccount
from storage.engine import make_engine
from storage.store import Store

url, x_url, other_url, key = sys.argv[1:5]
def account(base, network):
    return XAccount(api_key=key, api_secret="s", access_token="t", access_token_secret="ts", base_url=base,
                    network=network)
store = Store(make_engine(url))
accounts = {"x": account(x_url, Network.X), "mastodon": account(other_url, Network.MASTODON)}
Publisher(store, accounts, on_change=lambda _id: None, worker_id="crashing").run_once()
"""


def test_a_crash_after_claiming_one_delivery_leaves_the_other_to_go_out_once(
    wf: Workflow, store: Store, x: XSandbox, other: XSandbox, clock: FakeClock
) -> None:
    draft = approved(wf, "The bot dies holding one claim.")
    url = store.engine.url.render_as_string(hide_password=False)
    died = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CRASHING), url, x.url, other.url, x.consumer_key],
        env={"COUNTERSIGN_FAILPOINT": "after-claim", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert died.returncode == failpoints.EXIT_CODE, died.stderr[-2000:]
    found = by_network(store, draft)
    assert (found["x"].status, found["mastodon"].status) == (Status.PUBLISHING, Status.APPROVED)
    assert status(store, draft) == Status.PUBLISHING

    seen = Seen(store)
    publisher(store, x, other, clock, seen).run_once()  # this host sees the holder gone: recovered at once
    found = by_network(store, draft)
    assert found["x"].status == Status.UNKNOWN and STOPPED in (found["x"].last_error or "")
    assert found["mastodon"].status == Status.PUBLISHED and found["mastodon"].attempts == 1
    assert x.live_posts() == [] and len(other.live_posts()) == 1  # A never reached X; B went out once
    assert status(store, draft) == Status.UNKNOWN  # a person settles A (it isn't among the recent posts)


def test_delete_takes_each_networks_posts_down_with_its_own_account(
    wf: Workflow, store: Store, x: XSandbox, other: XSandbox, clock: FakeClock
) -> None:
    draft = approved(wf, "Up on both, then pulled.\n---\nPart two.")
    publishing = publisher(store, x, other, clock, Seen(store))
    publishing.run_once()
    assert status(store, draft) == Status.PUBLISHED
    assert len(x.live_posts()) == len(other.live_posts()) == 2
    pulling = Deleter(store, publishing.accounts, wf.policy, lambda _id: None, clock=clock)
    asked = pulling.request(draft.id or 0, OWNER, "typo")
    assert asked.draft is not None and asked.draft.status == Status.DELETING
    ended = pulling.run(draft.id or 0, asked.attempt_id)
    assert ended is not None and ended.status == Status.DELETED
    assert x.live_posts() == [] and other.live_posts() == []  # every part of each network's thread
    found = by_network(store, draft)
    for network, sandbox in (("x", x), ("mastodon", other)):
        assert found[network].status == Status.DELETED
        assert sorted(found[network].deleted_ids or []) == sorted(sandbox.delete_requests())


def test_a_network_without_an_account_here_fails_its_deliveries_and_never_holds_up_the_queue(
    wf: Workflow, store: Store, x: XSandbox, clock: FakeClock
) -> None:
    """The brand's config names Mastodon but this instance has no account for it (the network was taken out of
    the brand after these approvals, or its credentials are missing here). More of them than one pass looks at
    must not stall X behind them: each fails at once, saying why, audited, and Retry is there once it is fixed."""
    drafts = [approved(wf, f"Number {n} of a busy morning.") for n in range(CANDIDATES + 2)]
    seen = Seen(store)
    publishing = Publisher(store, {"x": account(x, Network.X)}, on_change=seen, worker_id="w1", clock=clock)

    publishing.run_once()
    for draft in drafts:
        found = by_network(store, draft)
        assert (found["x"].status, found["mastodon"].status) == (Status.PUBLISHED, Status.FAILED)
        assert found["mastodon"].attempts == 0  # nothing was sent anywhere for it
        assert found["mastodon"].last_error == (
            "no Mastodon account for brand 'default' on this instance: add it to the brand's networks and its "
            "credentials to the environment, then Retry"
        )
        assert status(store, draft) == Status.FAILED
        with store.read() as tx:
            failures = [e for e in tx.audit_trail(draft.id or 0) if e.action == "publish_failed"]
        assert len(failures) == 1 and "no Mastodon account" in (failures[0].detail or "")
    assert len(x.live_posts()) == len(drafts)  # every X delivery went out, once
    assert publishing.run_once() == 0  # and nothing is left that a pass would look at again


def test_a_stopped_deletion_is_finished_by_its_own_brands_deleter_with_that_brands_accounts(
    wf: Workflow, store: Store, x: XSandbox, other: XSandbox, clock: FakeClock
) -> None:
    """Every brand's deleter looks for stopped deletions on each tick; only the draft's own brand's may take one
    over: another brand's accounts would ask the wrong account to delete the post. On these stand-ins (each one
    account, knowing only its own posts) that reads as already gone; what each real network answers there is not
    checked, which is why the wrong account must never be asked."""
    draft = approved(wf, "Pulled after a restart.")
    publishing = publisher(store, x, other, clock, Seen(store))
    publishing.run_once()
    assert status(store, draft) == Status.PUBLISHED
    own = Deleter(store, publishing.accounts, wf.policy, lambda _id: None, clock=clock, brand=draft.brand)
    south = {"x": account(other, Network.X), "mastodon": account(other, Network.MASTODON)}
    elsewhere = Deleter(store, south, wf.policy, lambda _id: None, clock=clock, brand="south")
    asked = own.request(draft.id or 0, OWNER, "typo")
    assert asked.draft is not None and asked.draft.status == Status.DELETING  # and its holder stops here
    clock.advance(own.lease * 2)

    assert elsewhere.resume() == 0
    assert x.delete_requests() == [] and other.delete_requests() == []
    assert own.resume() == 1
    assert status(store, draft) == Status.DELETED
    assert x.live_posts() == [] and other.live_posts() == []
    assert len(x.delete_requests()) == len(other.delete_requests()) == 1


# -- settling one network of several (the card's per-network buttons: `draft:version:network`) -------------------


def unknown_and_failed(wf: Workflow, store: Store, x: XSandbox, other: XSandbox, clock: FakeClock) -> Draft:
    """X didn't confirm the post (503, and it is not on the account); the other network refused the keys (401)."""
    draft = approved(wf, "One unsure, one refused.")
    x.fail("POST /2/tweets", status=503)
    other.fail("POST /2/tweets", status=401)
    publisher(store, x, other, clock, Seen(store)).run_once()
    found = by_network(store, draft)
    assert (found["x"].status, found["mastodon"].status) == (Status.UNKNOWN, Status.FAILED)
    assert status(store, draft) == Status.UNKNOWN  # the aggregate: a person is needed
    return draft


def test_retry_of_one_network_moves_its_delivery_alone_while_another_is_unknown(
    wf: Workflow, store: Store, x: XSandbox, other: XSandbox, clock: FakeClock
) -> None:
    draft = unknown_and_failed(wf, store, x, other, clock)
    assert wf.retry(ref_of(draft), OWNER).kind is Kind.ALREADY_DECIDED  # all networks: the draft isn't `failed`

    outcome = wf.retry(ref_of(draft).of("mastodon"), OWNER)
    assert outcome.kind is Kind.RETRYING
    found = by_network(store, draft)
    assert (found["x"].status, found["mastodon"].status) == (Status.UNKNOWN, Status.APPROVED)
    assert found["mastodon"].last_error is None and found["x"].last_error  # X's question is still open
    [retry] = [a for a in audit(store, draft) if a.action == "retry"]
    assert (retry.detail, retry.from_status, retry.to_status) == ("mastodon", Status.FAILED, Status.APPROVED)

    publisher(store, x, other, clock, Seen(store)).run_once()
    found = by_network(store, draft)
    assert (found["x"].status, found["mastodon"].status) == (Status.UNKNOWN, Status.PUBLISHED)
    assert x.live_posts() == [] and len(other.live_posts()) == 1  # X was not sent again by Mastodon's Retry


def test_a_second_click_on_one_networks_button_is_refused_and_audited(
    wf: Workflow, store: Store, x: XSandbox, other: XSandbox, clock: FakeClock
) -> None:
    draft = unknown_and_failed(wf, store, x, other, clock)
    assert wf.retry(ref_of(draft).of("mastodon"), OWNER).kind is Kind.RETRYING
    again = wf.retry(ref_of(draft).of("mastodon"), OWNER)
    assert again.kind is Kind.ALREADY_DECIDED
    refused = [a for a in audit(store, draft) if a.action == "refused_already_decided"]
    assert [a.detail for a in refused] == [f"{draft.id}:{draft.version}:mastodon"]  # which button it was
    assert wf.retry(ref_of(draft).of("x"), OWNER).kind is Kind.ALREADY_DECIDED  # X is unknown, not failed
    assert by_network(store, draft)["x"].status == Status.UNKNOWN


def test_publish_again_cancel_and_mark_as_published_each_settle_their_own_network(
    wf: Workflow, store: Store, x: XSandbox, other: XSandbox, clock: FakeClock
) -> None:
    draft = approved(wf, "Neither confirmed.")
    x.fail("POST /2/tweets", status=503)
    other.fail("POST /2/tweets", status=503)
    publishing = publisher(store, x, other, clock, Seen(store))
    publishing.run_once()
    assert {d.status for d in by_network(store, draft).values()} == {Status.UNKNOWN}
    marking = Marking(store, wf, {"x": account(x, Network.X), "mastodon": account(other, Network.MASTODON)})

    assert wf.cancel_unknown(ref_of(draft).of("mastodon"), OWNER).kind is Kind.CANCELLED
    found = by_network(store, draft)
    assert (found["x"].status, found["mastodon"].status) == (Status.UNKNOWN, Status.FAILED)
    assert found["mastodon"].last_error == "cancelled by <@U0OWNER> after Mastodon didn't confirm the post"
    assert marking.mark_published(ref_of(draft).of("x"), OWNER).kind is Kind.MARKED
    found = by_network(store, draft)
    assert (found["x"].status, found["mastodon"].status) == (Status.PUBLISHED, Status.FAILED)
    assert status(store, draft) == Status.FAILED
    assert marking.mark_published(ref_of(draft).of("x"), OWNER).kind is Kind.ALREADY_DECIDED  # a stale card
    assert wf.publish_again(ref_of(draft).of("mastodon"), OWNER).kind is Kind.ALREADY_DECIDED  # failed now
    assert wf.retry(ref_of(draft).of("mastodon"), OWNER).kind is Kind.RETRYING
    publishing.run_once()
    assert status(store, draft) == Status.PUBLISHED
    assert x.live_posts() == [] and len(other.live_posts()) == 1  # marked on X: nothing sent there
    actions = [(a.action, a.detail) for a in audit(store, draft) if a.actor_id == OWNER.user_id]
    assert [a for a in actions if a[0] in ("cancelled", "marked_published", "retry")] == [
        ("cancelled", "mastodon: " + cancel_reason("Mastodon")),
        ("marked_published", "x"),
        ("retry", "mastodon"),
    ]


def test_a_networks_button_from_an_older_version_is_refused(
    wf: Workflow, store: Store, x: XSandbox, other: XSandbox, clock: FakeClock
) -> None:
    draft = unknown_and_failed(wf, store, x, other, clock)
    old = CardRef(draft.id or 0, draft.version - 1, Network.MASTODON)
    assert wf.retry(old, OWNER).kind is Kind.ALREADY_DECIDED
    assert by_network(store, draft)["mastodon"].status == Status.FAILED


def audit(store: Store, draft: Draft) -> list[AuditEvent]:
    with store.read() as tx:
        return tx.audit_trail(draft.id or 0)


def test_one_network_settled_without_moving_the_drafts_status_leaves_its_cards_for_the_catch_up(
    wf: Workflow, store: Store, x: XSandbox, other: XSandbox, clock: FakeClock
) -> None:
    """X and Mastodon both unknown; Cancel Mastodon: the draft stays unknown (X's question is open) but its cards
    show Mastodon's buttons, so they count as behind until an update lands (the catch-up redraws them if Slack
    refused the one the click sent)."""
    draft = approved(wf, "Neither confirmed.")
    x.fail("POST /2/tweets", status=503)
    other.fail("POST /2/tweets", status=503)
    publisher(store, x, other, clock, Seen(store)).run_once()
    with store.transaction() as tx:
        tx.claim_card(draft.id or 0, OWNER.user_id)
        tx.fill_card(draft.id or 0, OWNER.user_id, "D0OWNER", "1700000000.000100")
        [card] = tx.cards(draft.id or 0)
        cards.mark_shown(tx.session, card.id or 0, Status.UNKNOWN, draft.version)
        assert cards.behind(tx.session, 10) == []

    assert wf.cancel_unknown(ref_of(draft).of("mastodon"), OWNER).kind is Kind.CANCELLED
    assert status(store, draft) == Status.UNKNOWN  # X's delivery is still unknown: the aggregate didn't move
    with store.read() as tx:
        assert cards.behind(tx.session, 10) == [draft.id]
