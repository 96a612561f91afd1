"""Issue 10, point 8 on PostgreSQL: a scheduled draft goes out once, on time, whichever of three instances wakes.

Three `countersign run --http` processes share one database. The writer proposes a time a few seconds ahead; the
owner approves it on another instance than the one that took the draft, leaving about 2 s. Every instance's
publisher sleeps until the next due time (read from the database), so all of them wake for it: the claim's
compare-and-set lets exactly one post, and not before the time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.sandbox import SlackSandbox, XSandbox
from bot.sandbox.slack_api import dm_channel_for
from storage.engine import make_engine
from storage.models import AuditEvent, Draft
from storage.store import Store
from tests.e2e.harness import DRAFTS, OWNER, WRITER, block_text, posted
from tests.e2e.test_multi_instance import Instance, poll, postgresql_url, start_instances  # noqa: F401 (fixtures)

AHEAD = timedelta(seconds=4)  # from the message; the card and the click take some of it


def test_a_draft_scheduled_seconds_ahead_posts_once_across_three_instances(
    start_instances: Callable[..., list[Instance]],  # noqa: F811 (the fixture imported above)
    slack: SlackSandbox,
    x: XSandbox,
    postgresql_url: str,  # noqa: F811
) -> None:
    instances = start_instances(3)
    due = (datetime.now(UTC) + AHEAD).replace(microsecond=0)
    text = "Scheduled across instances."
    _, response = instances[0].driver.message(WRITER, f"at: {due:%Y-%m-%d %H:%M:%S}\n{text}", DRAFTS)
    assert response.status_code == 200

    def card() -> object:
        return next(
            (m for m in slack.messages(dm_channel_for(OWNER)) if m.blocks and text in block_text(m.blocks)), None
        )

    poll(lambda: card() is not None, 5, "the card")
    assert instances[1].driver.click(card(), "Approve", OWNER).status_code == 200
    left = (due - datetime.now(UTC)).total_seconds()
    assert left > 0.5, f"approved only {left:.2f} s before the time: the test machine is too slow to show it"

    poll(lambda: bool(x.posts), left + 3, "the post")
    [post] = x.posts
    time.sleep(1.5)  # any second post would come right after the first
    assert len(x.posts) == 1 and post.text == posted(text)
    late = (post.created_at - due).total_seconds()
    assert 0 <= late < 1.0, f"posted {late:+.3f} s from its time"

    store = Store(make_engine(postgresql_url))
    with store.read() as tx:
        [draft] = tx.session.exec(select(Draft)).all()
        claims = tx.session.exec(select(AuditEvent).where(AuditEvent.action == "publish_claimed")).all()
    assert draft.status == "published" and draft.publish_at == due
    assert len(claims) == 1
    store.engine.dispose()
    assert [i.stop() for i in instances] == [0, 0, 0]
    assert all("Traceback" not in i.log() for i in instances)
