"""Issue 4, point 3: the process dies mid-publish; a restart on the same database loses nothing and posts nothing twice.

The process that dies is `countersign run --http`, a subprocess against the sandboxes with the default 90-second
publish lease, which a restart on the same host need not wait for (the claim names a process that no longer
exists): `COUNTERSIGN_FAILPOINT` makes it exit (code 86) at one step of publishing, or the test SIGKILLs it. It is
restarted without the failpoint on the same database (as a subprocess, or in-process when the test drives the
scheduler's tick itself), and the story is checked from what crossed the wire (X's posts, Slack's cards) and from
the database: no draft and no decision lost, at most one post per draft, and every draft in a state a person can
see and act on.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
import requests
from sqlalchemy import delete
from sqlmodel import col, select

from bot.runtime import failpoints
from bot.sandbox import SlackDriver, SlackSandbox, XSandbox
from bot.sandbox.slack_api import Message, dm_channel_for
from storage import deliveries
from storage.engine import make_engine
from storage.models import Card, Delivery, Draft, InboxItem
from storage.store import Store
from storage.types import utcnow
from tests.delivered import x_delivery
from tests.e2e import seed
from tests.e2e.harness import (
    DRAFTS,
    OWNER,
    OWNER2,
    SECRET,
    WRITER,
    Harness,
    app_env,
    attribution,
    block_text,
    buttons,
    posted,
)
from tests.e2e.test_running import free_port

T = TypeVar("T")
CLI = [sys.executable, "-m", "bot"]
LEASE = "2s"  # REQUEST_LEASE: how long a received request is its receiver's before any instance replays it
DECISION = ["Approve", "Edit", "Request changes", "Reject"]
SETTLE = ["Mark as published", "Publish again", "Cancel"]
KILLED = -signal.SIGKILL


# -- the app as a process ------------------------------------------------------------------------------


@dataclass
class AppProcess:
    """One `countersign run --http` process; its output goes to a file (a pipe nobody reads could fill up)."""

    process: subprocess.Popen[bytes]
    url: str
    output: Path
    driver: SlackDriver = field(init=False)

    def __post_init__(self) -> None:
        self.driver = SlackDriver(f"{self.url}/slack/events", SECRET)

    def wait_healthy(self, timeout: float = 30) -> None:
        def healthy() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the app exited with {self.process.returncode} while starting:\n{self.log()}")
            try:
                return requests.get(f"{self.url}/healthz", timeout=1).status_code == 200
            except requests.ConnectionError:
                return False

        eventually(healthy, timeout, f"{self.url} healthy")

    def wait_exit(self, timeout: float = 15) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the app did not exit within {timeout} s:\n{self.log()}") from None

    def stop(self) -> int:
        """SIGTERM: finish in-flight work, then exit 0."""
        if self.process.poll() is None:
            self.process.terminate()
        return self.wait_exit()

    def kill(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def log(self) -> str:
        return self.output.read_text(errors="replace")[-4000:]

    # what Slack sends it

    def draft(self, text: str) -> str:
        ts, response = self.driver.message(WRITER, text, DRAFTS)
        assert response.status_code == 200, response.text
        return ts

    def click(self, card: Message, label: str, user: str = OWNER) -> requests.Response:
        response = self.driver.click(card, label, user)
        assert response.status_code == 200, response.text
        return response

    def click_as_it_dies(self, card: Message, label: str, user: str = OWNER) -> None:
        """A click whose consequences kill the process: the 200 can lose the race with the exit. Either way
        the decision was committed before the ack, which is what the test then checks in the database."""
        try:
            response = self.driver.click(card, label, user)
        except requests.ConnectionError:
            return
        assert response.status_code == 200, response.text


Launch = Callable[..., AppProcess]


@pytest.fixture
def launch(slack: SlackSandbox, x: XSandbox, database_url: str, tmp_path: Path) -> Iterator[Launch]:
    """Start the app as a subprocess on the test's database (REQUEST_LEASE 2s, the default PUBLISH_LEASE),
    optionally at a failpoint."""
    started: list[AppProcess] = []
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "X_", "DATABASE_URL", "APPROVERS", failpoints.VARIABLE))
    }

    def start(failpoint: str | None = None, **overrides: str) -> AppProcess:
        port = free_port()
        env = {**inherited, **app_env(slack, x, database_url, REQUEST_LEASE=LEASE, **overrides)}
        if failpoint is not None:
            assert failpoint in failpoints.NAMES
            env[failpoints.VARIABLE] = failpoint
        output = tmp_path / f"app-{len(started) + 1}.log"
        with output.open("wb") as sink:
            process = subprocess.Popen(
                [*CLI, "run", "--http", "--port", str(port), "--host", "127.0.0.1"],
                cwd=tmp_path,  # no stray .env
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        app = AppProcess(process, f"http://127.0.0.1:{port}", output)
        started.append(app)
        app.wait_healthy()
        return app

    yield start
    for app in started:
        if app.process.poll() is None:
            app.process.terminate()
            try:
                app.process.wait(10)
            except subprocess.TimeoutExpired:
                app.kill()


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    """The test's own view of the database the app processes share (they migrate it on start)."""
    engine = make_engine(database_url)
    yield Store(engine)
    engine.dispose()


