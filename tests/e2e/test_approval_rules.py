"""Issue 11, point 1 end to end (signed HTTP, sandbox, both databases): APPROVAL_RULE `all` and N.

No UNDO_WINDOW on this branch: a post goes out as soon as the rule is met."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bot.sandbox import SlackSandbox
from bot.sandbox.slack_api import dm_channel_for
from bot.slack.ids import BlockId, CallbackId, InputId
from tests.e2e.harness import AGENCY, OWNER, OWNER2, WRITER, Harness, block_text, buttons

OWNER3 = "U0OWNER3"
BOTH = "Olivia Owner and Omar Second"
DECISION = ["Approve", "Edit", "Request changes", "Reject"]


def signed_by(text: str, names: str) -> str:
    return f"{text}\n\n— drafted by {AGENCY}, approved by {names}"


def no_post_for_a_while(bot: Harness, seconds: float = 0.6) -> None:
    """Nothing reaches X: the publisher wakes on every decision, so a post would be there by now."""
    time.sleep(seconds)
    assert bot.x.posts == []


def test_all_with_two_approvers_posts_nothing_after_one_yes_and_once_after_both(
    start_bot: Callable[..., Harness],
) -> None:
    bot = start_bot(APPROVAL_RULE="all")
    ts = bot.draft("Fresh beans are in.")
    olivia, omar = bot.card(OWNER, containing="Fresh beans"), bot.card(OWNER2, containing="Fresh beans")
    assert "0 of 2: no approvals yet" in block_text(olivia.blocks)

    bot.click(olivia, "Approve", OWNER)
    mine = bot.wait_card(olivia, lambda m: "you approved this version" in block_text(m.blocks))
    assert buttons(mine) == ["Edit", "Request changes", "Reject"]
    assert f"1 of 2: ✓ <@{OWNER}> · waiting for <@{OWNER2}>" in block_text(mine.blocks)
    theirs = bot.wait_card(omar, lambda m: f"✓ <@{OWNER}>" in block_text(m.blocks))
    assert buttons(theirs) == DECISION and signed_by("Fresh beans are in.", BOTH) in block_text(theirs.blocks)
    assert bot.row(ts).status == "pending" and bot.wait_audit("approved_partly").actor_id == OWNER
    no_post_for_a_while(bot)

    bot.click(theirs, "Approve", OWNER2)
    [post] = bot.x.wait_for_posts(1)
    assert post.text == signed_by("Fresh beans are in.", BOTH)
    for card in (olivia, omar):
        final = bot.wait_card(card, lambda m: bot.x.link_of(0) in block_text(m.blocks) and not buttons(m))
        assert f"Approved by <@{OWNER}> and <@{OWNER2}>" in block_text(final.blocks)
    told = bot.thread(ts, containing="published")[0].text
    assert f"Approved by <@{OWNER}> and <@{OWNER2}> · published {bot.x.link_of(0)}" == told
    bot.settle()
    assert len(bot.x.posts) == 1


def test_a_second_yes_from_the_same_approver_changes_nothing_and_tells_them(start_bot: Callable[..., Harness]) -> None:
    bot = start_bot(APPROVAL_RULE="all")
    bot.draft("Twice is once.")
    card = bot.card(OWNER, containing="Twice")
    bot.click(card, "Approve", OWNER)
    bot.wait_card(card, lambda m: "you approved" in block_text(m.blocks))
    bot.driver.click(card, "Approve", OWNER)  # the copy Slack still shows until the update lands
    told = bot.ephemeral(OWNER, containing="already approved")
    assert f"waiting for <@{OWNER2}>" in told
    no_post_for_a_while(bot)


def test_concurrent_yeses_from_both_approvers_give_one_approval_and_one_post(
    start_bot: Callable[..., Harness],
) -> None:
    bot = start_bot(APPROVAL_RULE="all")
    texts = [f"Race {n}: both at once." for n in range(4)]
    for text in texts:
        bot.draft(text)
    pairs = [(bot.card(OWNER, containing=t), bot.card(OWNER2, containing=t)) for t in texts]
    with ThreadPoolExecutor(2) as pool:
        for olivia, omar in pairs:
            clicks = [(olivia, OWNER), (omar, OWNER2)]
            answers = list(pool.map(lambda c: bot.driver.click(c[0], "Approve", c[1]).status_code, clicks))
            assert answers == [200, 200]
    bot.x.wait_for_posts(len(texts), timeout=10)
    bot.settle()
    firsts = sorted(p.text.split("\n")[0] for p in bot.x.posts)
    assert firsts == sorted(texts)  # one post per draft, none twice
    approved = [a for a in bot.audit() if a.action == "approved"]
    assert len(approved) == len(texts)
    for post in bot.x.posts:
        assert post.text.endswith(BOTH) or post.text.endswith("Omar Second and Olivia Owner")


def test_two_of_three_with_a_reject_after_one_yes_is_rejected_and_posts_nothing(
    slack: SlackSandbox, start_bot: Callable[..., Harness]
) -> None:
    slack.add_user(OWNER3, "tara", real_name="Tara Third")
    bot = start_bot(APPROVAL_RULE="2", APPROVERS=f"{OWNER},{OWNER2},{OWNER3}")
    ts = bot.draft("Two of three, please.")
    olivia, omar = bot.card(OWNER, containing="Two of three"), bot.card(OWNER2, containing="Two of three")
    tara = bot.card(OWNER3, containing="Two of three")
    bot.click(olivia, "Approve", OWNER)
    bot.wait_card(tara, lambda m: "waiting for 1 more of" in block_text(m.blocks))

    bot.click(omar, "Reject", OWNER2)
    bot.submit(bot.modal(CallbackId.REJECT), {BlockId.REASON: {InputId.REASON: "Not our tone."}}, user=OWNER2)
    bot.wait_status(ts, "rejected")
    for card in (olivia, omar, tara):
        bot.wait_card(card, lambda m: "Rejected by" in block_text(m.blocks) and not buttons(m))
    bot.driver.click(tara, "Approve", OWNER3)  # the copy from before the rejection
    assert "already decided" in bot.ephemeral(OWNER3, containing="already decided")
    assert "rejected this draft" in bot.thread(ts, containing="rejected")[0].text
    bot.settle()
    assert bot.x.posts == []


def test_an_owners_edit_clears_the_others_yes_and_their_card_asks_again(start_bot: Callable[..., Harness]) -> None:
    bot = start_bot(APPROVAL_RULE="all")
    ts = bot.draft("Fresh beens are in.")
    olivia, omar = bot.card(OWNER, containing="Fresh beens"), bot.card(OWNER2, containing="Fresh beens")
    bot.click(olivia, "Approve", OWNER)
    bot.wait_card(omar, lambda m: f"✓ <@{OWNER}>" in block_text(m.blocks))

    bot.click(omar, "Edit", OWNER2)
    response = bot.submit(
        bot.modal(CallbackId.EDIT), {BlockId.EDIT_TEXT: {InputId.TEXT: "Fresh beans are in."}}, OWNER2
    )
    assert response.status_code == 200
    again = bot.wait_card(olivia, lambda m: "version 2" in block_text(m.blocks))
    assert buttons(again) == DECISION  # Olivia approved version 1, not Omar's words: asked again
    shown = block_text(again.blocks)
    assert f"✓ <@{OWNER2}>" in shown and f"waiting for <@{OWNER}>" in shown
    assert signed_by("Fresh beans are in.", "Omar Second and Olivia Owner") in shown
    assert bot.row(ts).status == "pending"
    no_post_for_a_while(bot)

    bot.click(again, "Approve", OWNER)
    [post] = bot.x.wait_for_posts(1)
    assert post.text == signed_by("Fresh beans are in.", "Omar Second and Olivia Owner")
    with bot.store.transaction() as tx:
        assert [(v.version, v.author_id) for v in tx.versions(bot.row(ts).id or 0)] == [(1, WRITER), (2, OWNER2)]


def test_a_draft_the_rule_can_never_approve_is_refused_at_intake(start_bot: Callable[..., Harness]) -> None:
    bot = start_bot(APPROVAL_RULE="2")
    ts = bot.draft("My own draft.", user=OWNER)
    reply = bot.thread(ts, containing="Not sent")[0].text
    assert "APPROVAL_RULE needs 2 approvals" in reply and "only 1 approver" in reply
    assert bot._maybe_row(ts) is None and "refused_rule_unreachable" in [a.action for a in bot.audit()]
    assert not [m for m in bot.slack.messages(dm_channel_for(OWNER2)) if m.blocks]  # no card for anyone


def test_show_lists_each_yes_with_who_and_when(start_bot: Callable[..., Harness]) -> None:
    bot = start_bot(APPROVAL_RULE="all")
    ts = bot.draft("Show me the yeses.")
    bot.click(bot.card(OWNER, containing="Show me"), "Approve", OWNER)
    bot.click(bot.card(OWNER2, containing="Show me"), "Approve", OWNER2)
    draft = bot.wait_status(ts, "published")
    text = bot.driver.command(f"show {draft.id}", OWNER).json()["text"]
    approvals = text.split("*Approvals*")[1].split("*Audit trail*")[0]
    assert approvals.index(f"v1 ✓ <@{OWNER}>") < approvals.index(f"v1 ✓ <@{OWNER2}>")
    assert "approved_partly" in text


def test_a_reminder_goes_only_to_approvers_who_havent_said_yes(start_bot: Callable[..., Harness]) -> None:
    bot = start_bot(APPROVAL_RULE="all")
    ts = bot.draft("Remind the other one.")
    card = bot.card(OWNER, containing="Remind the other")
    bot.thread(ts)
    bot.click(card, "Approve", OWNER)
    bot.wait_audit("approved_partly")
    assert bot.running.services.scheduler.tick(bot.row(ts).pending_since + timedelta(hours=4)).reminders == 1
    nudged = {m.channel for m in bot.slack.messages(dm_channel_for(OWNER2)) if "waited" in m.text}
    assert nudged == {dm_channel_for(OWNER2)}
    assert not [m for m in bot.slack.messages(dm_channel_for(OWNER)) if "waited" in m.text]


def test_the_shared_approvals_channel_card_shows_the_progress_and_stays_live(start_bot: Callable[..., Harness]) -> None:
    bot = start_bot(APPROVAL_RULE="all", APPROVAL_CHANNEL="C0APPROVE")
    bot.draft("One card for everyone.")
    card = bot.slack.wait_for(lambda s: next(iter(bot.cards_in("C0APPROVE")), None))
    bot.click(card, "Approve", OWNER2)
    shown = bot.wait_card(card, lambda m: f"1 of 2: ✓ <@{OWNER2}> · waiting for <@{OWNER}>" in block_text(m.blocks))
    assert buttons(shown) == DECISION  # anyone may still click; Omar's second yes would be told it is in
    assert signed_by("One card for everyone.", "Omar Second and Olivia Owner") in block_text(shown.blocks)
    bot.click(shown, "Approve", OWNER2)
    assert "already approved" in bot.ephemeral(OWNER2, containing="already approved")
    no_post_for_a_while(bot)
    bot.click(shown, "Approve", OWNER)
    assert bot.x.wait_for_posts(1)[0].text == signed_by("One card for everyone.", "Omar Second and Olivia Owner")


def test_a_card_update_slack_refused_after_a_yes_is_sent_by_the_next_tick(start_bot: Callable[..., Harness]) -> None:
    """A yes that doesn't meet the rule changes neither status nor version, but it changes every card."""
    bot = start_bot(APPROVAL_RULE="all")
    ts = bot.draft("Catch my progress up.")
    olivia, omar = bot.card(OWNER, containing="Catch my progress"), bot.card(OWNER2, containing="Catch my progress")
    bot.thread(ts)
    bot.slack.fail("chat.update", error="internal_error", status=200, times=2)  # both cards' updates refused
    bot.click(olivia, "Approve", OWNER)
    bot.wait_audit("approved_partly")
    bot.slack.wait_until(lambda: len(bot.slack.calls_to("chat.update")) >= 2)
    assert "✓" not in block_text(bot.fresh(omar).blocks)
    assert bot.running.services.scheduler.tick().cards_caught_up == 1
    assert f"✓ <@{OWNER}>" in block_text(bot.fresh(omar).blocks)
    assert "you approved this version" in block_text(bot.fresh(olivia).blocks)
