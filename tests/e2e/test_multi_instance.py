"""Issue 5, point 3: several `countersign run --http` processes on one PostgreSQL database.

Three real app processes (the CLI, as an operator starts them) share one database and the session's Slack and X
sandboxes. Drafts arrive as signed events spread over the instances at random, some deliveries are retried to
another instance (same event_id, x-slack-retry-num) or repeated under a new event id; then each draft's cards
are clicked Approve 1-3 times by either approver on random instances, concurrently. The instances coordinate
only through the database, so the sandboxes must see: one post per draft and no other attempt at X, two cards
per draft (one per approver), one intake reply and one "published" reply per draft, an "already decided"
answer for every losing click, and — with the digest due every minute — one digest although every instance's
scheduler ticks. Each process must stop with exit code 0 on SIGTERM and print no traceback.

The 30-draft variant runs by default on the PostgreSQL leg; the 200-draft one is `-m slow`.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from bot.sandbox import SlackDriver, SlackSandbox, XSandbox
from bot.sandbox.slack_api import Message, dm_channel_for
from storage.engine import make_engine
from storage.migrate import upgrade
from storage.models import AuditEvent, Card, Delivery, DigestRun, Draft, SlackEvent, Status
from storage.store import Store
from storage.types import utcnow
from tests.e2e import seed
from tests.e2e.harness import DRAFTS, OWNER, OWNER2, SECRET, WRITER, app_env, block_text, posted
from tests.e2e.test_running import CLI, free_port, wait_healthy

EARLIER = "Before this run: the brand's first draft"
SEED = 20251123  # any seed whose runs include both kinds of duplicate delivery (checked below)
INSTANCES = 3
APPROVERS = (OWNER, OWNER2)
SENDERS = 16  # concurrent Slack deliveries, like Slack's own fan-out
RETRIED_SHARE = 0.3  # deliveries Slack retries to another instance (same event_id, x-slack-retry-num)
REPEATED_SHARE = 0.1  # messages Slack delivers again under a new event id
TOKEN = re.compile(r"\bMI-(\d{3})\b")


@dataclass
class Instance:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    driver: SlackDriver
    stdout: Path
    stderr: Path

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM, as an orchestrator stops a container; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def log(self) -> str:
        return self.stderr.read_text(errors="replace")


@dataclass
class Run:
    """What the test sent, and how long each phase took (seconds)."""

    texts: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    deliveries: int = 0
    retried: int = 0
    repeated: int = 0
    clicks: int = 0

    @contextlib.contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - started


@pytest.fixture
def postgresql_url(database_url: str) -> str:
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "several instances coordinate through one PostgreSQL database (row locks, SKIP LOCKED, advisory "
            "locks); a SQLite file is for one process, so this test has no [sqlite] leg"
        )
    return database_url


@pytest.fixture
def start_instances(
    postgresql_url: str, slack: SlackSandbox, x: XSandbox, tmp_path: Path
) -> Iterator[Callable[..., list[Instance]]]:
    """Start `countersign run --http` processes on the test's database; any still running are stopped after."""
    started: list[Instance] = []

    def start(count: int, **overrides: str) -> list[Instance]:
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "X_", "DATABASE_URL", "APPROVERS"))
        }
        env = {**inherited, **app_env(slack, x, postgresql_url, **overrides), "PYTHONUNBUFFERED": "1"}
        batch = []
        for n in range(1, count + 1):
            port = free_port()
            out, err = tmp_path / f"instance-{n}.out", tmp_path / f"instance-{n}.err"
            with out.open("wb") as stdout, err.open("wb") as stderr:  # files, not pipes: a full pipe blocks the app
                process = subprocess.Popen(
                    [*CLI, "run", "--http", "--port", str(port), "--host", "127.0.0.1"],
                    cwd=tmp_path,
                    env=env,
                    stdout=stdout,
                    stderr=stderr,
                )
            url = f"http://127.0.0.1:{port}"
            driver = SlackDriver(f"{url}/slack/events", SECRET, response_url_base=slack.response_url_base)
            instance = Instance(f"instance-{n}", process, url, driver, out, err)
            started.append(instance)
            batch.append(instance)
        for instance in batch:
            try:
                wait_healthy(instance.url, timeout=60)
            except TimeoutError:
                raise AssertionError(f"{instance.name} did not start:\n{instance.log()}") from None
        return batch

    yield start
    for instance in started:
        try:
            instance.stop(timeout=15)
        except subprocess.TimeoutExpired:
            instance.process.kill()
            instance.process.wait()


