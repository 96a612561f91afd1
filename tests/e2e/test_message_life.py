"""A message's life as real Slack reports it: tombstones, edits out of order, deletions before creations,
refused drafts fixed by editing, Slackbot's own messages, link unfurls. One ordering rule holds for all."""

from __future__ import annotations

import pytest

from bot.sandbox import slack_events as events
from bot.sandbox.slack_events import SLACKBOT, TOMBSTONE_TEXT
from storage.models import DraftVersion
from tests.e2e.harness import DRAFTS, OWNER, OWNER2, TEAM, WRITER, Harness, block_text, buttons, posted
from tests.e2e.images import PDF


def versions(bot: Harness, draft_id: int | None) -> list[tuple[int, str]]:
    from sqlmodel import col, select

    with bot.store.read() as tx:
        rows = tx.session.exec(
            select(DraftVersion).where(DraftVersion.draft_id == draft_id).order_by(col(DraftVersion.version))
        ).all()
        return [(v.version, v.text) for v in rows]


def no_draft(bot: Harness, ts: str) -> bool:
    with bot.store.read() as tx:
        return tx.by_message(DRAFTS, ts) is None


def test_deleting_a_draft_with_replies_sends_a_tombstone_and_withdraws_it(bot: Harness) -> None:
    ts = bot.draft("Oops, wrong client.")
    card = bot.card(OWNER, containing="Oops")
    bot.thread(ts)  # our reply: the message now has a thread, so Slack tombstones it
    event = bot.driver.delete_event(DRAFTS, ts, "Oops, wrong client.", WRITER)
    assert event["subtype"] == "message_changed"
    assert event["message"]["subtype"] == "tombstone" and event["message"]["user"] == SLACKBOT
    assert (event["message"]["ts"], event["message"]["text"]) == (ts, TOMBSTONE_TEXT)
    bot.send(event)

    for approver in (OWNER, OWNER2):
        shown = bot.wait_card(bot.card(approver, containing="Oops"), lambda m: "Withdrawn" in block_text(m.blocks))
        assert not buttons(shown) and TOMBSTONE_TEXT not in block_text(shown.blocks)
    draft = bot.row(ts)
    assert (draft.status, draft.version, draft.text) == ("withdrawn", 1, "Oops, wrong client.")
    assert versions(bot, draft.id) == [(1, "Oops, wrong client.")]
    withdrawn = [a for a in bot.audit(draft.id) if a.action == "withdrawn"]
    assert [(a.actor_id, a.from_status, a.to_status) for a in withdrawn] == [(WRITER, "pending", "withdrawn")]
    bot.driver.click(card, "Approve", OWNER)
    bot.ephemeral(OWNER, containing="withdrawn")
    assert bot.x.posts == []


def test_the_later_deletion_of_the_tombstone_changes_nothing(bot: Harness) -> None:
    ts = bot.draft("Gone twice.")
    cards = [bot.card(approver, containing="Gone twice") for approver in (OWNER, OWNER2)]
    bot.delete(ts, "Gone twice.")
    for card in cards:
        bot.wait_card(card, lambda m: "Withdrawn" in block_text(m.blocks))
    audit_before = [a.action for a in bot.audit()]
    replies_before = bot.slack.thread(DRAFTS, ts)
    updates_before = len(bot.slack.calls_to("chat.update"))

    response = bot.driver.delete_tombstone(DRAFTS, ts)
    assert response.status_code == 200
    bot.settle()
    assert bot.row(ts).status == "withdrawn"
    assert [a.action for a in bot.audit()] == audit_before
    assert bot.slack.thread(DRAFTS, ts) == replies_before, "no 'deleted, but already…' reply"
    assert len(bot.slack.calls_to("chat.update")) == updates_before


def test_a_message_without_replies_is_deleted_with_message_deleted(bot: Harness) -> None:
    event = bot.driver.delete_event(DRAFTS, "1763700000.000200", "never replied to", WRITER)
    assert (event["subtype"], event["deleted_ts"]) == ("message_deleted", "1763700000.000200")


