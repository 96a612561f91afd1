"""Point 4: what goes out on X — threads, the link back, and what people see when X answers badly."""

from __future__ import annotations

import time

import pytest

from bot.networks.x.client import READ_TIMEOUT_S, XAccount
from tests.e2e.harness import OWNER, OWNER2, Harness, attribution, block_text, buttons, posted


def test_a_three_part_draft_goes_out_as_a_chained_thread(bot: Harness) -> None:
    ts = bot.draft("First: we roast.\n---\nSecond: we brew.\n  ---  \nThird: you sip.")
    card = bot.card(OWNER, containing="First: we roast.")
    text = block_text(card.blocks)
    assert "Post 1 of 3:\nFirst: we roast." in text and "Post 3 of 3:\nThird: you sip." in text
    assert text.count("/280") == 3

    bot.click(card, "Approve")
    posts = bot.x.wait_for_posts(3)
    assert [p.text for p in posts] == [
        "First: we roast.",
        "Second: we brew.",
        f"Third: you sip.\n\n{attribution(OWNER)}",
    ]
    assert [p.in_reply_to for p in posts] == [None, posts[0].id, posts[1].id]
    bot.wait_status(ts, "published")
    assert bot.on_x(ts).post_ids == [p.id for p in posts]
    assert bot.x.link_of(0) in bot.thread(ts, containing="published")[0].text


def test_a_thread_with_a_part_over_the_limit_is_refused_naming_the_part(bot: Harness) -> None:
    ts = bot.draft("Short opener.\n---\n" + "z" * 281 + "\n---\nCloser.")
    reply = bot.thread(ts, containing="over")[0]
    assert "Part 2 of 3 is 1 over" in reply.text
    assert bot._maybe_row(ts) is None


def test_an_empty_thread_part_is_refused(bot: Harness) -> None:
    ts = bot.draft("Opener.\n---\n\n---\nCloser.")
    reply = bot.thread(ts, containing="empty")[0]
    assert "Part 2 of 3 is empty" in reply.text


def test_the_attribution_template_can_name_the_writer(start_bot) -> None:
    bot = start_bot(ATTRIBUTION_TEMPLATE="Written by {writer} at {agency} · OK'd by {approver}")
    bot.draft("Template check.")
    bot.click(bot.card(OWNER, containing="Template check"), "Approve")
    assert bot.x.wait_for_posts(1)[0].text == (
        "Template check.\n\nWritten by Wendy Writer at Northwind Agency · OK'd by Olivia Owner"
    )


def test_x_server_error_with_no_post_on_the_account_asks_the_approver(bot: Harness) -> None:
    bot.x.fail(status=503)
    ts = bot.draft("Maybe posted.")
    card = bot.card(OWNER, containing="Maybe posted")
    bot.click(card, "Approve")
    sent = bot.wait_x(ts, lambda d: "recent posts" in (d.last_error or ""))
    assert sent.status == "unknown" and bot.row(ts).status == "unknown"
    assert "503" in sent.last_error and "not among the account's recent posts" in sent.last_error
    shown = bot.wait_card(card, lambda m: "didn't confirm" in block_text(m.blocks))
    assert buttons(shown) == ["Mark as published", "Publish again", "Cancel"]
    assert "didn't confirm" in bot.thread(ts, containing="confirm")[0].text
    bot.running.services.publisher.run_once()
    assert bot.x.posts == [] and bot.row(ts).status == "unknown"  # never re-sent on its own


def test_x_server_error_after_the_post_was_made_is_found_on_the_account(bot: Harness) -> None:
    bot.x.fail(status=500, record_anyway=True)  # X made the post, then answered 500
    ts = bot.draft("Made it after all.")
    bot.click(bot.card(OWNER, containing="Made it after all"), "Approve")
    draft, sent = bot.wait_status(ts, "published"), bot.on_x(ts)
    [post] = bot.x.posts
    assert sent.post_ids == [post.id] and sent.post_url == bot.x.link_of(0)
    assert [a.action for a in bot.audit(draft.id)][-2:] == ["publish_uncertain", "reconciled"]