def cards_by_token(slack: SlackSandbox, approver: str) -> dict[int, list[Message]]:
    """Cards in an approver's DM, by the MI-nnn token of the draft they show."""
    found: dict[int, list[Message]] = {}
    for message in slack.messages(dm_channel_for(approver)):
        if message.blocks and not message.thread_ts and (match := TOKEN.search(block_text(message.blocks))):
            found.setdefault(int(match.group(1)), []).append(message)
    return found


def poll(predicate: Callable[[], bool], timeout: float, what: str, every: float = 0.05) -> None:
    """Wait for `predicate`, calling it outside the sandboxes' locks (their `wait_for` evaluates under the lock,
    which would slow the instances' Slack calls down while it deep-copies hundreds of messages)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout:g} s: {what}")
        time.sleep(every)


def cards_posted(slack: SlackSandbox) -> int:
    """Card posts Slack accepted so far (cheap: no message copies)."""
    dms = {dm_channel_for(a) for a in APPROVERS}
    return sum(
        1
        for c in slack.calls_to("chat.postMessage")
        if c.status == 200 and c.args.get("blocks") and c.args.get("channel") in (*APPROVERS, *dms)
    )


def settled(slack: SlackSandbox, cards: dict[str, dict[int, list[Message]]], ts_of: dict[int, str]) -> bool:
    """Every card shows the post's link and every writer's thread has the "published" reply."""
    for approver in APPROVERS:
        current = {m.ts: m for m in slack.messages(dm_channel_for(approver))}
        if not all("view on X" in block_text(current[found[0].ts].blocks) for found in cards[approver].values()):
            return False
    published = {m.thread_ts for m in slack.messages(DRAFTS) if "published https://x.com/" in m.text}
    return published >= set(ts_of.values())


def lagging(
    slack: SlackSandbox, cards: dict[str, dict[int, list[Message]]], ts_of: dict[int, str], instances: list[Instance]
) -> str:
    """What `settled` still waits for, said so a failure can be read: each card not showing the post (what it shows
    instead), each thread without its "published" reply (what it has), and the end of each instance's log."""
    lines = []
    for approver in APPROVERS:
        current = {m.ts: m for m in slack.messages(dm_channel_for(approver))}
        for i, found in sorted(cards[approver].items()):
            shown = block_text(current[found[0].ts].blocks)
            if "view on X" not in shown:
                lines.append(f"card MI-{i:03d} to {approver} shows: {shown[:200]!r}")
    replies: dict[str, list[str]] = {}
    for message in slack.messages(DRAFTS):
        if message.thread_ts and message.thread_ts != message.ts:
            replies.setdefault(message.thread_ts, []).append(message.text[:120])
    for i, ts in sorted(ts_of.items()):
        if not any("published https://x.com/" in text for text in replies.get(ts, [])):
            lines.append(f"thread MI-{i:03d} has: {replies.get(ts, [])}")
    logs = [f"--- {i.name}, last lines:\n" + "\n".join(i.log().splitlines()[-15:]) for i in instances]
    return "\n".join([f"{len(lines)} behind:", *lines[:40], *logs])


def send_drafts(instances: list[Instance], run: Run, rng: random.Random) -> dict[int, str]:
    """Every draft as a signed message event to a random instance; some delivered twice. Returns ts by draft."""
    maker = instances[0].driver  # one source of ts values and event ids for all instances
    deliveries: list[tuple[Instance, dict[str, Any], str, int | None]] = []
    ts_of: dict[int, str] = {}
    for i, text in enumerate(run.texts):
        event = maker.message_event(WRITER, text, DRAFTS)
        ts_of[i] = event["ts"]
        first = rng.choice(instances)
        event_id = maker.new_event_id()
        deliveries.append((first, event, event_id, None))
        roll = rng.random()
        if roll < RETRIED_SHARE:
            deliveries.append((rng.choice([o for o in instances if o is not first]), event, event_id, 1))
            run.retried += 1
        elif roll < RETRIED_SHARE + REPEATED_SHARE:
            deliveries.append((rng.choice(instances), event, maker.new_event_id(), None))
            run.repeated += 1
    assert run.retried and run.repeated, "the seed must give both kinds of duplicate delivery"
    rng.shuffle(deliveries)  # a retry may even overtake the first delivery
    run.deliveries = len(deliveries)

    def deliver(delivery: tuple[Instance, dict[str, Any], str, int | None]) -> int:
        instance, event, event_id, retry_num = delivery
        return instance.driver.event(event, event_id, retry_num).status_code

    with ThreadPoolExecutor(SENDERS) as pool:
        statuses = list(pool.map(deliver, deliveries))
    assert statuses == [200] * len(deliveries)
    return ts_of


