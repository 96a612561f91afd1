"""One card update per decision (issue 13): the outcome when publishing answers in time, "publishing…" only when
it is slow; the writer's reply to a rejection claimed with the move itself; a decision's inbox row ended in it."""

from __future__ import annotations

from sqlmodel import select

from bot.sandbox.slack_api import Message
from bot.slack.ids import BlockId, CallbackId, InputId
from storage.models import AuditEvent, InboxItem, WriterNotice
from tests.e2e.harness import OWNER, OWNER2, Harness, block_text


def updates_of(bot: Harness, card: Message) -> list[str]:
    """What each chat.update of `card` showed, in order."""
    calls = bot.slack.calls_to("chat.update")
    return [
        block_text(c.args.get("blocks") or [])
        for c in calls
        if (c.args["channel"], c.args["ts"]) == (card.channel, card.ts)
    ]


def test_an_approval_that_publishes_at_once_updates_each_card_once_with_the_published_state(bot: Harness) -> None:
    ts = bot.draft("One update, not two.")
    cards = [bot.card(OWNER, containing="One update"), bot.card(OWNER2, containing="One update")]
    bot.click(cards[0], "Approve")
    bot.x.wait_for_posts(1)
    bot.thread(ts, containing="published")
    bot.settle()
    link = bot.x.link_of(0)
    for card in cards:
        [shown] = updates_of(bot, card)  # no "publishing to X…" first
        assert link in shown and "publishing to X" not in shown
    assert len(bot.thread(ts, containing="published")) == 1


def test_a_slow_post_shows_publishing_first_then_the_outcome(bot: Harness) -> None:
    ts = bot.draft("X takes its time.")
    cards = [bot.card(OWNER, containing="X takes its time"), bot.card(OWNER2, containing="X takes its time")]
    bot.x.hang("POST /2/tweets", seconds=3.0)  # answered, after 3 s: well past the handler's wait of 1 s
    bot.click(cards[0], "Approve")
    for card in cards:
        bot.wait_card(card, lambda m: "publishing to X" in block_text(m.blocks), timeout=2.9)
    bot.x.wait_for_posts(1)
    bot.thread(ts, containing="published")
    bot.settle()
    link = bot.x.link_of(0)
    for card in cards:
        first, last = updates_of(bot, card)
        assert "publishing to X" in first and link in last


def test_a_rejection_updates_each_card_once_and_its_reply_is_claimed_with_the_move(bot: Harness) -> None:
    ts = bot.draft("Not on brand.")
    cards = [bot.card(OWNER, containing="Not on brand"), bot.card(OWNER2, containing="Not on brand")]
    bot.click(cards[0], "Reject")
    bot.submit(bot.modal(CallbackId.REJECT), {BlockId.REASON: {InputId.REASON: "Off tone."}})
    bot.thread(ts, containing="rejected")
    bot.settle()
    for card in cards:
        [shown] = updates_of(bot, card)
        assert "Rejected by" in shown
    assert len(bot.thread(ts, containing="rejected")) == 1
    draft = bot.row(ts)
    with bot.store.read() as tx:
        move = tx.session.exec(
            select(AuditEvent).where(AuditEvent.draft_id == draft.id, AuditEvent.action == "rejected")
        ).one()
        notice = tx.session.exec(select(WriterNotice).where(WriterNotice.draft_id == draft.id)).one()
    assert notice.move_id == move.id and notice.sent_at is not None


def test_a_decision_ends_its_inbox_row_in_the_move_itself(bot: Harness) -> None:
    ts = bot.draft("Inbox, then gone.")
    bot.click(bot.card(OWNER, containing="Inbox, then gone"), "Approve")
    bot.wait_status(ts, "published")
    bot.settle()
    with bot.store.read() as tx:
        assert tx.session.exec(select(InboxItem)).all() == []


def test_a_card_sent_a_stale_state_is_sent_the_post_again_though_its_record_says_it_shows_it(bot: Harness) -> None:
    """Three instances race: this one's stale update ("approved") lands after another's "published", and that one
    records "published" after this one recorded "approved". The record then says the card shows the post while
    Slack shows "approved". A refresh skips a card recorded as showing the post, but not one it sent a stale state
    itself (`resend`): the slow tier's three-instance test caught such a card behind for good."""
    ts = bot.draft("Raced between instances.")
    cards = [bot.card(OWNER, containing="Raced"), bot.card(OWNER2, containing="Raced")]
    bot.click(cards[0], "Approve")
    bot.thread(ts, containing="published")
    bot.settle()
    notifier = bot.running.services.notifier
    draft_id = bot.on_x(ts).draft_id
    with bot.store.read() as tx:
        recorded = tx.cards(draft_id)
    assert {(c.shown_status, c.shown_version) for c in recorded} == {("published", 1)}
    before = [len(updates_of(bot, card)) for card in cards]

    notifier.refresh_cards(draft_id)  # recorded as showing the post: left alone
    assert [len(updates_of(bot, card)) for card in cards] == before

    notifier.refresh_cards(draft_id, resend=[recorded[0].id or 0])  # this one was sent a stale state: sent again
    link = bot.x.link_of(0)
    again = [updates_of(bot, card) for card in cards]
    stale_one = next(
        i for i, card in enumerate(cards) if (card.channel, card.ts) == (recorded[0].channel, recorded[0].ts)
    )
    assert len(again[stale_one]) == before[stale_one] + 1 and link in again[stale_one][-1]
    assert len(again[1 - stale_one]) == before[1 - stale_one]
