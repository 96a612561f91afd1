"""Publishing's claims: who holds a post while it goes out, and what happens when that holder is slow, dead or
paused. Each story drives the real app over signed HTTP with tweepy talking to the X sandbox."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from storage.types import utcnow
from tests.e2e.harness import OWNER, Harness, posted


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
    queued = bot.slack.wait_until(lambda: (d := bot._maybe_row(ts)) and d.next_attempt_at is not None and d)
    assert "paused" in bot.driver.command("pause", OWNER).json()["text"]
    bot.slack.wait_until(lambda: utcnow() > queued.next_attempt_at, timeout=5)  # the retry is overdue now
    with counting_statements(bot) as statements:
        time.sleep(1.0)
    assert len(statements) <= 10, f"{len(statements)} statements in 1 s while paused: {statements[:5]}"
    assert bot.x.posts == [] and bot.row(ts).status == "approved"

    assert "resumed" in bot.driver.command("resume", OWNER).json()["text"].lower()
    [post] = bot.x.wait_for_posts(1, timeout=10)
    assert post.text == posted("Held while paused.", OWNER)