def click_approve(
    instances: list[Instance], cards: dict[str, dict[int, list[Message]]], run: Run, rng: random.Random
) -> None:
    """1-3 Approve clicks per draft by either approver on random instances; a draft's clicks go out together."""
    order = list(range(len(run.texts)))
    rng.shuffle(order)
    clicks = [
        (rng.choice(instances), approver, cards[approver][i][0])
        for i in order
        for approver in (rng.choice(APPROVERS) for _ in range(rng.randint(1, 3)))
    ]
    run.clicks = len(clicks)

    def click(planned: tuple[Instance, str, Message]) -> int:
        instance, approver, card = planned
        return instance.driver.click(card, "Approve", approver).status_code

    with ThreadPoolExecutor(SENDERS) as pool:
        statuses = list(pool.map(click, clicks))
    assert statuses == [200] * len(clicks)


def scenario(
    start_instances: Callable[..., list[Instance]], slack: SlackSandbox, x: XSandbox, database_url: str, drafts: int
) -> Run:
    rng = random.Random(SEED + drafts)
    run = Run([f"MI-{i:03d} Fresh beans, batch {i}: roasted on instance day." for i in range(drafts)])
    wait = 15 + drafts / 5  # generous: the budget is the test timeout, not these waits

    first_draft_long_ago(database_url)
    with run.phase("start 3 instances (migrate under the advisory lock, healthy)"):
        instances = start_instances(INSTANCES, DIGEST_SCHEDULE="* * * * *")

    with run.phase(f"{drafts} drafts in -> {2 * drafts} cards out"):
        ts_of = send_drafts(instances, run, rng)
        poll(lambda: cards_posted(slack) >= 2 * drafts, wait, f"{2 * drafts} cards")
    cards = {a: cards_by_token(slack, a) for a in APPROVERS}

    with run.phase(f"{drafts} drafts approved -> {drafts} posts on X"):
        click_approve(instances, cards, run, rng)
        x.wait_for_posts(drafts, timeout=wait)

    with run.phase("every card and writer's thread shows the post"):
        # + one scheduler tick: a card update that lost a race between instances is caught up by the tick
        try:
            poll(lambda: settled(slack, cards, ts_of), wait + 35, "cards and threads showing the post", every=0.25)
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n{lagging(slack, cards, ts_of, instances)}") from None

    with run.phase("SIGTERM to all three, each exits"):
        for instance in instances:
            instance.process.send_signal(signal.SIGTERM)
        codes = {instance.name: instance.process.wait(30) for instance in instances}
    logs = {instance.name: instance.log() for instance in instances}
    assert codes == dict.fromkeys(codes, 0), logs
    for name, log in logs.items():
        assert "Traceback" not in log, f"{name}:\n{log}"

    check_sandboxes(slack, x, run, cards, ts_of)
    check_database(database_url, run)
    report(run, drafts)
    return run


def first_draft_long_ago(database_url: str) -> None:
    """The brand's history began before last week, so last week's digest is due (none is sent for a week that
    ended before the first draft): one rejected draft from 15 days ago, not one of the run's."""
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        upgrade(engine)
        long_ago = utcnow() - timedelta(days=15)
        seed.draft(Store(engine), writer=WRITER, text=EARLIER, submitted=long_ago, status="rejected")
    finally:
        engine.dispose()


