"""The sandbox sends what a Slack client sends for a typed message: mrkdwn `text` and a rich_text block."""

from __future__ import annotations

from typing import Any

from bot.sandbox import slack_events as events
from bot.sandbox.slack_rich_text import elements, rich_text_block


def section(*leaves: dict[str, Any]) -> dict[str, Any]:
    return {"type": "rich_text_section", "elements": list(leaves)}


def test_styles_mentions_and_emoji_become_elements_as_slacks_client_builds_them() -> None:
    got = elements("*Grand* opening! Ask <@U0WRITER> :coffee: :wave::skin-tone-3: :partyparrot: &amp; <!here>")
    assert got == [
        section(
            {"type": "text", "text": "Grand", "style": {"bold": True}},
            {"type": "text", "text": " opening! Ask "},
            {"type": "user", "user_id": "U0WRITER"},
            {"type": "text", "text": " "},
            {"type": "emoji", "name": "coffee", "unicode": "2615"},
            {"type": "text", "text": " "},
            {"type": "emoji", "name": "wave", "skin_tone": 3, "unicode": "1f44b-1f3fc"},
            {"type": "text", "text": " "},
            {"type": "emoji", "name": "partyparrot"},  # custom: no unicode
            {"type": "text", "text": " & "},
            {"type": "broadcast", "range": "here"},
        )
    ]


def test_every_entity_kind() -> None:
    [only] = elements(
        "<#C0GEN|general><!subteam^S0T|@team><!date^1767225600^{date}|1 Jan><https://a.co/?x=1&amp;y|a &amp; b><https://b.co>"
    )
    assert only["elements"] == [
        {"type": "channel", "channel_id": "C0GEN"},
        {"type": "usergroup", "usergroup_id": "S0T"},
        {"type": "date", "timestamp": 1767225600, "format": "{date}", "fallback": "1 Jan"},
        {"type": "link", "url": "https://a.co/?x=1&y", "text": "a & b"},
        {"type": "link", "url": "https://b.co"},
    ]


def test_styles_only_at_word_boundaries_and_nested() -> None:
    [only] = elements("2*3*4 snake_case_x *_both_* `*code*`")
    assert only["elements"] == [
        {"type": "text", "text": "2*3*4 snake_case_x "},
        {"type": "text", "text": "both", "style": {"bold": True, "italic": True}},
        {"type": "text", "text": " "},
        {"type": "text", "text": "*code*", "style": {"code": True}},
    ]


def test_lists_quotes_and_preformatted_are_their_own_elements() -> None:
    got = elements("Menu\n• a\n    ◦ b\n• c\n1. one\n2. two\n&gt; said\n```x *y*```\nend")
    assert [e["type"] for e in got] == [
        "rich_text_section",
        "rich_text_list",
        "rich_text_list",
        "rich_text_list",
        "rich_text_list",
        "rich_text_quote",
        "rich_text_preformatted",
        "rich_text_section",
    ]
    assert got[0]["elements"] == [{"type": "text", "text": "Menu\n"}]
    assert [(e["style"], e["indent"], len(e["elements"])) for e in got[1:5]] == [
        ("bullet", 0, 1),
        ("bullet", 1, 1),
        ("bullet", 0, 1),
        ("ordered", 0, 2),
    ]
    assert got[5]["elements"] == [{"type": "text", "text": "said"}]
    assert got[6]["elements"] == [{"type": "text", "text": "x *y*"}]


def test_a_numbered_list_interrupted_by_a_sub_list_keeps_counting_with_offset() -> None:
    got = elements("1. a\n    ◦ x\n2. b")
    assert [(e["style"], e["indent"], e.get("offset")) for e in got] == [
        ("ordered", 0, None),
        ("bullet", 1, None),
        ("ordered", 0, 1),
    ]


def test_every_persons_message_carries_a_rich_text_block_unless_posted_by_api() -> None:
    typed = events.message_event("U0WRITER", "*hi* :coffee:", "C0DRAFTS", "1.000001", "T0ACME")
    [block] = typed["blocks"]
    assert block["type"] == "rich_text" and block["block_id"] and block["elements"] == elements("*hi* :coffee:")
    assert typed["text"] == "*hi* :coffee:"  # mrkdwn kept as Slack sends it
    api = events.message_event("U0WRITER", "*hi*", "C0DRAFTS", "1.000002", "T0ACME", blocks=False)
    assert "blocks" not in api
    own = [rich_text_block("hand written", "hw")]
    assert events.message_event("U0WRITER", "x", "C0DRAFTS", "1.000003", "T0ACME", blocks=own)["blocks"] == own
    edit = events.message_changed("U0WRITER", "C0DRAFTS", "1.000001", "*new*", "*old*", "1.000009", "T0ACME")
    assert edit["message"]["blocks"][0]["elements"] == elements("*new*")
    assert edit["previous_message"]["blocks"][0]["elements"] == elements("*old*")
