"""Issue 9, "Slack formatting and Slack ids go out on X": the post's characters come from what Slack really sends.

Every message the sandbox delivers carries `blocks: [rich_text]` beside its mrkdwn `text`, as a Slack client
sends them (bot/sandbox/slack_rich_text.py); `blocks=False` is a message posted through the API (text only).
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack.ids import BlockId, CallbackId, InputId
from tests.e2e.harness import OWNER, OWNER2, WRITER, Harness, block_text, posted

GRAND = "*Grand* opening! Ask <@U0WRITER> for a tour :coffee:"
GRAND_ON_X = "Grand opening! Ask Wendy Writer for a tour ☕"


def card_text(bot: Harness, approver: str, containing: str) -> dict[str, Any]:
    card = bot.card(approver, containing=containing)
    [block] = [b for b in card.blocks if b.get("block_id") == BlockId.CARD_TEXT]
    return block["text"]


@pytest.mark.parametrize("blocks", [True, False], ids=["typed in Slack (rich_text)", "posted by API (text only)"])
def test_styles_mentions_and_emoji_reach_the_card_and_x_as_plain_characters(bot: Harness, blocks: bool) -> None:
    ts = bot.draft(GRAND, blocks=blocks)
    shown = card_text(bot, OWNER, containing="Grand opening")
    # plain_text, emoji off: Slack shows exactly these characters, no bold, no :shortcode: rendering.
    assert shown == {"type": "plain_text", "text": posted(GRAND_ON_X, OWNER), "emoji": False}
    assert bot.row(ts).text == GRAND_ON_X
    bot.click(bot.card(OWNER, containing="Grand opening"), "Approve")
    [post] = bot.x.wait_for_posts(1)
    assert post.text == posted(GRAND_ON_X, OWNER)
    assert "@U0" not in post.text and "*" not in post.text and ":coffee:" not in post.text


def test_lists_quotes_code_skin_tones_and_links_read_as_the_writer_typed_them(bot: Harness) -> None:
    typed = (
        "Menu &amp; more :wave::skin-tone-3:\n• _Flat white_\n    ◦ oat ~milk~\n1. `espresso`\n2. tea\n"
        "&gt; best in town\n```2*3*4 snake_case```\nsee <http://northwind.coffee|northwind.coffee> "
        "or <https://a.example/menu|the menu> :flag-fr:"
    )
    ts = bot.draft(typed)
    expected = (
        "Menu & more 👋🏼\n• Flat white\n    ◦ oat milk\n1. espresso\n2. tea\n> best in town\n2*3*4 snake_case\n"
        "see northwind.coffee or the menu https://a.example/menu 🇫🇷"
    )
    assert card_text(bot, OWNER, containing="Menu")["text"] == posted(expected, OWNER)
    assert bot.row(ts).text == expected


def test_hand_written_blocks_date_and_colour_use_their_text(bot: Harness) -> None:
    blocks = [
        {
            "type": "rich_text",
            "block_id": "hw1",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "text", "text": "Open house "},
                        {"type": "date", "timestamp": 1767225600, "format": "{date_long}", "fallback": "1 January"},
                        {"type": "text", "text": ", theme ", "style": {"bold": True}},
                        {"type": "color", "value": "#C0FFEE"},
                        {"type": "text", "text": "!"},
                    ],
                }
            ],
        }
    ]
    ts = bot.draft("Open house <!date^1767225600^{date_long}|1 January>, *theme* #C0FFEE!", blocks=blocks)
    assert card_text(bot, OWNER, containing="Open house")["text"] == posted("Open house 1 January, theme #C0FFEE!")
    assert bot.row(ts).text == "Open house 1 January, theme #C0FFEE!"


def _custom_emoji_blocks() -> list[dict[str, Any]]:
    section = [
        {"type": "text", "text": "We did it "},
        {"type": "emoji", "name": "partyparrot"},
        {"type": "text", "text": " "},
        {"type": "emoji", "name": "tada", "unicode": "1f389"},
    ]
    return [{"type": "rich_text", "block_id": "ce1", "elements": [{"type": "rich_text_section", "elements": section}]}]


@pytest.mark.parametrize("blocks", ["rich_text", "text only"])
def test_a_custom_emoji_is_refused_with_a_reply_naming_it(bot: Harness, blocks: str) -> None:
    text = "We did it :partyparrot: :tada:"
    ts = bot.draft(text, blocks=_custom_emoji_blocks() if blocks == "rich_text" else False)
    [reply] = bot.thread(ts)
    assert reply.text.startswith("Not sent for approval.")
    assert "`:partyparrot:` is a custom Slack emoji with no character on X" in reply.text
    assert "edit your message" in reply.text
    bot.settle()
    assert bot.slack.messages(f"D{OWNER[1:]}") == [] and bot.slack.messages(f"D{OWNER2[1:]}") == []
    [row] = [a for a in bot.audit() if a.action == "refused_slack_only"]
    assert (row.actor_id, row.detail) == (WRITER, "custom_emoji:partyparrot")


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Come by today <!here>", "It mentions `@here`, which only means something in Slack"),
        ("Thanks <!subteam^S0BARISTAS|@baristas>!", "It mentions a Slack user group (`S0BARISTAS`)"),
        ("Ask in <#C0GENERAL|general>", "It mentions the channel <#C0GENERAL>"),
    ],
)
def test_mentions_addressed_to_slack_people_are_refused_naming_what_to_change(
    bot: Harness, text: str, said: str
) -> None:
    ts = bot.draft(text)
    [reply] = bot.thread(ts)
    assert reply.text.startswith("Not sent for approval.") and said in reply.text, reply.text
    assert "<!here>" not in reply.text and "<!subteam" not in reply.text  # the reply itself pings nobody
    bot.settle()
    assert bot.slack.messages(f"D{OWNER[1:]}") == []
    assert "refused_slack_only" in [a.action for a in bot.audit()]


def test_an_edit_that_adds_here_is_not_taken_and_the_writer_hears_why(bot: Harness) -> None:
    ts = bot.draft("Fresh beans are in.")
    bot.card(OWNER, containing="Fresh beans")
    bot.edit(ts, "Fresh beans are in. <!here>", "Fresh beans are in.")
    [reply] = bot.thread(ts, containing="edit wasn't sent")
    assert "It mentions `@here`" in reply.text and "Approvers still see version 1" in reply.text
    assert (bot.row(ts).version, bot.row(ts).text) == (1, "Fresh beans are in.")


def test_the_edit_form_publishes_exactly_what_the_owner_typed(bot: Harness) -> None:
    """Case 7: the form's plain_text_input is plain characters; it was read as mrkdwn (`<3` vanished,
    `->` lost its `>`, a typed `&amp;` became `&`)."""
    ts = bot.draft("We love our regulars")
    bot.click(bot.card(OWNER, containing="We love"), "Edit")
    modal = bot.modal(CallbackId.EDIT)
    typed = "We <3 our regulars -> see you &amp; *friends* :coffee: <!here>"
    response = bot.submit(modal, {BlockId.EDIT_TEXT: {InputId.TEXT: typed}})
    assert response.status_code == 200 and not response.content.strip(b"{} \n")
    [post] = bot.x.wait_for_posts(1)
    assert post.text == posted(typed, OWNER)
    assert bot.wait_status(ts, "published").text == typed
    # Every card now shows those characters as they are (plain_text), pinging nobody.
    card = bot.wait_card(bot.card(OWNER2, containing="We"), lambda m: typed in block_text(m.blocks))
    [block] = [b for b in card.blocks if b.get("block_id") == BlockId.CARD_TEXT]
    assert block["text"]["type"] == "plain_text"


def test_the_app_home_queue_shows_the_post_as_plain_characters(bot: Harness) -> None:
    bot.draft(GRAND)
    bot.card(OWNER, containing="Grand opening")
    bot.driver.app_home_opened(OWNER)
    home = bot.slack.wait_for(lambda s: s.home(OWNER))
    shown = [b["text"] for b in home.blocks if b.get("type") == "section" and GRAND_ON_X in b["text"]["text"]]
    assert shown == [{"type": "plain_text", "text": posted(GRAND_ON_X, OWNER), "emoji": False}]
