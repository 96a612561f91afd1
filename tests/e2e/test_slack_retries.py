"""Issue 9, case 11a: a connection reset after Slack took a chat.postMessage must not make a second message.

slack_sdk's ConnectionErrorRetryHandler re-sends a call whose connection failed; the sandbox posts the message
and then resets the connection, as a network fault after Slack processed the call would.
"""

from __future__ import annotations

from datetime import timedelta

from bot.sandbox.slack_api import dm_channel_for
from storage.types import utcnow
from tests.e2e.harness import DRAFTS, OWNER, OWNER2, Harness, block_text, buttons


def cards_containing(bot: Harness, approver: str, text: str) -> list:
    return [m for m in bot.cards_in(dm_channel_for(approver)) if text in block_text(m.blocks)]


def test_a_card_slack_took_before_a_connection_reset_is_one_card(start_bot) -> None:
    bot = start_bot()
    bot.slack.reset_after("chat.postMessage", times=3)  # both cards and the writer's "Sent to" reply
    ts = bot.draft("Reset after posting.")
    bot.card(OWNER2, containing="Reset after posting")
    bot.thread(ts, containing="Sent to")
    bot.slack.wait_until(lambda: len(bot.slack.calls_to("chat.postMessage")) >= 3)
    bot.running.services.scheduler.tick(utcnow() + timedelta(minutes=3))  # the catch-up of cards Slack "missed"
    bot.running.services.scheduler.tick(utcnow() + timedelta(minutes=6))
    assert len(cards_containing(bot, OWNER, "Reset after posting")) == 1
    assert len(cards_containing(bot, OWNER2, "Reset after posting")) == 1
    assert len([m for m in bot.slack.thread(DRAFTS, ts) if "Sent to" in m.text]) == 1
    [card] = cards_containing(bot, OWNER, "Reset after posting")
    bot.click(card, "Approve")  # the card Slack kept is the one the app keeps up to date
    bot.wait_card(card, lambda m: "view on X" in block_text(m.blocks) and not buttons(m), timeout=10)
    [other] = cards_containing(bot, OWNER2, "Reset after posting")
    bot.wait_card(other, lambda m: not buttons(m), timeout=10)


def test_a_reply_slack_took_before_a_connection_reset_reaches_the_writer_once(start_bot) -> None:
    bot = start_bot()
    ts = bot.draft("Tell me once.")
    card = bot.card(OWNER, containing="Tell me once")
    bot.thread(ts, containing="Sent to")
    bot.slack.reset_after("chat.postMessage")  # the "Approved by … published" reply
    bot.click(card, "Approve")
    bot.wait_status(ts, "published", timeout=10)
    bot.thread(ts, containing="published")
    for minutes in (1, 3, 6):
        bot.running.services.scheduler.tick(utcnow() + timedelta(minutes=minutes))
    assert len([m for m in bot.slack.thread(DRAFTS, ts) if "published" in m.text]) == 1


def test_a_card_slack_cannot_find_again_is_posted_again_rather_than_never(start_bot) -> None:
    """Without `im:history` the DM can't be read back: a second card is better than an approver with none."""
    bot = start_bot()
    bot.slack.reset_after("chat.postMessage")
    bot.slack.fail("conversations.history", error="missing_scope", status=200)
    bot.draft("Read me back.")
    bot.card(OWNER2, containing="Read me back")
    bot.running.services.scheduler.tick(utcnow() + timedelta(minutes=3))
    assert len(cards_containing(bot, OWNER, "Read me back")) == 2
    assert [c.response["error"] for c in bot.slack.calls_to("conversations.history")] == ["missing_scope"]


def test_a_card_no_row_remembers_is_adopted_when_it_is_clicked(start_bot) -> None:
    """A process killed between chat.postMessage and saving the card's ts leaves a card the database has no row
    for; when the draft is decided on it (by the process started after), it becomes the approver's card and shows
    the post once it is out."""
    from sqlalchemy import delete

    from storage.models import Card

    first = start_bot()
    ts = first.draft("Killed before the ts was saved.")
    orphan = first.card(OWNER, containing="Killed before the ts was saved")
    first.card(OWNER2, containing="Killed before the ts was saved")
    draft = first.wait_status(ts, "pending")
    first.settle()
    with first.store.transaction() as tx:  # the row its process never saved
        tx.session.execute(delete(Card).where(Card.draft_id == draft.id, Card.approver_id == OWNER))
    bot = start_bot()  # a process that never saw the card
    bot.click(orphan, "Approve")
    bot.wait_status(ts, "published", timeout=10)
    published = f"published: <{bot.x.link_of(0)}|view on X>"
    shown = bot.wait_card(orphan, lambda m: published in block_text(m.blocks), timeout=10)
    assert not buttons(shown) and len(cards_containing(bot, OWNER, "Killed before the ts was saved")) == 1
