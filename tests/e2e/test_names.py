"""Issue 9, case 3: people's names for the attribution — Slack failing once must not sign a post with an id,
and a slow users.info must never hold the database while it waits."""

from __future__ import annotations

import time

import pytest

from tests.e2e.harness import OWNER, WRITER, Harness, posted


def expire_names(bot: Harness) -> None:
    """The name cache's TTL run out: every name is asked of Slack again (the cache keeps what it last got)."""
    bot.running.services.workflow.directory.ttl_s = 0.0


def test_users_info_failing_after_the_cache_expired_signs_with_the_last_known_name(bot: Harness) -> None:
    ts = bot.draft("Signed by a person, not an id.")
    card = bot.card(OWNER, containing="Signed by a person")
    expire_names(bot)
    bot.slack.fail("users.info", error="internal_error", status=200, times=50)
    bot.click(card, "Approve")
    [post] = bot.x.wait_for_posts(1, timeout=10)
    assert post.text == posted("Signed by a person, not an id.", OWNER)
    assert OWNER not in post.text
    assert bot.wait_status(ts, "published").approver_name == "Olivia Owner"
    assert [c for c in bot.slack.calls_to("users.info") if c.response and not c.response["ok"]]  # Slack did fail


def test_a_slow_users_info_during_a_decision_doesnt_hold_up_other_requests(bot: Harness, database_url: str) -> None:
    """SQLite has one writer: a Slack call made inside the decision's transaction held it for as long as Slack
    took, and the next message's inbox INSERT (before its ack) waited past Slack's 3 s."""
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL locks rows, not the database: the decision's transaction blocks no INSERT there")
    ts = bot.draft("Approve me while Slack is slow.")
    card = bot.card(OWNER, containing="Approve me while Slack is slow")
    bot.thread(ts)
    expire_names(bot)
    bot.slack.delay("users.info", 3.0, times=3)
    asked = len(bot.slack.calls_to("users.info"))
    bot.click(card, "Approve")  # acked at once; the decision waits on users.info in the background
    bot.slack.wait_for(lambda s: len(s.calls_to("users.info")) > asked, timeout=5)
    time.sleep(0.3)
    started = time.monotonic()
    _, response = bot.driver.message(WRITER, "Another draft, meanwhile.", "C0DRAFTS")
    took = time.monotonic() - started
    assert response.status_code == 200
    assert took < 1.5, f"the message's ack waited {took:.1f} s behind the decision's transaction"
    assert bot.wait_status(ts, "published", timeout=20).approver_name == "Olivia Owner"


def test_an_approver_whose_name_slack_never_gave_is_asked_to_try_again_not_signed_with_an_id(start_bot, slack) -> None:
    slack.fail("users.info", error="internal_error", status=200, times=200)  # since before the start
    bot = start_bot()
    ts = bot.draft("Nobody knows my approver's name.")
    card = bot.card(OWNER, containing="Nobody knows my approver")
    bot.thread(ts)
    bot.click(card, "Approve")
    told = bot.ephemeral(OWNER, containing="try again")
    assert "your name" in told and "Nothing was changed" in told
    bot.settle()
    assert bot.row(ts).status == "pending"
    assert bot.x.posts == []
    assert any(e.action == "refused_name_unknown" for e in bot.audit())
