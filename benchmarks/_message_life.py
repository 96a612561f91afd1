"""Reliability rounds for a message's life as Slack reports it: tombstones, edits out of order, a deletion
before its creation, a refused draft fixed by editing, Slackbot and unfurls (see benchmarks/reliability.py)."""

from __future__ import annotations

from _app import DRAFTS, WRITER, Round, buttons, poll

Outcome = tuple[int, set[str], int, dict[str, bool]]  # as in reliability.py
PUBLISHED = "published"


def withdrawn_cards(r: Round, ts: str) -> bool:
    """Every card of the draft says Withdrawn and offers no button."""
    slack = r.lab.sandbox.slack
    shown = [slack.message(c.channel, c.ts) for c in r.cards() if c.ts]
    return bool(shown) and all(m is not None and "Withdrawn" in str(m.blocks) and not buttons(m) for m in shown)


def tombstone(r: Round, i: int) -> Outcome:
    """The writer deletes a draft (it has our reply, so Slack sends a tombstone), later the tombstone goes too."""
    driver, text = r.driver, f"Delete me, round {i}."
    assert driver is not None
    ts, _ = r.submitted(text)
    driver.delete_message(DRAFTS, ts, text, WRITER)
    r.wait_status(ts, "withdrawn")
    poll(lambda: withdrawn_cards(r, ts), 10, "cards showing Withdrawn")
    driver.delete_tombstone(DRAFTS, ts)
    r.settle()
    draft, replies = r.row(ts), r.lab.sandbox.slack.thread(DRAFTS, ts)
    checks = {"still version 1": draft is not None and draft.version == 1, "no reply after it": len(replies) == 1}
    return 2, {"withdrawn"}, 0, {**checks, "cards say Withdrawn, no buttons": withdrawn_cards(r, ts)}


def edits_reversed(r: Round, i: int) -> Outcome:
    """Two edits delivered newest first; the older one must not win, and the newest is what goes out."""
    driver, text = r.driver, f"Edit me, round {i}."
    assert driver is not None
    ts, card = r.submitted(text)
    older = driver.edit_event(WRITER, DRAFTS, ts, f"{text} Older edit.", text)
    newer = driver.edit_event(WRITER, DRAFTS, ts, f"{text} Newest edit.", f"{text} Older edit.")
    driver.event(newer)
    fresh = r.lab.sandbox.slack.wait_for(
        lambda s: (m := s.message(card.channel, card.ts)) and "Newest" in str(m.blocks)
    )
    driver.event(older)
    poll(lambda: r.audits("ignored_older_edit") == 1, 10, "the older edit ignored")
    r.click(ts, r.lab.sandbox.slack.message(card.channel, card.ts) or card, "Approve")
    r.wait_status(ts, PUBLISHED)
    posts = r.lab.sandbox.x.live_posts()
    return 2, {PUBLISHED}, 1, {"the newest edit went out": bool(fresh) and "Newest edit." in posts[0].text}


def deleted_first(r: Round, i: int) -> Outcome:
    """A message's deletion handled before its creation (and an edit after both): nothing may be live."""
    driver = r.driver
    assert driver is not None
    creation = driver.message_event(WRITER, f"Gone before it came, round {i}.", DRAFTS)
    ts = creation["ts"]
    driver.event(driver.delete_event(DRAFTS, ts, creation["text"], WRITER))
    driver.event(creation)
    driver.event(driver.edit_event(WRITER, DRAFTS, ts, "Edited after deletion.", creation["text"]))
    poll(lambda: r.audits("ignored_after_deletion") == 2, 10, "creation and edit ignored")
    r.settle()
    slack = r.lab.sandbox.slack
    return 3, set(), 0, {"no draft": r.row(ts) is None, "no card, no reply": slack.messages() == []}


def refused_then_fixed(r: Round, i: int) -> Outcome:
    """A draft refused as too long, fixed by the writer's edit: it goes for approval and out."""
    driver, text = r.driver, f"Fixed by an edit, round {i}."
    assert driver is not None
    ts = r.draft("y" * 300)
    r.lab.sandbox.slack.wait_for(lambda s: [m for m in s.thread(DRAFTS, ts) if "Not sent" in m.text], 10)
    driver.edit_message(WRITER, DRAFTS, ts, text, "y" * 300)
    r.texts[ts] = text
    r.click(ts, r.card(text), "Approve")
    r.wait_status(ts, PUBLISHED)
    return 1, {PUBLISHED}, 1, {}


def slackbot_and_unfurl(r: Round, i: int) -> Outcome:
    """A Slackbot reminder in the channel, and a link unfurl on a pending draft: neither changes anything."""
    driver, slack, text = r.driver, r.lab.sandbox.slack, f"Unfurl me: https://northwind.coffee/{i}"
    assert driver is not None
    ts, _ = r.submitted(text)
    before = len(slack.messages())
    driver.slackbot_message("Reminder: post the menu.", DRAFTS)
    driver.unfurl(WRITER, DRAFTS, ts, text, f"https://northwind.coffee/{i}")
    r.settle()
    draft = r.row(ts)
    checks = {
        "still version 1": draft is not None and draft.version == 1,
        "no new message": len(slack.messages()) == before,
    }
    return 2, {"pending"}, 0, checks
