"""Issue 3, points 1 and 2: `/countersign` subcommands and the App Home queue."""

from __future__ import annotations

from bot.slack.ids import BlockId, CallbackId, InputId
from tests.e2e.harness import (
    OUTSIDER,
    OWNER,
    OWNER2,
    WRITER,
    Harness,
    block_text,
    posted,
)


def command(bot: Harness, text: str, user: str = OWNER) -> str:
    response = bot.driver.command(text, user)
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    return body["text"]


def test_status_shows_counts_queue_attention_and_recent_posts(bot: Harness) -> None:
    first = bot.draft("Oldest waiting draft.")
    bot.card(OWNER, containing="Oldest waiting")
    bot.draft("Newer waiting draft.")
    bot.card(OWNER, containing="Newer waiting")
    published = bot.draft("Already out.")
    bot.click(bot.card(OWNER, containing="Already out"), "Approve")
    bot.wait_status(published, "published")
    bot.x.fail(status=401)
    failing = bot.draft("Will fail.")
    bot.click(bot.card(OWNER, containing="Will fail"), "Approve")
    bot.wait_status(failing, "failed")

    text = command(bot, "status")
    assert "2 pending" in text and "1 published this week" in text and "1 failed" in text
    oldest, newer = text.index("Oldest waiting"), text.index("Newer waiting")
    assert oldest < newer  # oldest first
    first_id = bot.row(first).id
    card = bot.card(OWNER, containing="Oldest waiting")
    link = f"https://acme.slack.com/archives/{card.channel}/p{card.ts.replace('.', '')}"
    assert f"<{link}|#{first_id}>" in text and f"<@{WRITER}>" in text and "waiting 1 min" in text
    assert "check the X keys" in text and "press Retry" in text
    assert bot.on_x(published).post_url in text
    assert "paused" not in text.lower()


def test_bare_command_is_status_and_non_approvers_may_read_it(bot: Harness) -> None:
    assert command(bot, "", OUTSIDER).startswith("*Countersign status*")
    assert "Nothing is waiting" in command(bot, "status", OUTSIDER)


def test_help_and_unknown_words_list_every_subcommand(bot: Harness) -> None:
    for text in ("help", "frobnicate now"):
        answer = command(bot, text, OUTSIDER)
        for sub in ("status", "show <id>", "digest", "pause", "resume", "help"):
            assert f"/countersign {sub}`" in answer


def test_show_tells_a_drafts_whole_story_with_a_word_diff(bot: Harness) -> None:
    ts = bot.draft("We is open late tonite.")
    card = bot.card(OWNER, containing="We is open")
    bot.click(card, "Request changes")
    bot.submit(bot.modal(CallbackId.REQUEST_CHANGES), {BlockId.REASON: {InputId.REASON: "Grammar please"}})
    bot.wait_status(ts, "changes_requested")
    bot.edit(ts, "We are open late tonite.", "We is open late tonite.")
    bot.wait_status(ts, "pending")
    bot.click(bot.card(OWNER, containing="We are open"), "Edit")
    bot.submit(bot.modal(CallbackId.EDIT), {BlockId.EDIT_TEXT: {InputId.TEXT: "We are open late tonight!"}})
    draft = bot.wait_status(ts, "published")

    text = command(bot, f"show {draft.id}", OUTSIDER)
    assert f"*Draft #{draft.id}*" in text and "published" in text and (bot.on_x(ts).post_url or "?") in text
    assert "v1 by <@U0WRITER>" in text and "v2 by <@U0WRITER>" in text and "v3 by <@U0OWNER>" in text
    for action in ("submitted", "changes_requested", "revised", "edited", "publish_claimed", "published"):
        assert f" {action} by" in text
    assert "Grammar please" in text
    assert "~is~ *are*" in text and "~tonite.~ *tonight!*" in text


def test_show_answers_clearly_for_missing_and_malformed_ids(bot: Harness) -> None:
    assert "no draft #999" in command(bot, "show 999")
    assert "isn't a draft number" in command(bot, "show abc")


def test_digest_previews_this_week_only_to_the_caller(bot: Harness) -> None:
    ts = bot.draft("Counted in the preview.")
    bot.click(bot.card(OWNER, containing="Counted in the preview"), "Approve")
    bot.wait_status(ts, "published")
    response = bot.driver.command("digest", OUTSIDER)
    assert response.json()["response_type"] == "ephemeral"
    call = bot.slack.wait_for_call("response_url")
    assert call.args.get("response_type") == "ephemeral"
    text = block_text(call.args["blocks"])
    assert "Published in your name: 1" in text and "1 submitted" in text
    assert not [m for m in bot.slack.messages("C0DRAFTS") if "Weekly digest" in block_text(m.blocks)]


