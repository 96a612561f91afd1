"""Point 1 and 2 of the approval loop: a writer's message becomes a draft and a card, or a clear answer."""

from __future__ import annotations

import pytest

from bot.slack.ids import BlockId
from tests.e2e.harness import (
    AGENCY,
    DRAFTS,
    OWNER,
    OWNER2,
    WRITER,
    Harness,
    attribution,
    block_text,
    buttons,
    count_of,
)


def test_a_draft_reaches_every_approver_as_a_card_with_the_exact_post(bot: Harness) -> None:
    ts = bot.draft("Fresh beans are in. Come by for a cup!")

    for approver in (OWNER, OWNER2):
        card = bot.card(approver, containing="Fresh beans")
        text = block_text(card.blocks)
        assert f"Fresh beans are in. Come by for a cup!\n\n{attribution(approver)}" in text
        assert f"<@{WRITER}>" in text
        assert buttons(card) == ["Approve", "Edit", "Request changes", "Reject"]
        weighted, limit = count_of(text)
        assert limit == 280
        expected = len("Fresh beans are in. Come by for a cup!\n\n") + len(attribution(approver))
        assert weighted == expected
    draft = bot.row(ts)
    assert (draft.status, draft.version, draft.text) == ("pending", 1, "Fresh beans are in. Come by for a cup!")


def test_the_writer_hears_it_went_for_approval_with_the_count(bot: Harness) -> None:
    ts = bot.draft("Our new roast lands Friday.")
    [reply] = bot.thread(ts)
    assert "for approval" in reply.text
    assert f"<@{OWNER}>" in reply.text
    weighted, limit = count_of(reply.text)
    assert limit == 280 and weighted > len("Our new roast lands Friday.")


def test_each_card_button_carries_only_the_draft_and_version(bot: Harness) -> None:
    ts = bot.draft("Buttons carry ids, never text.")
    card = bot.card(OWNER, containing="Buttons carry")
    draft = bot.row(ts)
    values = {e["value"] for b in card.blocks if b["type"] == "actions" for e in b["elements"]}
    assert values == {f"{draft.id}:1"}


@pytest.mark.parametrize(
    ("label", "event_fields"),
    [
        ("thread reply", {"thread_ts": "1763700000.000100"}),
        ("another bot's message", {"bot_id": "B0OTHER"}),
        ("the app's own message", {"bot_id": "B0BOT"}),
    ],
)
def test_messages_that_are_not_drafts_get_no_card(bot: Harness, label: str, event_fields: dict) -> None:
    user = "U0BOT" if event_fields.get("bot_id") == "B0BOT" else WRITER
    ts = bot.draft(f"Not a draft: {label}", user=user, **event_fields)
    bot.settle()
    assert bot.slack.calls_to("chat.postMessage") == []  # no card, and no reply in its thread either
    assert not [m for m in bot.slack.messages() if label in (m.text + block_text(m.blocks))]
    with bot.store.transaction() as tx:
        assert tx.by_message(DRAFTS, ts) is None  # the message's own ts, not its thread's


def test_a_message_in_another_channel_is_not_a_draft(bot: Harness) -> None:
    bot.driver.message(WRITER, "Lunch anyone?", "C0RANDOM")
    bot.settle()
    assert not any("Lunch" in block_text(m.blocks) + m.text for m in bot.slack.messages())


@pytest.mark.parametrize(
    ("text", "weight_of_body"),
    [
        ("a" * 220 + " https://example.com/" + "x" * 80, 220 + 1 + 23),  # a URL counts 23 however long
        ("☕" * 120, 240),  # emoji count 2 each
        ("咖啡" * 60, 240),  # CJK counts 2 each
    ],
)
def test_a_draft_over_the_limit_is_refused_with_how_much_over(bot: Harness, text: str, weight_of_body: int) -> None:
    ts = bot.draft(text)
    [reply] = bot.thread(ts, containing="over")
    over = weight_of_body + 2 + len(attribution()) - 280  # 2 = the blank line before the attribution
    if over <= 0:
        pytest.fail(f"test data should be over the limit, is {over}")
    assert f"{over} over" in reply.text
    assert "Not sent for approval" in reply.text
    assert not bot.slack.calls_to("chat.postMessage")[1:], "only the thread reply may be posted"
    with bot.store.transaction() as tx:
        assert tx.by_message(DRAFTS, ts) is None


def test_a_draft_that_fits_because_urls_count_23_gets_a_card(bot: Harness) -> None:
    text = "Read it: https://example.com/" + "a" * 300
    bot.draft(text)
    card = bot.card(OWNER, containing="Read it")
    weighted, _ = count_of(block_text(card.blocks))
    assert weighted == len("Read it: ") + 23 + 2 + len(attribution())


