"""Reliability rounds for issue 9's operational cases (see benchmarks/reliability.py): names when Slack fails or
is slow (case 3), the weekly digest against a lost answer and a refusal (case 5), approvers' own drafts and the
card catch-up (case 6)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from _app import DRAFTS, OWNER, OWNER2, WRITER, Round, final_text, poll

from bot.sandbox.slack_api import dm_channel_for
from storage.models import AuditEvent, Draft, DraftVersion

Outcome = tuple[int, set[str], int, dict[str, bool]]  # as in reliability.py
PUBLISHED = "published"
MON_W45 = datetime(2026, 11, 2, 10, tzinfo=UTC)
DIGEST_TIME = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)  # the W45 digest is due


def _expire_names(r: Round) -> None:
    assert r.running is not None
    r.running.services.workflow.directory.ttl_s = 0.0


def names_fail(r: Round, i: int) -> Outcome:
    """users.info fails on every call after the name cache expired: the post is signed with the last known name."""
    text = f"Signed by a person, round {i}."
    ts, card = r.submitted(text)
    _expire_names(r)
    r.lab.sandbox.slack.fail("users.info", error="internal_error", status=200, times=100)
    r.click(ts, card, "Approve")
    r.wait_status(ts, PUBLISHED)
    posts = r.lab.sandbox.x.live_posts()
    return 1, {PUBLISHED}, 1, {"signed with the last known name": bool(posts) and posts[0].text == final_text(text)}


def names_slow(r: Round, i: int) -> Outcome:
    """users.info takes 3 s while a decision is recorded: the next message is still acked at once."""
    slack, driver = r.lab.sandbox.slack, r.driver
    assert driver is not None
    ts, card = r.submitted(f"Approved while Slack is slow, round {i}.")
    _expire_names(r)
    slack.delay("users.info", 3.0, times=3)
    asked = len(slack.calls_to("users.info"))
    r.click(ts, card, "Approve")
    poll(lambda: len(slack.calls_to("users.info")) > asked, 5, "the decision asking Slack for a name")
    time.sleep(0.3)
    started = time.perf_counter()
    driver.message(WRITER, f"Meanwhile, round {i}.", DRAFTS)  # not counted: only its ack time matters
    took = time.perf_counter() - started
    r.wait_status(ts, PUBLISHED, timeout=20)
    return 1, {PUBLISHED}, 1, {f"the next message acked in {took:.2f} s, under 1 s": took < 1.0}


def _a_week_with_a_draft(r: Round) -> None:
    assert r.store is not None
    with r.store.transaction() as tx:
        draft = Draft(
            channel=DRAFTS, ts=f"1700000000.{r.lab.count:06d}", writer_id=WRITER, text="W45", status="rejected"
        )
        draft.created_at = draft.updated_at = draft.pending_since = MON_W45
        tx.session.add(draft)
        tx.session.flush()
        tx.session.add(
            DraftVersion(draft_id=draft.id or 0, version=1, text="W45", author_id=WRITER, created_at=MON_W45)
        )
        tx.session.add(AuditEvent(draft_id=draft.id, action="submitted", actor_id=WRITER, at=MON_W45))


def _digests(r: Round) -> int:
    return len([m for m in r.lab.sandbox.slack.messages(DRAFTS) if "Weekly digest" in str(m.blocks)])


def _told(r: Round, words: str) -> list[int]:
    slack = r.lab.sandbox.slack
    return [len([m for m in slack.messages(dm_channel_for(a)) if words in m.text]) for a in (OWNER, OWNER2)]


def digest_lost(r: Round, i: int) -> Outcome:
    """Slack posts the digest, and its answer never comes (the client times out after 10 s)."""
    assert r.running is not None
    _a_week_with_a_draft(r)
    r.lab.sandbox.slack.lose_answer("chat.postMessage", hang=12)
    tick = r.running.services.scheduler.tick
    for later in (timedelta(0), timedelta(seconds=30), timedelta(minutes=11), timedelta(hours=30)):
        tick(DIGEST_TIME + later)
    checks = {
        f"{_digests(r)} digests in the channel, 1 expected": _digests(r) == 1,
        "each approver told once that it may or may not be there": _told(r, "may or may not") == [1, 1],
    }
    return 1, set(), 0, checks


def digest_refused(r: Round, i: int) -> Outcome:
    """The bot isn't in the digest channel: backed off, the approvers told once how to fix it; sent once invited."""
    assert r.running is not None
    slack = r.lab.sandbox.slack
    _a_week_with_a_draft(r)
    slack.remove_bot_from(DRAFTS)
    tick = r.running.services.scheduler.tick
    for seconds in range(0, 600, 30):  # ten minutes of the scheduler's 30 s ticks
        tick(DIGEST_TIME + timedelta(seconds=seconds))
    tries = len([c for c in slack.calls_to("chat.postMessage") if c.args.get("channel") == DRAFTS])
    slack.invite_bot(DRAFTS)
    sent = tick(DIGEST_TIME + timedelta(minutes=11)).digest
    checks = {
        f"{tries} tries in ten minutes of ticks, 1 expected": tries == 1,
        "each approver told once, with /invite": _told(r, "/invite @Countersign") == [1, 1],
        "sent once invited": bool(sent and sent.sent) and _digests(r) == 1,
    }
    return tries, set(), 0, checks


def own_drafts(r: Round, i: int) -> Outcome:
    """Twenty drafts by an approver (one card each, none to themselves), then a writer's card to that approver
    lost: the first tick's catch-up posts it."""
    assert r.running is not None
    slack = r.lab.sandbox.slack
    for n in range(20):
        ts = r.draft(f"Owner's own idea {n}, round {i}.", user=OWNER)
        r.card(f"Owner's own idea {n}, round {i}.", OWNER2)
        slack.wait_for(lambda s, ts=ts: s.thread(DRAFTS, ts) or None, 10)
    slack.fail("chat.postMessage", error="internal_error", status=200)
    text = f"Lost card, round {i}."
    ts = r.draft(text)
    r.card(text, OWNER2)
    slack.wait_for(lambda s: s.thread(DRAFTS, ts) or None, 10)
    tick = r.running.services.scheduler.tick
    first = tick(datetime.now(UTC) + timedelta(minutes=1)).cards_caught_up
    posted = bool([m for m in slack.messages(dm_channel_for(OWNER)) if text in str(m.blocks)])
    second = tick(datetime.now(UTC) + timedelta(minutes=2)).cards_caught_up
    checks = {
        f"the lost card posted by the first tick ({first} caught up)": posted and first == 1,
        "then none": second == 0,
    }
    return 1, {"pending"}, 0, checks
