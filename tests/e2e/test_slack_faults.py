"""Issue 4, point 2: Slack answering badly — rate limits, outages, vanished messages, stale triggers."""

from __future__ import annotations

from datetime import timedelta

from storage.types import utcnow
from tests.e2e.harness import DRAFTS, OWNER, OWNER2, Harness, block_text, buttons, posted


def test_a_rate_limited_card_is_posted_after_retry_after(bot: Harness) -> None:
    bot.slack.fail("chat.postMessage", error="ratelimited", status=429, retry_after=1)
    bot.draft("Slow down, Slack says.")
    card = bot.card(OWNER, containing="Slow down", timeout=10)
    attempts = [c for c in bot.slack.calls_to("chat.postMessage") if c.args.get("channel") == OWNER]
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[1].at - attempts[0].at >= 0.9  # waited for Retry-After
    assert buttons(card) == ["Approve", "Edit", "Request changes", "Reject"]


def test_a_rate_limited_card_update_lands_after_the_wait(bot: Harness) -> None:
    bot.draft("Update me later.")
    card = bot.card(OWNER, containing="Update me later")
    bot.slack.fail("chat.update", error="ratelimited", status=429, retry_after=1, times=1)
    bot.click(card, "Approve")
    bot.wait_card(card, lambda m: "view on X" in block_text(m.blocks), timeout=10)
    assert 429 in [c.status for c in bot.slack.calls_to("chat.update")]


def test_slack_unreachable_during_a_decision_keeps_it_and_the_cards_catch_up(bot: Harness) -> None:
    ts = bot.draft("Decided while Slack is away.")
    card = bot.card(OWNER, containing="Decided while Slack is away")
    bot.card(OWNER2, containing="Decided while Slack is away")
    bot.thread(ts)
    bot.slack.go_down()
    try:
        bot.click(card, "Approve")  # the click reaches us; our calls back to Slack can't
        [post] = bot.x.wait_for_posts(1, timeout=10)
        bot.wait_status(ts, "published", timeout=15)
        bot.settle()  # the listener and the publisher have given up on Slack
    finally:
        bot.slack.come_up()
    assert post.text == posted("Decided while Slack is away.", OWNER)
    assert buttons(bot.fresh(card)) == ["Approve", "Edit", "Request changes", "Reject"]  # still the old card


def test_cards_behind_their_draft_are_brought_up_to_date_by_the_tick(start_bot) -> None:
    bot = start_bot()
    ts = bot.draft("Catch me up.")
    card = bot.card(OWNER, containing="Catch me up")
    bot.thread(ts)
    bot.slack.go_down()
    try:
        bot.click(card, "Approve")
        bot.wait_status(ts, "published", timeout=15)
    finally:
        bot.slack.come_up()
    assert "view on X" not in block_text(bot.fresh(card).blocks)
    caught = bot.running.services.scheduler.tick().cards_caught_up
    assert caught == 1
    for shown in (card, bot.card(OWNER2, containing="Catch me up")):
        assert "view on X" in block_text(bot.fresh(shown).blocks) and not buttons(bot.fresh(shown))
    assert bot.running.services.scheduler.tick().cards_caught_up == 0  # nothing left behind


def test_a_card_that_never_got_out_is_posted_by_the_tick(start_bot) -> None:
    bot = start_bot()
    bot.slack.go_down()
    try:
        ts = bot.draft("Nobody saw me.")
        bot.slack.wait_until(lambda: bot._maybe_row(ts), timeout=10)
        bot.settle()
    finally:
        bot.slack.come_up()
    assert bot.slack.messages(f"D{OWNER[1:]}") == []
    again = start_bot()  # a restarted instance on the same database
    assert again.running.services.scheduler.tick(utcnow() + timedelta(minutes=1)).cards_caught_up == 1
    card = again.card(OWNER, containing="Nobody saw me")
    again.card(OWNER2, containing="Nobody saw me")
    again.click(card, "Approve")
    assert again.x.wait_for_posts(1)[0].text == posted("Nobody saw me.", OWNER)


def test_a_reply_slack_missed_reaches_the_writer_once_when_slack_is_back(start_bot) -> None:
    bot = start_bot()
    ts = bot.draft("Tell me when it's out.")
    card = bot.card(OWNER, containing="Tell me when it's out")
    bot.thread(ts, containing="Sent to")
    bot.slack.go_down()
    try:
        bot.click(card, "Approve")
        bot.wait_status(ts, "published", timeout=15)
        bot.settle()  # the listener and the publisher tried to reply, and gave up
    finally:
        bot.slack.come_up()
    assert not [m for m in bot.slack.thread(DRAFTS, ts) if "published" in m.text]
    again = start_bot()  # another instance, or this one restarted: the reply isn't lost with the process
    assert again.running.services.scheduler.tick(utcnow()).writers_told == 0  # the live path's grace first
    assert again.running.services.scheduler.tick(utcnow() + timedelta(minutes=1)).writers_told == 1
    [told] = again.thread(ts, containing="published")
    assert told.text.startswith(f"Approved by <@{OWNER}> · published https://x.com/")
    assert again.running.services.scheduler.tick(utcnow() + timedelta(minutes=2)).writers_told == 0
    assert len([m for m in again.slack.thread(DRAFTS, ts) if "published" in m.text]) == 1


def test_a_deleted_card_is_not_retried_forever(bot: Harness) -> None:
    ts = bot.draft("My card was deleted.")
    card = bot.card(OWNER, containing="My card was deleted")
    bot.thread(ts)
    bot.slack.fail("chat.update", error="message_not_found", status=200, times=1)
    bot.click(card, "Approve", OWNER2)
    bot.wait_status(ts, "published")
    bot.settle()
    assert bot.x.posts and len(bot.x.posts) == 1
    errors = [c for c in bot.slack.calls_to("chat.update") if c.response and c.response.get("error")]
    assert [c.response["error"] for c in errors] == ["message_not_found"]


def test_an_expired_trigger_asks_to_click_again(bot: Harness) -> None:
    ts = bot.draft("Edit me, slowly.")
    card = bot.card(OWNER, containing="Edit me, slowly")
    bot.click(card, "Edit", trigger_id="expired.0.abc")
    assert "click the button again" in bot.ephemeral(OWNER, containing="again")
    assert bot.row(ts).status == "pending" and bot.slack.views == []