def test_an_empty_message_gets_a_clear_reply(bot: Harness) -> None:
    ts = bot.draft("   ")
    [reply] = bot.thread(ts)
    assert "no text" in reply.text
    assert bot.slack.messages(f"D{OWNER[1:]}") == []


def test_a_file_whose_address_is_not_slacks_is_refused_unread(bot: Harness) -> None:
    """The bot token goes only to Slack's file host (or SLACK_API_URL's): a forged `url_private` gets nothing."""
    files = [{"id": "F01", "name": "latte.png", "mimetype": "image/png", "url_private": "https://files.example/1"}]
    ts = bot.draft("Latte art Friday", files=files)
    [reply] = bot.thread(ts)
    assert "`latte.png` couldn't be read from Slack: the file's address isn't Slack's" in reply.text
    assert bot._maybe_row(ts) is None
    assert bot.slack.messages(f"D{OWNER[1:]}") == []


def test_one_event_delivered_four_times_makes_one_draft_and_one_card_each(bot: Harness) -> None:
    event = bot.driver.message_event(WRITER, "Retry me once only", DRAFTS)
    responses = [bot.driver.event(event, event_id="Ev0RETRY01", retry_num=n or None) for n in range(4)]
    assert [r.status_code for r in responses] == [200] * 4
    bot.card(OWNER, containing="Retry me")
    bot.card(OWNER2, containing="Retry me")
    bot.thread(event["ts"])
    bot.settle()
    cards = [c for c in bot.slack.calls_to("chat.postMessage") if "Retry me" in block_text(c.args.get("blocks", []))]
    assert len(cards) == 2  # one per approver
    assert len(bot.slack.thread(DRAFTS, event["ts"])) == 1


def test_the_same_message_under_a_new_event_id_is_still_one_draft(bot: Harness) -> None:
    event = bot.driver.message_event(WRITER, "Replayed with a new id", DRAFTS)
    bot.driver.event(event, event_id="Ev0FIRST01")
    bot.driver.event(event, event_id="Ev0SECOND1")
    bot.card(OWNER2, containing="Replayed")
    bot.settle()
    with bot.store.transaction() as tx:
        assert tx.by_message(DRAFTS, event["ts"]) is not None
    cards = [c for c in bot.slack.calls_to("chat.postMessage") if "Replayed" in block_text(c.args.get("blocks", []))]
    assert len(cards) == 2


def test_approval_channel_gets_one_shared_card_instead_of_dms(start_bot) -> None:
    bot = start_bot(APPROVAL_CHANNEL="C0APPROVE")
    bot.draft("Shared card please")
    card = bot.slack.wait_for(lambda s: next(iter(bot.cards_in("C0APPROVE")), None))
    assert buttons(card) == ["Approve", "Edit", "Request changes", "Reject"]
    assert AGENCY in block_text(card.blocks)
    assert "the post names whoever approves" in block_text(card.blocks)
    assert bot.slack.messages(f"D{OWNER[1:]}") == []
    bot.click(card, "Approve", OWNER2)
    assert bot.x.wait_for_posts(1)[0].text.endswith(attribution(OWNER2))


def test_draft_text_that_looks_like_markup_shows_as_typed_and_cannot_ping_or_forge_links(bot: Harness) -> None:
    # Characters the writer typed, entity-encoded as Slack delivers them (a real <!channel> is refused: see
    # test_slack_text.py). The card shows them as plain_text, which Slack never parses for mentions or links.
    bot.draft("Hey &lt;!channel&gt; look &lt;https://evil.example|bank&gt; &amp; more")
    card = bot.card(OWNER, containing="Hey")
    [post] = [b["text"] for b in card.blocks if b.get("block_id") == BlockId.CARD_TEXT]
    assert post["type"] == "plain_text"
    assert post["text"].startswith("Hey <!channel> look <https://evil.example|bank> & more\n\n")
    parsed = block_text([b for b in card.blocks if b.get("block_id") != BlockId.CARD_TEXT])
    assert "<!channel>" not in parsed and "evil.example" not in parsed


def test_a_writer_who_is_also_an_approver_gets_no_card_of_their_own_draft(start_bot) -> None:
    bot = start_bot(APPROVERS=f"{OWNER},{WRITER}")
    bot.draft("I wrote it myself")
    bot.card(OWNER, containing="I wrote it myself")
    bot.settle()
    assert bot.slack.messages(f"D{WRITER[1:]}") == []