@pytest.mark.slow
def test_a_read_timeout_after_x_got_the_post_is_reconciled_not_resent(bot: Harness) -> None:
    """X hangs past the read timeout the app really uses (nothing shortened here), then makes the post anyway."""
    bot.x.hang(seconds=READ_TIMEOUT_S + 3, record_anyway=True)
    ts = bot.draft("Slow X.")
    bot.click(bot.card(OWNER, containing="Slow X"), "Approve")
    started = time.monotonic()
    draft = bot.wait_status(ts, "published", timeout=READ_TIMEOUT_S + 20)
    assert time.monotonic() - started >= READ_TIMEOUT_S - 1  # it waited the whole configured read timeout
    assert len(bot.x.posts) == 1 and bot.on_x(ts).post_ids == [bot.x.posts[0].id]
    actions = [a.action for a in bot.audit(draft.id)]
    assert "publish_uncertain" in actions and "reconciled" in actions


def test_a_slow_x_answer_within_the_read_timeout_is_simply_waited_for(bot: Harness) -> None:
    """The configured read timeout is what tweepy's requests use: a 3 s answer is no timeout, nothing uncertain."""
    assert READ_TIMEOUT_S > 3 + 1
    bot.x.hang(seconds=3.0, record_anyway=True)
    ts = bot.draft("Slow but sure.")
    bot.click(bot.card(OWNER, containing="Slow but sure"), "Approve")
    started = time.monotonic()
    draft = bot.wait_status(ts, "published", timeout=15)
    assert time.monotonic() - started >= 2.5
    assert len(bot.x.posts) == 1 and bot.on_x(ts).post_ids == [bot.x.posts[0].id]
    assert "publish_uncertain" not in [a.action for a in bot.audit(draft.id)]


def test_duplicate_content_is_settled_by_finding_the_post(bot: Harness) -> None:
    text = posted("Said it before.", OWNER)
    XAccount(
        api_key=bot.x.consumer_key, api_secret="s", access_token="t", access_token_secret="ts", base_url=bot.x.url
    ).post(text)
    ts = bot.draft("Said it before.")
    bot.click(bot.card(OWNER, containing="Said it before"), "Approve")
    bot.wait_status(ts, "published")
    assert len(bot.x.posts) == 1 and bot.on_x(ts).post_ids == [bot.x.posts[0].id]


def test_mark_as_published_records_it_without_sending(bot: Harness) -> None:
    bot.x.fail(status=503)
    ts = bot.draft("I saw it on X.")
    card = bot.card(OWNER, containing="I saw it on X")
    bot.click(card, "Approve")
    bot.wait_status(ts, "unknown")
    bot.click(bot.wait_card(card, lambda m: "Mark as published" in buttons(m)), "Mark as published", OWNER2)
    bot.wait_status(ts, "published")
    assert bot.x.posts == [] and bot.on_x(ts).post_url is None
    bot.wait_card(card, lambda m: "marked as published" in block_text(m.blocks) and not buttons(m))
    assert "marked as published" in bot.thread(ts, containing="marked")[0].text


def test_publish_again_sends_it_once(bot: Harness) -> None:
    bot.x.fail(status=503)
    ts = bot.draft("Not there, send again.")
    card = bot.card(OWNER, containing="Not there")
    bot.click(card, "Approve")
    bot.wait_status(ts, "unknown")
    bot.click(bot.wait_card(card, lambda m: "Publish again" in buttons(m)), "Publish again")
    [post] = bot.x.wait_for_posts(1)
    assert post.text == posted("Not there, send again.", OWNER)
    bot.wait_status(ts, "published")
    assert bot.on_x(ts).post_ids == [post.id]