def check_sandboxes(
    slack: SlackSandbox, x: XSandbox, run: Run, cards: dict[str, dict[int, list[Message]]], ts_of: dict[int, str]
) -> None:
    drafts = len(run.texts)
    # X: exactly one post per draft, and no instance so much as tried a second one (no 403 duplicate).
    posts = x.posts
    attempts = [r for r in x.requests if r.route == "POST /2/tweets"]
    assert len(posts) == drafts and len(attempts) == drafts, [(r.status, r.body) for r in attempts]
    assert len({p.text for p in posts}) == drafts
    by_draft = Counter(int(m.group(1)) for p in posts if (m := TOKEN.search(p.text)))
    assert by_draft == Counter(range(drafts))
    for post in posts:
        i = int(TOKEN.search(post.text).group(1))  # type: ignore[union-attr]
        assert post.text in {posted(run.texts[i], a) for a in APPROVERS}

    # Slack: two cards per draft, one per approver; none posted twice by two instances or by catch-up.
    for approver in APPROVERS:
        assert {i: len(found) for i, found in cards_by_token(slack, approver).items()} == dict.fromkeys(
            range(drafts), 1
        ), approver
    assert len([c for c in slack.calls_to("chat.postMessage") if c.args.get("blocks") and "MI-" in str(c.args)]) == (
        2 * drafts
    )
    # The writer's thread: one intake reply and one "published" reply per draft, whoever handled what.
    in_threads: dict[str, list[str]] = {}
    for message in slack.messages(DRAFTS):
        if message.thread_ts and message.thread_ts != message.ts:
            in_threads.setdefault(message.thread_ts, []).append(message.text)
    threads = {i: in_threads.get(ts, []) for i, ts in ts_of.items()}
    wrong = {
        i: replies
        for i, replies in threads.items()
        if len(replies) != 2 or not replies[0].startswith("Sent to ") or "published https://x.com/" not in replies[1]
    }
    assert not wrong, f"{len(wrong)} of {drafts} threads: {wrong}"
    # Every losing click was answered privately; the winner wasn't.
    refusals = [e for e in slack.ephemerals() if "was already decided" in e.text]
    assert len(refusals) == run.clicks - drafts
    # One digest, though three schedulers found it due: each ticks as it starts (and every 30 s after), long
    # before the drafts are in, and the 200-draft run lasts through at least one more tick of each.
    top_level = [m for m in slack.messages(DRAFTS) if not m.thread_ts]
    assert len(top_level) == 1 and "Weekly digest" in block_text(top_level[0].blocks)


def check_database(database_url: str, run: Run) -> None:
    drafts = len(run.texts)
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        with Store(engine).transaction() as tx:
            s = tx.session
            rows = s.exec(select(Draft).where(Draft.text != EARLIER)).all()
            assert len(rows) == drafts and {r.status for r in rows} == {Status.PUBLISHED}
            assert all(r.decided_by in APPROVERS and r.version == 1 for r in rows)
            for r in rows:
                assert r.final_parts == [posted(r.text, r.decided_by or "")]
            ours = col(AuditEvent.draft_id).in_([r.id for r in rows])
            actions = Counter(s.exec(select(AuditEvent.action).where(ours)).all())
            assert actions["submitted"] == actions["approved"] == drafts
            assert actions["publish_claimed"] == actions["published"] == drafts
            assert actions["refused_already_decided"] == run.clicks - drafts
            assert s.exec(select(func.count()).select_from(Card)).one() == 2 * drafts
            assert s.exec(select(func.count()).select_from(SlackEvent)).one() == drafts + run.repeated
            assert s.exec(select(func.count()).select_from(DigestRun)).one() == 1
            sent = s.exec(select(Delivery.claimed_by).where(col(Delivery.draft_id).in_([r.id for r in rows]))).all()
            assert len(set(sent)) > 1, "one instance published everything: no contention tested"
    finally:
        engine.dispose()


def report(run: Run, drafts: int) -> None:
    lines = [
        f"multi-instance, {drafts} drafts (seed {SEED + drafts}): {run.deliveries} deliveries "
        f"({run.retried} retried to another instance, {run.repeated} under a new event id), {run.clicks} clicks",
        *(f"  {name}: {seconds:.2f} s" for name, seconds in run.timings.items()),
    ]
    print("\n".join(lines))


@pytest.mark.timeout(180)
def test_three_instances_share_one_postgresql_database(
    start_instances: Callable[..., list[Instance]], slack: SlackSandbox, x: XSandbox, postgresql_url: str
) -> None:
    scenario(start_instances, slack, x, postgresql_url, drafts=30)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_three_instances_200_drafts(
    start_instances: Callable[..., list[Instance]], slack: SlackSandbox, x: XSandbox, postgresql_url: str
) -> None:
    scenario(start_instances, slack, x, postgresql_url, drafts=200)