def test_an_older_edit_delivered_after_a_newer_one_never_wins(bot: Harness) -> None:
    ts = bot.draft("Open at 8.")
    card = bot.card(OWNER, containing="Open at 8.")
    older = bot.driver.edit_event(WRITER, DRAFTS, ts, "Open at 7.", "Open at 8.")
    newer = bot.driver.edit_event(WRITER, DRAFTS, ts, "Open at 6.", "Open at 7.")
    assert older["message"]["edited"]["ts"] < newer["message"]["edited"]["ts"]

    bot.send(newer)
    bot.wait_card(card, lambda m: "Open at 6." in block_text(m.blocks))
    bot.send(older)
    ignored = bot.wait_audit("ignored_older_edit")
    assert ignored.actor_id == WRITER and older["message"]["edited"]["ts"] in (ignored.detail or "")

    draft = bot.row(ts)
    assert (draft.version, draft.text) == (2, "Open at 6.")
    assert versions(bot, draft.id) == [(1, "Open at 8."), (2, "Open at 6.")]
    assert "Open at 6." in block_text(bot.fresh(card).blocks)
    bot.click(card, "Approve")
    assert bot.x.wait_for_posts(1)[0].text == posted("Open at 6.", OWNER)


def test_the_same_edit_delivered_twice_under_two_event_ids_is_one_version(bot: Harness) -> None:
    ts = bot.draft("Open at 8.")
    card = bot.card(OWNER, containing="Open at 8.")
    edit = bot.driver.edit_event(WRITER, DRAFTS, ts, "Open at 9.", "Open at 8.")
    bot.send(edit)
    bot.wait_card(card, lambda m: "Open at 9." in block_text(m.blocks))
    bot.send(edit)  # a new event id each time, as another instance's redelivery would be
    bot.settle()
    assert versions(bot, bot.row(ts).id) == [(1, "Open at 8."), (2, "Open at 9.")]
    assert len(bot.slack.thread(DRAFTS, ts)) == 2  # "sent for approval", then "updated: version 2"


def test_a_deletion_handled_before_its_creation_leaves_nothing_live(bot: Harness) -> None:
    creation = bot.driver.message_event(WRITER, "Posted and deleted at once.", DRAFTS)
    ts = creation["ts"]
    deletion = bot.driver.delete_event(DRAFTS, ts, "Posted and deleted at once.", WRITER)
    assert deletion["subtype"] == "message_deleted"  # nobody replied yet

    bot.send(deletion)
    bot.wait_audit("message_deleted")
    bot.send(creation)
    ignored = bot.wait_audit("ignored_after_deletion")
    assert ignored.actor_id == WRITER and ts in (ignored.detail or "")
    bot.send(bot.driver.edit_event(WRITER, DRAFTS, ts, "Edited after deletion.", "Posted and deleted at once."))
    bot.settle()
    assert no_draft(bot, ts)
    assert [a.action for a in bot.audit()].count("ignored_after_deletion") == 2
    assert bot.slack.messages() == [], "no card, and no reply under a message that is gone"


def test_a_tombstone_before_its_creation_leaves_nothing_live(bot: Harness) -> None:
    """A colleague replied in the thread, the writer deleted the message, and the deliveries crossed."""
    creation = bot.driver.message_event(WRITER, "Reordered.", DRAFTS)
    ts = creation["ts"]
    reply = (OWNER, bot.driver.next_ts())
    bot.send(events.message_tombstoned(DRAFTS, ts, "Reordered.", WRITER, [reply], bot.driver.next_ts(), TEAM))
    bot.wait_audit("message_deleted")
    bot.send(creation)
    bot.wait_audit("ignored_after_deletion")
    bot.settle()
    assert no_draft(bot, ts) and bot.slack.messages() == []


