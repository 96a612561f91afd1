"""Publishing's claims: who holds a post while it goes out, and what happens when that holder is slow, dead or
paused. Each story drives the real app over signed HTTP with tweepy talking to the X sandbox."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, update
from sqlmodel import col

from bot.sandbox import SlackSandbox, XSandbox
from storage.models import Delivery
from storage.types import utcnow
from tests.e2e.harness import OWNER, Harness, app_env, attribution, posted
from tests.e2e.test_running import run_cli


@contextmanager
def counting_statements(harness: Harness) -> Iterator[list[str]]:
    """Every SQL statement the app runs on its engine while inside, from any of its threads."""
    seen: list[str] = []
    lock = threading.Lock()

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        with lock:
            seen.append(statement)

    engine = harness.store.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_paused_brand_with_an_overdue_retry_does_not_spin(bot: Harness) -> None:
    """X's rate limit postponed the post; the brand is paused before the reset: past the reset the publisher must
    sleep its tick, not pass again at once (it did ~760 passes a second, each a write transaction)."""
    bot.x.fail(status=429, reset_in=2)
    ts = bot.draft("Held while paused.")
    bot.click(bot.card(OWNER, containing="Held while paused"), "Approve")
    queued = bot.wait_x(ts, lambda d: d.next_attempt_at is not None)
    assert "paused" in bot.driver.command("pause", OWNER).json()["text"]
    bot.slack.wait_until(lambda: utcnow() > queued.next_attempt_at, timeout=5)  # the retry is overdue now
    with counting_statements(bot) as statements:
        time.sleep(1.0)
    assert len(statements) <= 10, f"{len(statements)} statements in 1 s while paused: {statements[:5]}"
    assert bot.x.posts == [] and bot.row(ts).status == "approved"

    assert "resumed" in bot.driver.command("resume", OWNER).json()["text"].lower()
    [post] = bot.x.wait_for_posts(1, timeout=10)
    assert post.text == posted("Held while paused.", OWNER)


THREAD = "Part one: beans.\n---\nPart two: water.\n---\nPart three: patience."


def expire_lease(harness: Harness, ts: str) -> None:
    """Time passes: the claim's lease runs out while its holder still waits on X (set in the database, as the
    real lease is minutes and the wait X's read timeout)."""
    draft_id = harness.row(ts).id
    with harness.store.transaction() as tx:  # the claim is its delivery's
        tx.session.execute(
            update(Delivery)
            .where(col(Delivery.draft_id) == draft_id)
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )


def answered(harness: Harness, n: int) -> bool:
    """X has answered the `n`th POST /2/tweets."""
    posts = [r for r in harness.x.requests if r.route == "POST /2/tweets"]
    return len(posts) >= n and posts[n - 1].status is not None


def test_a_slow_answer_after_another_instance_took_the_thread_over_is_not_recorded_and_goes_no_further(
    start_bot: Callable[..., Harness],
) -> None:
    """Instance A's second part hangs at X (which made it). A's lease runs out; instance B recovers the thread
    (unknown: X's timeline lags, so the part isn't found). A's late answer must then change nothing and A must not
    post part three: the thread belongs to B's recovery now. Once the timeline catches up B finds part two and
    finishes the thread: three posts, chained, each once."""
    first = start_bot()
    first.x.lag_timeline(60)
    first.x.hang(seconds=3, record_anyway=True, after=1)
    ts = first.draft(THREAD)
    first.click(first.card(OWNER, containing="Part one"), "Approve")
    first.x.wait_for_posts(2)  # part two is on X; A waits for the answer
    held, part_one = first.row(ts), first.on_x(ts)
    assert held.status == "publishing" and part_one.post_ids is not None and len(part_one.post_ids) == 1
    expire_lease(first, ts)

    second = start_bot()  # its first pass recovers the expired lease
    first.slack.wait_until(lambda: "lease_expired" in [a.action for a in first.audit(held.id)], timeout=5)
    first.slack.wait_until(lambda: answered(first, 2), timeout=10)
    time.sleep(0.5)  # A has its answer: give it time to (wrongly) record it and go on
    draft = first.row(ts)
    assert len(first.x.posts) == 2, [p.text for p in first.x.posts]
    assert draft.status == "unknown" and first.on_x(ts).post_ids == part_one.post_ids

    first.x.lag_timeline(0)
    second.running.services.publisher.look_again()  # part two is on the timeline now
    first.wait_status(ts, "published", timeout=10)
    posts = first.x.posts
    assert [p.text for p in posts] == [
        "Part one: beans.",
        "Part two: water.",
        f"Part three: patience.\n\n{attribution(OWNER)}",
    ]
    assert [p.in_reply_to for p in posts] == [None, posts[0].id, posts[1].id]
    assert first.on_x(ts).post_ids == [p.id for p in posts]


def test_a_thread_renews_its_lease_before_each_part(bot: Harness) -> None:
    """Each part may take X's longest call: the lease is renewed as each part's id is recorded, before the next."""
    bot.x.hang(seconds=1.0, times=3, record_anyway=True)
    ts = bot.draft(THREAD)
    bot.click(bot.card(OWNER, containing="Part one"), "Approve")
    leases: dict[int, object] = {}
    deadline = time.monotonic() + 15
    while (sent := bot._maybe_x(ts)) is None or sent.status != "published":
        assert time.monotonic() < deadline, "not published in time"
        if sent is not None and sent.status == "publishing":
            leases[len(sent.post_ids or [])] = sent.lease_until
        time.sleep(0.05)
    assert {0, 1, 2} <= set(leases)  # seen before each part (and maybe once all three were recorded)
    renewed = [leases[n] for n in sorted(leases)]
    assert renewed == sorted(renewed) and len(set(renewed)) == len(renewed), renewed


def test_a_publish_lease_shorter_than_one_x_call_stops_the_start_saying_why(
    tmp_path: Path, slack: SlackSandbox, x: XSandbox
) -> None:
    """A lease that can run out while its holder still waits for X lets another instance take over a post that
    may be going out: `countersign run` refuses it, naming the variable and the minimum."""
    env = app_env(slack, x, f"sqlite:///{tmp_path / 'cs.db'}", PUBLISH_LEASE="10s")
    result = run_cli("run", "--http", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "PUBLISH_LEASE must be at least 25s" in result.stderr and "(got 10s)" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