def test_cancel_after_an_uncertain_attempt_stops_with_a_retry_button(bot: Harness) -> None:
    bot.x.fail(status=503)
    ts = bot.draft("Forget it.")
    card = bot.card(OWNER, containing="Forget it")
    bot.click(card, "Approve")
    bot.wait_status(ts, "unknown")
    bot.click(bot.wait_card(card, lambda m: "Cancel" in buttons(m)), "Cancel")
    bot.wait_status(ts, "failed")
    assert "cancelled by <@U0OWNER>" in (bot.on_x(ts).last_error or "")
    bot.wait_card(card, lambda m: buttons(m) == ["Retry"])
    bot.settle()
    assert bot.x.posts == []


def test_a_non_approver_cannot_settle_an_uncertain_post(bot: Harness) -> None:
    bot.x.fail(status=503)
    ts = bot.draft("Hands off.")
    card = bot.card(OWNER, containing="Hands off")
    bot.click(card, "Approve")
    bot.wait_status(ts, "unknown")
    settled = bot.wait_card(card, lambda m: "Publish again" in buttons(m))
    bot.driver.click(settled, "Publish again", "U0OUTSIDER")
    bot.ephemeral("U0OUTSIDER", containing="approvers")
    assert bot.row(ts).status == "unknown" and bot.x.posts == []


def test_rejected_keys_fail_with_what_to_do_and_retry_publishes(bot: Harness) -> None:
    bot.x.fail(status=401)
    ts = bot.draft("Keys first.")
    card = bot.card(OWNER, containing="Keys first")
    bot.click(card, "Approve")
    bot.wait_status(ts, "failed")
    assert "check the X keys" in (bot.on_x(ts).last_error or "")
    failed = bot.wait_card(card, lambda m: "publishing failed" in block_text(m.blocks))
    assert buttons(failed) == ["Retry"]
    assert "check the X keys" in bot.thread(ts, containing="failed")[0].text

    bot.click(failed, "Retry")
    [post] = bot.x.wait_for_posts(1)
    assert post.text == posted("Keys first.", OWNER)
    bot.wait_status(ts, "published")


def test_out_of_credits_fails_with_that_reason(bot: Harness) -> None:
    bot.x.fail(status=402)
    ts = bot.draft("No credits.")
    bot.click(bot.card(OWNER, containing="No credits"), "Approve")
    bot.wait_status(ts, "failed")
    assert "out of credits" in (bot.on_x(ts).last_error or "")


def test_rate_limited_waits_for_the_reset_then_posts_once(bot: Harness) -> None:
    bot.x.fail(status=429, reset_in=1)
    ts = bot.draft("Patience.")
    bot.click(bot.card(OWNER, containing="Patience"), "Approve")
    queued = bot.wait_x(ts, lambda d: d.next_attempt_at is not None)
    assert queued.status == "approved" and bot.row(ts).status == "approved"  # queued again, not failed
    [post] = bot.x.wait_for_posts(1, timeout=4)
    assert post.created_at >= queued.next_attempt_at  # not before the reset X announced
    assert post.text == posted("Patience.", OWNER)
    bot.wait_status(ts, "published")
    assert bot.on_x(ts).attempts == 2


def test_x_unreachable_is_retried_with_backoff_and_posts_once(bot: Harness) -> None:
    bot.x.go_down()
    try:
        ts = bot.draft("Offline for a bit.")
        bot.click(bot.card(OWNER, containing="Offline"), "Approve")
        sent = bot.wait_x(ts, lambda d: d.last_error, timeout=10)
        assert sent.status == "approved" and "connect" in (sent.last_error or "")
    finally:
        bot.x.come_up()
    [post] = bot.x.wait_for_posts(1, timeout=15)
    assert post.text == posted("Offline for a bit.", OWNER)
    bot.wait_status(ts, "published")
    assert bot.on_x(ts).attempts >= 2