# -- waiting and reading -------------------------------------------------------------------------------


def eventually(predicate: Callable[[], T | None], timeout: float = 10, what: str = "condition") -> T:
    """Poll something the sandboxes aren't notified about (the database, a process); return its first truthy value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not met within {timeout:g} s")
        time.sleep(0.05)


def find(store: Store, ts: str) -> Draft | None:
    with store.read() as tx:
        return tx.by_message(DRAFTS, ts)


def row(store: Store, ts: str) -> Draft:
    with store.transaction() as tx:
        draft = tx.by_message(DRAFTS, ts)
    assert draft is not None, f"no draft for message {ts}: lost"
    return draft


def sent(store: Store, ts: str) -> Delivery:
    """Where the draft of message `ts` got to on X: its X delivery (ids, link, lease, error)."""
    return x_delivery(store, row(store, ts).id or 0)


def actions(store: Store, draft_id: int | None) -> list[str]:
    with store.transaction() as tx:
        return [a.action for a in tx.audit_trail(draft_id or 0)]


def still_leased(store: Store, ts: str) -> None:
    """The dead process's lease (the default PUBLISH_LEASE, 90 s) is far from over: a restart on this host takes the
    draft over at once, because the process that holds it no longer exists."""
    lease = sent(store, ts).lease_until
    assert lease is not None, "the claim should hold a lease"
    assert lease > utcnow() + timedelta(seconds=60), lease


def card(slack: SlackSandbox, approver: str, containing: str, timeout: float = 10) -> Message:
    channel = dm_channel_for(approver)

    def find(sandbox: SlackSandbox) -> Message | None:
        return next((m for m in sandbox.messages(channel) if m.blocks and containing in block_text(m.blocks)), None)

    return slack.wait_for(find, timeout)


def wait_card(
    slack: SlackSandbox, shown: Message, predicate: Callable[[Message], bool], timeout: float = 10
) -> Message:
    return slack.wait_for(lambda s: (m := s.message(shown.channel, shown.ts)) and predicate(m) and m, timeout)


def shows_published(message: Message) -> bool:
    return "view on X" in block_text(message.blocks) and not buttons(message)


def post_requests(x: XSandbox) -> int:
    return sum(1 for r in x.requests if r.route == "POST /2/tweets")


def submitted(app: AppProcess, slack: SlackSandbox, text: str) -> tuple[str, list[Message]]:
    """A draft posted by the writer and the two approvers' cards for it, intake finished."""
    ts = app.draft(text)
    first_line = text.splitlines()[0]
    cards = [card(slack, OWNER, first_line), card(slack, OWNER2, first_line)]
    writer_told(slack, ts, "Sent to")
    return ts, cards


def approved_as_it_dies(
    launch: Launch, slack: SlackSandbox, failpoint: str, text: str, clicker: str = OWNER
) -> tuple[str, list[Message]]:
    """A draft submitted to an app started at `failpoint`, then approved on the first card: the app exits there."""
    app = launch(failpoint=failpoint)
    ts, cards = submitted(app, slack, text)
    app.click_as_it_dies(cards[0], "Approve", clicker)
    assert app.wait_exit() == failpoints.EXIT_CODE
    return ts, cards


def writer_told(slack: SlackSandbox, ts: str, words: str) -> str:
    return slack.wait_for(lambda s: next((m.text for m in s.thread(DRAFTS, ts) if words in m.text), None), 10)