def test_pause_holds_approved_posts_and_resume_sends_them_in_order(bot: Harness) -> None:
    assert "Publishing is paused" in command(bot, "pause")
    assert "already paused" in command(bot, "pause", OWNER2)
    first = bot.draft("First approved while paused.")
    bot.click(bot.card(OWNER, containing="First approved"), "Approve")
    second = bot.draft("Second approved while paused.")
    bot.click(bot.card(OWNER, containing="Second approved"), "Approve")
    bot.wait_status(second, "approved")
    bot.running.services.publisher.run_once()
    assert bot.x.posts == [] and bot.row(first).status == "approved"
    assert "Publishing is paused" in command(bot, "status", OUTSIDER)

    assert "resumed" in command(bot, "resume", OWNER2)
    posts = bot.x.wait_for_posts(2)
    assert [p.text for p in posts] == [
        posted("First approved while paused.", OWNER),
        posted("Second approved while paused.", OWNER),
    ]
    actions = [a.action for a in bot.audit() if a.draft_id is None]
    assert actions == ["paused", "resumed"]


def test_only_approvers_may_pause_or_resume(bot: Harness) -> None:
    answer = command(bot, "pause", OUTSIDER)
    assert "Only this brand's approvers" in answer
    assert "Nothing is waiting" in command(bot, "status") and "paused" not in command(bot, "status").lower()
    assert [a.action for a in bot.audit() if a.draft_id is None] == ["refused_not_an_approver"]


def test_app_home_shows_an_approvers_queue_with_working_buttons(bot: Harness) -> None:
    ts = bot.draft("Decide me from home.")
    bot.card(OWNER, containing="Decide me from home")
    bot.driver.app_home_opened(OWNER)
    home = bot.slack.wait_for(lambda s: s.home(OWNER))
    text = block_text(home.blocks)
    assert "Decide me from home." in text and "1 pending" in text
    bot.driver.click_in_view(home, "Approve", OWNER)
    [post] = bot.x.wait_for_posts(1)
    assert post.text == posted("Decide me from home.", OWNER)
    bot.wait_status(ts, "published")
    refreshed = bot.slack.wait_for(
        lambda s: (v := s.home(OWNER)) and "Nothing is waiting" in block_text(v.blocks) and v
    )
    assert "Decide me from home." not in block_text(refreshed.blocks)


def test_a_decision_on_a_card_leaves_the_home_tab_to_its_next_opening(bot: Harness) -> None:
    """Publishing the decider's App Home after every click in their DMs rebuilt a view nobody was looking at
    (a quarter of an approval's CPU); Slack sends app_home_opened whenever the tab is opened."""
    ts = bot.draft("Decide me from the DM.")
    card = bot.card(OWNER, containing="Decide me from the DM")
    bot.click(card, "Approve")
    bot.wait_status(ts, "published")
    bot.settle()
    assert bot.slack.calls_to("views.publish") == []


def test_app_home_edit_opens_the_modal_from_the_home_tab(bot: Harness) -> None:
    ts = bot.draft("Edit me from home.")
    bot.card(OWNER, containing="Edit me from home")
    bot.driver.app_home_opened(OWNER)
    home = bot.slack.wait_for(lambda s: s.home(OWNER))
    bot.driver.click_in_view(home, "Edit", OWNER)
    bot.submit(bot.modal(CallbackId.EDIT), {BlockId.EDIT_TEXT: {InputId.TEXT: "Edited from home."}})
    assert bot.x.wait_for_posts(1)[0].text == posted("Edited from home.", OWNER)
    assert bot.wait_status(ts, "published").version == 2


def test_app_home_for_a_non_approver_has_no_buttons(bot: Harness) -> None:
    bot.draft("Not yours to decide.")
    bot.card(OWNER, containing="Not yours")
    bot.driver.app_home_opened(OUTSIDER)
    home = bot.slack.wait_for(lambda s: s.home(OUTSIDER))
    assert "not an approver" in block_text(home.blocks)
    assert not [b for b in home.blocks if b["type"] == "actions"]
