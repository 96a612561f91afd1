"""Issue 9, case 6: an approver who writes a draft can't approve it; a draft nobody else can decide is refused."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from storage.models import Draft
from storage.types import utcnow
from tests.e2e.harness import DRAFTS, OWNER, OWNER2, WRITER, Harness, buttons


def cards(bot: Harness) -> list:
    return [m for m in bot.slack.messages() if m.blocks and m.channel != DRAFTS]


def test_a_sole_approvers_own_draft_is_refused_saying_how_to_fix_it(start_bot) -> None:
    bot = start_bot(APPROVERS=OWNER)
    ts = bot.draft("I approve my own posts, right?", user=OWNER)
    [reply] = bot.thread(ts)
    assert "Not sent for approval" in reply.text
    assert "only approver" in reply.text and "APPROVERS" in reply.text
    assert "Sent to" not in reply.text
    bot.settle()
    assert cards(bot) == []
    with bot.store.read() as tx:
        assert tx.session.exec(select(Draft)).all() == []
    assert [e.action for e in bot.audit()] == ["refused_no_other_approver"]


def test_a_writers_draft_is_still_sent_to_the_sole_approver(start_bot) -> None:
    bot = start_bot(APPROVERS=OWNER)
    ts = bot.draft("Written by the agency.", user=WRITER)
    card = bot.card(OWNER, containing="Written by the agency")
    assert buttons(card) == ["Approve", "Edit", "Request changes", "Reject"]
    assert bot.thread(ts)[0].text.startswith(f"Sent to <@{OWNER}> for approval")


def test_approvers_own_drafts_dont_starve_the_card_catch_up(bot: Harness) -> None:
    """An approver's own draft has one card fewer (they get none): the catch-up must not take it for a draft
    whose card never got out, or twenty of them fill every tick's batch and a real missing card never goes."""
    for i in range(20):
        ts = bot.draft(f"Owner's own idea {i}.", user=OWNER)
        bot.card(OWNER2, containing=f"Owner's own idea {i}.")
        bot.thread(ts)
    bot.slack.fail("chat.postMessage", error="internal_error", status=200)  # the writer's card to OWNER
    ts = bot.draft("Lost card.", user=WRITER)
    bot.card(OWNER2, containing="Lost card")
    bot.thread(ts)
    assert not [m for m in bot.slack.messages(f"D{OWNER[1:]}") if m.blocks]

    tick = bot.running.services.scheduler.tick
    assert tick(utcnow() + timedelta(minutes=1)).cards_caught_up == 1
    assert buttons(bot.card(OWNER, containing="Lost card")) == ["Approve", "Edit", "Request changes", "Reject"]
    assert tick(utcnow() + timedelta(minutes=2)).cards_caught_up == 0