def restart(start_bot: Callable[..., Harness]) -> Harness:
    """The restarted app, in-process (no failpoint), so the test can drive its scheduler tick itself."""
    return start_bot()


# -- one failpoint at a time ---------------------------------------------------------------------------


def test_dying_after_the_claim_asks_the_approver_and_publish_again_posts_once(
    launch: Launch, start_bot: Callable[..., Harness], slack: SlackSandbox, x: XSandbox, store: Store
) -> None:
    ts, cards = approved_as_it_dies(launch, slack, "after-claim", "Crash after the claim.")

    held = row(store, ts)
    assert held.status == "publishing" and held.decided_by == OWNER  # the decision survived the crash
    assert post_requests(x) == 0  # died before calling X
    still_leased(store, ts)

    second = restart(start_bot)  # its publisher's first pass finds the claim of a process that is gone
    asked = [wait_card(slack, c, lambda m: buttons(m) == SETTLE) for c in cards]
    draft = row(store, ts)
    assert draft.status == "unknown"
    error = sent(store, ts).last_error or ""
    assert "stopped while posting" in error and "not among the account's recent posts" in error
    assert "didn't confirm" in block_text(asked[0].blocks)
    assert "didn't confirm" in writer_told(slack, ts, "didn't confirm")
    assert actions(store, draft.id)[-3:] == ["approved", "publish_claimed", "claimer_gone"]
    second.running.services.publisher.run_once()
    assert x.posts == []  # never re-sent on its own

    second.click(asked[1], "Publish again", OWNER2)
    [post] = x.wait_for_posts(1)
    assert post.text == posted("Crash after the claim.", OWNER)  # approved by Olivia; Omar only said "send it"
    for shown in cards:
        wait_card(slack, shown, shows_published)
    second.settle()
    assert len(x.posts) == 1 and sent(store, ts).post_ids == [post.id]


def test_dying_after_x_took_the_post_is_reconciled_as_published(
    launch: Launch, slack: SlackSandbox, x: XSandbox, store: Store
) -> None:
    ts, cards = approved_as_it_dies(launch, slack, "after-x-call", "Crash after X said yes.", OWNER2)

    [post] = x.posts
    held = row(store, ts)
    assert held.status == "publishing" and sent(store, ts).post_ids in (None, [])  # X has it; we never wrote it down
    still_leased(store, ts)

    second = launch()  # `countersign run` again, as an operator would
    for shown in cards:
        wait_card(slack, shown, shows_published)
    draft = row(store, ts)
    up = sent(store, ts)
    assert draft.status == "published" and up.post_ids == [post.id] and up.post_url == x.link_of(post)
    assert post.text == posted("Crash after X said yes.", OWNER2)
    assert actions(store, draft.id)[-2:] == ["claimer_gone", "reconciled"]
    assert x.link_of(post) in writer_told(slack, ts, "published")
    assert second.stop() == 0
    assert len(x.posts) == 1 and post_requests(x) == 1


def test_dying_before_the_card_update_is_caught_up_after_restart(
    launch: Launch, start_bot: Callable[..., Harness], slack: SlackSandbox, x: XSandbox, store: Store
) -> None:
    # The process that dies must reach its first card update only after publishing: its scheduler's startup
    # tick must be over (a tick that met a card behind its draft would die first), and the decision, with
    # its own card update, must be taken elsewhere while publishing is paused. So: another instance (which
    # migrates the database) seeds a draft whose cards never got out; the doomed process starts, and its
    # startup tick posts those cards, having already looked for cards behind and found none; its next tick
    # is 30 s away. The decision is then taken on the other instance, and the doomed one is told to resume.
    other = start_bot()
    marker = "Marker: a draft whose cards never got out."
    seed.draft(store, writer=WRITER, text=marker, submitted=utcnow() - timedelta(minutes=5))
    doomed = launch(failpoint="before-card-update")
    for approver in (OWNER, OWNER2):
        card(slack, approver, marker, timeout=20)  # the doomed process's startup tick is over
    assert "paused" in other.driver.command("pause", OWNER).json()["text"]
    ts = other.draft("Crash before the cards knew.")
    cards = [other.card(OWNER, "Crash before the cards knew."), other.card(OWNER2, "Crash before the cards knew.")]
    other.click(cards[0], "Approve")
    for shown in cards:
        other.wait_card(shown, lambda m: "publishing to X" in block_text(m.blocks))
    other.settle()

    doomed.driver.command("resume", OWNER)
    assert doomed.wait_exit() == failpoints.EXIT_CODE
    [post] = x.posts
    assert row(store, ts).status == "published"  # recorded before the process died
    assert not any(shows_published(other.fresh(c)) for c in cards)  # Slack never heard

    again = restart(start_bot)
    assert again.running.services.scheduler.tick().cards_caught_up == 1
    for shown in cards:
        assert shows_published(again.fresh(shown)) and x.link_of(post) in block_text(again.fresh(shown).blocks)
    assert again.running.services.scheduler.tick().cards_caught_up == 0
    again.settle()
    assert len(x.posts) == 1 and sent(store, ts).post_ids == [post.id]