@pytest.mark.parametrize(
    ("first", "with_pdf", "refusal"),
    [
        ("y" * 300, False, "over"),
        ("", True, "`brief.pdf` won't be posted"),
        ("   ", False, "no text"),
    ],
    ids=["too long", "files only", "empty"],
)
def test_editing_a_refused_message_so_it_qualifies_sends_it_for_approval(
    bot: Harness, first: str, with_pdf: bool, refusal: str
) -> None:
    files = [bot.slack.add_file("brief.pdf", PDF)] if with_pdf else None
    ts = bot.draft(first, files=files)
    bot.thread(ts, containing=refusal)
    assert no_draft(bot, ts)

    edit = bot.driver.edit_event(WRITER, DRAFTS, ts, "Fixed: short and sweet.", first)
    if files:  # a file share keeps its files through an edit of its text
        edit["message"]["files"] = edit["previous_message"]["files"] = files
    bot.send(edit)
    card = bot.card(OWNER, containing="Fixed: short and sweet.")
    assert buttons(card) == ["Approve", "Edit", "Request changes", "Reject"]
    draft = bot.row(ts)
    assert (draft.status, draft.version, draft.text, draft.writer_id) == (
        "pending",
        1,
        "Fixed: short and sweet.",
        WRITER,
    )
    submitted = [a for a in bot.audit(draft.id) if a.action == "submitted"]
    assert [(a.actor_id, a.detail) for a in submitted] == [(WRITER, "from an edit")]
    reply = bot.thread(ts, count=2)[-1]
    assert "for approval" in reply.text and f"#{draft.id}" in reply.text
    bot.click(card, "Approve")
    assert bot.x.wait_for_posts(1)[0].text == posted("Fixed: short and sweet.", OWNER)


def test_an_edit_of_a_refused_message_that_still_does_not_fit_is_refused_again(bot: Harness) -> None:
    ts = bot.draft("y" * 300)
    bot.thread(ts, containing="over")
    bot.edit(ts, "z" * 290, "y" * 300)
    [_, again] = bot.thread(ts, count=2)
    assert "Not sent for approval" in again.text and "over" in again.text
    assert no_draft(bot, ts)
    bot.edit(ts, "Now it fits.", "z" * 290)
    bot.card(OWNER, containing="Now it fits.")
    assert bot.row(ts).text == "Now it fits."


def test_slackbots_messages_in_the_drafts_channel_are_not_drafts(bot: Harness) -> None:
    ts, response = bot.driver.slackbot_message("Reminder: post the menu.", DRAFTS)
    assert response.status_code == 200
    bot.settle()
    assert no_draft(bot, ts)
    assert bot.slack.messages() == [], "no card, no reply to Slackbot"


def test_a_link_unfurl_changes_nothing(bot: Harness) -> None:
    text = "New beans: https://northwind.coffee/beans"
    ts = bot.draft(text)
    card = bot.card(OWNER, containing="New beans")
    bot.thread(ts)
    before = bot.slack.messages()
    updates = len(bot.slack.calls_to("chat.update"))

    response = bot.driver.unfurl(WRITER, DRAFTS, ts, text, "https://northwind.coffee/beans")
    assert response.status_code == 200
    bot.settle()
    draft = bot.row(ts)
    assert (draft.status, draft.version) == ("pending", 1)
    assert versions(bot, draft.id) == [(1, text)]
    assert len(bot.slack.calls_to("chat.update")) == updates, "no card refresh"
    assert bot.slack.messages() == before, "no new reply or card"
    assert bot.fresh(card).blocks == before[[m.ts for m in before].index(card.ts)].blocks


def test_edits_delivered_at_once_in_any_order_end_at_the_newest(bot: Harness) -> None:
    """Five edits sent together, shuffled: the inbox's threads race, and the newest edit must still win."""
    import random
    import time
    from concurrent.futures import ThreadPoolExecutor

    ts = bot.draft("Edit 0.")
    card = bot.card(OWNER, containing="Edit 0.")
    edits = [bot.driver.edit_event(WRITER, DRAFTS, ts, f"Edit {i}.", f"Edit {i - 1}.") for i in range(1, 6)]
    random.Random(9).shuffle(edits)
    with ThreadPoolExecutor(5) as pool:
        assert all(r.status_code == 200 for r in pool.map(bot.driver.event, edits))
    deadline = time.monotonic() + 10
    while len([a for a in bot.audit() if a.action in ("revised", "ignored_older_edit")]) < 5:
        assert time.monotonic() < deadline, [a.action for a in bot.audit()]
        time.sleep(0.02)
    draft = bot.row(ts)
    assert draft.text == "Edit 5."
    texts = [text for _, text in versions(bot, draft.id)]
    assert texts == sorted(texts) and texts[-1] == "Edit 5."
    bot.wait_card(card, lambda m: "Edit 5." in block_text(m.blocks))