def test_a_thread_dying_after_its_first_part_resumes_without_duplicates(
    launch: Launch, start_bot: Callable[..., Harness], slack: SlackSandbox, x: XSandbox, store: Store
) -> None:
    ts, cards = approved_as_it_dies(
        launch, slack, "after-x-call", "Part one: beans.\n---\nPart two: water.\n---\nPart three: patience."
    )
    assert [p.text for p in x.posts] == ["Part one: beans."]
    still_leased(store, ts)

    second = restart(start_bot)
    for shown in cards:
        wait_card(slack, shown, shows_published)
    second.settle()
    posts = x.posts
    assert [p.text for p in posts] == [
        "Part one: beans.",
        "Part two: water.",
        f"Part three: patience.\n\n{attribution(OWNER)}",
    ]
    assert [p.in_reply_to for p in posts] == [None, posts[0].id, posts[1].id]
    draft = row(store, ts)
    assert draft.status == "published" and sent(store, ts).post_ids == [p.id for p in posts]
    assert actions(store, draft.id)[-5:] == [
        "publish_claimed",
        "claimer_gone",
        "reconciled",  # part 1 found on the account
        "publish_claimed",
        "published",  # parts 2 and 3, chained to part 1
    ]


def test_a_sigkill_while_x_is_answering_is_taken_over_by_a_restart_at_once_not_after_the_lease(
    launch: Launch, slack: SlackSandbox, x: XSandbox, store: Store
) -> None:
    """kill -9 while the post is at X (X made it, the answer hasn't come), then `countersign run` again on the same
    host: the claim names a process that no longer exists, so the restart recovers it at once (unknown, then
    found on the account) instead of leaving it "publishing" for the whole 90-second lease."""
    app = launch()
    x.hang(seconds=20, record_anyway=True)
    ts, cards = submitted(app, slack, "Killed while X answers.")
    app.click(cards[0], "Approve")
    [post] = eventually(lambda: x.posts, 10, "X to have the post")
    assert row(store, ts).status == "publishing"
    app.kill()
    assert app.process.returncode == KILLED
    still_leased(store, ts)

    restarted = time.monotonic()
    second = launch()
    for shown in cards:
        wait_card(slack, shown, shows_published, timeout=20)
    assert time.monotonic() - restarted < 30, "waited for the lease"
    draft = row(store, ts)
    up = sent(store, ts)
    assert draft.status == "published" and up.post_ids == [post.id] and up.post_url == x.link_of(post)
    assert actions(store, draft.id)[-2:] == ["claimer_gone", "reconciled"]
    assert second.stop() == 0
    assert len(x.posts) == 1 and post_requests(x) == 1


# -- killed between two steps that no failpoint separates -----------------------------------------------


def test_a_draft_marked_unknown_but_never_looked_up_is_settled_on_restart(
    launch: Launch, start_bot: Callable[..., Harness], slack: SlackSandbox, x: XSandbox, store: Store
) -> None:
    """Recovering a lease is two steps: mark the draft unknown (committed), then look for its post on X.
    A process that dies between them leaves an unknown draft nobody looked up; the next start looks."""
    ts, cards = approved_as_it_dies(launch, slack, "after-x-call", "Crash between unknown and the look.")
    [post] = x.posts
    still_leased(store, ts)
    with store.transaction() as tx:  # the first step, as the recovering process commits it before it dies
        held = row(store, ts)
        [delivery] = deliveries.of_draft(tx.session, held.id or 0)
        assert deliveries.attempt_write(
            tx.session,
            delivery.id or 0,
            delivery.attempt_id,
            to="unknown",
            last_error="the bot stopped while posting: the post may or may not be up",
            looks=0,
            next_attempt_at=None,
        )
        deliveries.settle_draft(tx.session, held.id or 0, held.version)

    again = restart(start_bot)
    for shown in cards:
        wait_card(slack, shown, shows_published)
    draft = row(store, ts)
    assert draft.status == "published" and sent(store, ts).post_ids == [post.id]
    assert actions(store, draft.id)[-1] == "reconciled"
    again.settle()
    assert len(x.posts) == 1


def test_an_unknown_draft_whose_cards_were_never_recorded_gets_cards_to_settle_it(
    start_bot: Callable[..., Harness], store: Store
) -> None:
    """A card posted by a process that died before saving its ts can still be clicked; if that click's draft
    ends unknown, the database knows no card to show the three settle buttons on. Catch-up posts them."""
    bot = start_bot()
    bot.x.fail(status=503)  # X didn't confirm, and the post is not on the account
    ts = bot.draft("Decided on a card nobody recorded.")
    bot.click(bot.card(OWNER, "Decided on a card nobody recorded."), "Approve")
    bot.card(OWNER2, "Decided on a card nobody recorded.")
    bot.wait_x(ts, lambda d: "recent posts" in (d.last_error or ""))
    draft = row(store, ts)
    assert draft.status == "unknown"
    bot.settle()
    with store.transaction() as tx:  # as if both cards had been posted by a process killed before saving them
        tx.session.execute(delete(Card).where(col(Card.draft_id) == draft.id))

    again = restart(start_bot)
    assert again.running.services.scheduler.tick().cards_caught_up == 1
    for approver in (OWNER, OWNER2):
        fresh = again.card(approver, "didn't confirm")
        assert buttons(fresh) == SETTLE and "Decided on a card nobody recorded." in block_text(fresh.blocks)
    assert again.running.services.scheduler.tick().cards_caught_up == 0
    again.settle()
    assert again.x.posts == []


# -- killed right after the 200 -------------------------------------------------------------------------


@contextmanager
def database_held(database_url: str) -> Iterator[None]:
    """Hold the database so the app can't commit anything: SQLite's write lock, PostgreSQL's lock on `draft`."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:  # BEGIN IMMEDIATE on SQLite
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("LOCK TABLE draft IN ACCESS EXCLUSIVE MODE")
            yield
            connection.rollback()
    finally:
        engine.dispose()


def acked_then_killed(app: AppProcess, database_url: str, send: Callable[[], requests.Response]) -> None:
    """Send a request while the database is held, and SIGKILL the app the moment it answers 200.

    An app that stores before it acks can't answer until the database is free again; one that acks first
    answers at once, and the kill then lands before anything was stored: exactly the crash Slack can't undo
    (it never redelivers an acknowledged event or click)."""
    answered: list[requests.Response] = []
    done = threading.Event()

    def call() -> None:
        answered.append(send())
        done.set()

    sender = threading.Thread(target=call, name="acked-then-killed")
    with database_held(database_url):
        sender.start()
        if done.wait(0.5):  # answered while nothing could be stored
            app.kill()
    sender.join(15)
    app.kill()
    assert answered and answered[0].status_code == 200, answered


def inbox(store: Store) -> list[InboxItem]:
    with store.read() as tx:
        return list(tx.session.exec(select(InboxItem)).all())


def test_a_draft_acknowledged_just_before_a_sigkill_is_kept(
    launch: Launch, slack: SlackSandbox, store: Store, database_url: str
) -> None:
    app = launch()
    ts = app.driver.next_ts()
    acked_then_killed(app, database_url, lambda: app.driver.message(WRITER, "Acked, then killed.", DRAFTS, ts=ts)[1])
    launch()  # replays what the killed process received, once its lease runs out
    draft = eventually(lambda: find(store, ts), timeout=20, what="the draft made from the replayed message")
    assert draft.text == "Acked, then killed."
    assert "Acked, then killed." in block_text(card(slack, OWNER, "Acked, then killed.").blocks)
    writer_told(slack, ts, "Sent to")
    assert not inbox(store)


def test_an_approval_acknowledged_just_before_a_sigkill_is_kept(
    launch: Launch, slack: SlackSandbox, x: XSandbox, store: Store, database_url: str
) -> None:
    app = launch()
    ts, cards = submitted(app, slack, "Approved, then killed.")
    acked_then_killed(app, database_url, lambda: app.driver.click(cards[1], "Approve", OWNER2))
    launch()
    draft = eventually(
        lambda: (d := find(store, ts)) and d.status == "published" and d, timeout=20, what="the approval published"
    )
    assert draft.decided_by == OWNER2 and len(x.posts) == 1
    assert actions(store, draft.id).count("approved") == 1
    assert not inbox(store)


# -- SIGKILL at random moments -------------------------------------------------------------------------

SEED = 20261122
ROUNDS = 10


@dataclass
class Workload:
    """A writer posting drafts and two approvers approving what their DMs show, until the process dies.

    Only what got a 200 is remembered: that is what Slack would never send again."""

    app: AppProcess
    slack: SlackSandbox
    rng: random.Random
    numbering: Iterator[int]
    stamps: SlackDriver  # one clock for message ts across restarts (each process gets a fresh driver)
    drafts: dict[str, str]  # message ts -> text, acknowledged
    approvals: dict[int, str]  # draft id -> approver, acknowledged
    clicked: set[str]  # card refs clicked (acknowledged or not): one click per draft
    answered: int = 0
    _done: threading.Event = field(default_factory=threading.Event)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def run(self) -> None:
        while not self._done.is_set():
            try:
                if self.rng.random() < 0.5 and self._approve_one():
                    continue
                self._draft_one()
            except requests.RequestException:
                return  # the process is gone

    def _draft_one(self) -> None:
        text = f"Kill test draft {next(self.numbering)}: roasted at {self.rng.randint(1, 12)}."
        ts, response = self.app.driver.message(WRITER, text, DRAFTS, ts=self.stamps.next_ts())
        if response.status_code == 200:
            self.drafts[ts] = text
            self._answered()

    def _approve_one(self) -> bool:
        approver = self.rng.choice([OWNER, OWNER2])
        open_cards = [
            m
            for m in self.slack.messages(dm_channel_for(approver))
            if buttons(m) == DECISION and _ref(m) not in self.clicked
        ]
        if not open_cards:
            return False
        chosen = self.rng.choice(open_cards)
        self.clicked.add(_ref(chosen))
        response = self.app.driver.click(chosen, "Approve", approver)
        if response.status_code == 200:
            self.approvals[int(_ref(chosen).split(":")[0])] = approver
            self._answered()
        return True

    def _answered(self) -> None:
        with self._changed:
            self.answered += 1
            self._changed.notify_all()

    def wait_answers(self, n: int, timeout: float = 20) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self.answered >= n, timeout), "the app stopped answering"

    def stop(self) -> None:
        self._done.set()


def _ref(message: Message) -> str:
    return str(next(e["value"] for b in message.blocks if b.get("type") == "actions" for e in b["elements"]))


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_nothing_and_posts_nothing_twice(
    launch: Launch, start_bot: Callable[..., Harness], slack: SlackSandbox, x: XSandbox, store: Store
) -> None:
    """A writer posts drafts and both approvers approve what their DMs show, while the process is SIGKILLed after
    a random number of answered requests (seeded) and restarted, ten times. Then a last instance replays what was
    acknowledged but not handled, recovers the dead claims and catches the cards up, and everything acknowledged
    is checked against the database, X and Slack."""
    rng = random.Random(SEED)
    numbering = iter(range(1, 10_000))
    drafts: dict[str, str] = {}
    approvals: dict[int, str] = {}
    clicked: set[str] = set()
    stamps = SlackDriver("http://unused.invalid/", SECRET)
    for _ in range(ROUNDS):
        app = launch()
        work = Workload(app, slack, random.Random(rng.random()), numbering, stamps, drafts, approvals, clicked)
        worker = threading.Thread(target=work.run, name="workload")
        worker.start()
        try:
            work.wait_answers(rng.randint(2, 12))  # then kill whatever it is doing: posting, publishing, updating
            app.kill()
        finally:
            work.stop()
            worker.join(20)
        assert app.process.returncode == KILLED

    # A last instance, in-process so the test can drive its scheduler tick.
    final = start_bot()
    services = final.running.services
    later = utcnow() + timedelta(minutes=3)  # past every lease, the grace for missing cards and abandoned claims
    while services.inbox.replay(later):  # what a killed instance acknowledged and never handled, 20 at a time
        pass

    services.publisher.run_once()  # recovers the dead processes' claims (their leases still run), publishes what is due
    eventually(lambda: not by_status(store, "approved", "publishing"), 15, "the publishing queue to drain")
    for _ in range(20):  # catch-up handles 20 drafts a tick
        if not services.scheduler.tick(later).cards_caught_up:
            break
    final.settle()

    everything = all_drafts(store)
    statuses = Counter(d.status for d in everything)
    print(
        f"\n{ROUNDS} SIGKILLs; drafts acknowledged {len(drafts)}, approvals acknowledged {len(approvals)}; "
        f"end states {dict(statuses)}; posts on X {len(x.posts)}"
    )

    # No draft lost, no decision lost.
    by_ts = {d.ts: d for d in everything}
    assert set(drafts) <= set(by_ts), f"acknowledged drafts missing: {set(drafts) - set(by_ts)}"
    by_id = {d.id: d for d in everything}
    for draft_id, approver in approvals.items():
        assert by_id[draft_id].decided_by == approver and by_id[draft_id].status != "pending"
        assert "approved" in actions(store, draft_id)
    assert set(statuses) <= {"pending", "published", "unknown"}  # nothing stuck approved or publishing

    # At most one post per draft; a published draft's post is there, an unknown one's is not.
    texts = Counter(p.text for p in x.posts)
    assert all(n == 1 for n in texts.values()), f"posted twice: {[t for t, n in texts.items() if n > 1]}"
    for draft in everything:
        expected = posted(draft.text, draft.decided_by) if draft.decided_by else None
        on_x = [p for p in x.posts if p.text == expected]
        if draft.status == "published":
            assert [p.id for p in on_x] == x_delivery(store, draft.id or 0).post_ids
        else:
            assert on_x == [], (draft.id, draft.status, trail(store, draft.id))
    assert len(x.posts) == statuses["published"]

    # Every draft is in front of a person, in a state they can act on: a pending draft on both approvers'
    # cards, an unknown one on at least one card with the three settle buttons, and no card behind its draft.
    known: set[tuple[str, str]] = set()
    for draft in everything:
        shown = cards_of(store, slack, draft)
        known |= {(m.channel, m.ts) for m in shown}
        if draft.status == "pending":
            assert len(shown) == 2, f"draft #{draft.id} is pending with {len(shown)} cards"
        elif draft.status == "unknown":
            assert shown, f"draft #{draft.id} is unknown with no card to settle it on"
        for message in shown:
            assert f"version {draft.version}" in block_text(message.blocks)
            if draft.status == "pending":
                assert buttons(message) == DECISION
            elif draft.status == "unknown":
                assert buttons(message) == SETTLE
            else:
                assert shows_published(message), (draft.id, block_text(message.blocks))
    orphans = [
        m
        for approver in (OWNER, OWNER2)
        for m in slack.messages(dm_channel_for(approver))
        if "drafted a" in block_text(m.blocks) and (m.channel, m.ts) not in known
    ]
    print(f"cards posted but never recorded (killed between chat.postMessage and saving its ts): {len(orphans)}")


def trail(store: Store, draft_id: int | None) -> list[tuple[str, str, str | None]]:
    with store.transaction() as tx:
        return [(a.action, a.actor_id, a.detail) for a in tx.audit_trail(draft_id or 0)]


def by_status(store: Store, *statuses: str) -> list[Draft]:
    with store.transaction() as tx:
        return list(tx.session.exec(select(Draft).where(col(Draft.status).in_(statuses))).all())


def all_drafts(store: Store) -> list[Draft]:
    with store.transaction() as tx:
        return list(tx.session.exec(select(Draft).order_by(col(Draft.id))).all())


def cards_of(store: Store, slack: SlackSandbox, draft: Draft) -> list[Message]:
    with store.transaction() as tx:
        known = tx.cards(draft.id or 0)
    found = [slack.message(c.channel, c.ts) for c in known]
    assert all(found), f"draft #{draft.id}: a card the database knows is not in Slack"
    return [m for m in found if m is not None]
