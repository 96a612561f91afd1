"""A Slack message → the post's characters (bot.slack.text, bot.slack.mrkdwn, bot.slack.emoji).

Both of Slack's sources are covered: rich_text blocks element by element, and the mrkdwn `text` fallback; a
property checks that for typed messages the sandbox's blocks (built independently, bot/sandbox/slack_rich_text.py)
and the text fallback give the same characters and the same refusals.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.sandbox.slack_rich_text import rich_text_block
from bot.slack.emoji import by_name, from_unicode
from bot.slack.mrkdwn import from_mrkdwn
from bot.slack.text import Problem, Refusal, SlackText, from_blocks, from_message

NAMES = {"U0WRITER": "Wendy Writer", "U0OWNER": "Olivia Owner"}


def names(user_id: str) -> str | None:
    return NAMES.get(user_id)


def blocks_of(*elements: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "rich_text", "block_id": "b1", "elements": list(elements)}]


def section(*leaves: dict[str, Any]) -> dict[str, Any]:
    return {"type": "rich_text_section", "elements": list(leaves)}


def text(value: str, **style: bool) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "text", "text": value}
    if style:
        element["style"] = style
    return element


def read(*leaves: dict[str, Any]) -> SlackText:
    return from_blocks(blocks_of(section(*leaves)), names)


# -- rich_text: leaf elements ---------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["bold", "italic", "strike", "code", "underline", "highlight"])
def test_a_styled_text_element_is_its_characters_alone(style: str) -> None:
    assert read(text("Grand", **{style: True}), text(" opening")) == SlackText("Grand opening")


def test_a_user_mention_is_the_persons_name_never_an_id_or_an_at() -> None:
    assert read(text("Ask "), {"type": "user", "user_id": "U0WRITER"}).text == "Ask Wendy Writer"


def test_a_user_whose_name_slack_wont_give_is_refused() -> None:
    got = read(text("Ask "), {"type": "user", "user_id": "U0GONE"})
    assert got.refusals == (Refusal(Problem.UNKNOWN_PERSON, "U0GONE"),)
    assert "U0GONE" not in got.text


@pytest.mark.parametrize(
    ("element", "refusal"),
    [
        ({"type": "broadcast", "range": "here"}, Refusal(Problem.BROADCAST, "here")),
        ({"type": "broadcast", "range": "channel"}, Refusal(Problem.BROADCAST, "channel")),
        ({"type": "broadcast", "range": "everyone"}, Refusal(Problem.BROADCAST, "everyone")),
        ({"type": "channel", "channel_id": "C0GENERAL"}, Refusal(Problem.CHANNEL, "C0GENERAL")),
        ({"type": "usergroup", "usergroup_id": "S0TEAM"}, Refusal(Problem.USERGROUP, "S0TEAM")),
        ({"type": "emoji", "name": "partyparrot"}, Refusal(Problem.CUSTOM_EMOJI, "partyparrot")),
        ({"type": "canvas", "canvas_id": "F0"}, Refusal(Problem.UNSUPPORTED, "canvas")),
    ],
)
def test_what_only_means_something_in_slack_is_refused_by_name(element: dict[str, Any], refusal: Refusal) -> None:
    assert read(text("Hi "), element).refusals == (refusal,)


def test_the_same_refusal_is_named_once() -> None:
    here = {"type": "broadcast", "range": "here"}
    assert read(here, text(" and "), here).refusals == (Refusal(Problem.BROADCAST, "here"),)


@pytest.mark.parametrize(
    ("link", "shown"),
    [
        ({"type": "link", "url": "https://x.com"}, "https://x.com"),
        ({"type": "link", "url": "http://northwind.coffee", "text": "northwind.coffee"}, "northwind.coffee"),
        ({"type": "link", "url": "https://example.com/", "text": "example.com"}, "example.com"),
        ({"type": "link", "url": "https://a.com/p", "text": "here"}, "here https://a.com/p"),
        ({"type": "link", "url": "mailto:hi@a.co", "text": "hi@a.co"}, "hi@a.co"),
        (
            {"type": "link", "url": "https://a.com/?x=1&y=2", "text": "link", "style": {"bold": True}},
            "link https://a.com/?x=1&y=2",
        ),
    ],
)
def test_links_show_the_label_and_the_url_unless_the_label_is_the_url(link: dict[str, Any], shown: str) -> None:
    assert read(link).text == shown


@pytest.mark.parametrize(
    ("element", "chars"),
    [
        ({"type": "emoji", "name": "coffee", "unicode": "2615"}, "☕"),
        ({"type": "emoji", "name": "wave", "unicode": "1f44b-1f3fc", "skin_tone": 3}, "👋🏼"),
        ({"type": "emoji", "name": "man-woman-girl", "unicode": "1f468-200d-1f469-200d-1f467"}, "👨\u200d👩\u200d👧"),
        ({"type": "emoji", "name": "flag-fr", "unicode": "1f1eb-1f1f7"}, "🇫🇷"),
        ({"type": "emoji", "name": "heart", "unicode": "2764-fe0f"}, "❤️"),
        # No `unicode` (an API-built block) but a standard name: still its character.
        ({"type": "emoji", "name": "tada"}, "🎉"),
        ({"type": "emoji", "name": "wave", "skin_tone": 5}, "👋🏾"),
        ({"type": "emoji", "name": "thumbsup::skin-tone-2"}, "👍🏻"),
        # Junk in `unicode` falls back to the name.
        ({"type": "emoji", "name": "coffee", "unicode": "d800"}, "☕"),
        ({"type": "emoji", "name": "coffee", "unicode": "zz"}, "☕"),
    ],
)
def test_standard_emoji_are_their_characters(element: dict[str, Any], chars: str) -> None:
    assert read(element) == SlackText(chars)


def test_a_date_is_its_fallback_and_a_colour_its_value() -> None:
    date = {"type": "date", "timestamp": 1767225600, "format": "{date_long}", "fallback": "1 January"}
    assert (
        read(text("On "), date, text(" in "), {"type": "color", "value": "#C0FFEE"}).text == "On 1 January in #C0FFEE"
    )
    no_fallback = {"type": "date", "timestamp": 1767225600, "format": "{date}"}
    assert read(no_fallback).text == "2026-01-01 00:00 UTC"


# -- rich_text: containers -------------------------------------------------------------------------------


def test_lists_render_as_lines_with_markers_indent_and_offset() -> None:
    def items(*words: str) -> list[dict[str, Any]]:
        return [section(text(w)) for w in words]

    got = from_blocks(
        blocks_of(
            section(text("Menu\n")),
            {"type": "rich_text_list", "style": "ordered", "indent": 0, "elements": items("one", "two")},
            {"type": "rich_text_list", "style": "bullet", "indent": 1, "elements": items("sub")},
            {"type": "rich_text_list", "style": "ordered", "indent": 1, "offset": 1, "elements": items("b")},
            {"type": "rich_text_list", "style": "bullet", "indent": 2, "elements": items("deep")},
            {"type": "rich_text_list", "style": "ordered", "indent": 0, "offset": 2, "elements": items("three")},
            {"type": "rich_text_list", "style": "bullet", "indent": 0, "elements": items("dot")},
            section(text("after")),
        ),
        names,
    )
    assert got.text == "Menu\n1. one\n2. two\n    ◦ sub\n    b. b\n        ▪ deep\n3. three\n• dot\nafter"


def test_quotes_and_preformatted_start_and_end_their_own_lines() -> None:
    got = from_blocks(
        blocks_of(
            section(text("Said")),
            {"type": "rich_text_quote", "elements": [text("best\nin town", italic=True)]},
            {"type": "rich_text_preformatted", "elements": [text("2*3*4 :coffee:")]},
            section(text("end")),
        ),
        names,
    )
    assert got.text == "Said\n> best\n> in town\n2*3*4 :coffee:\nend"


@pytest.mark.parametrize(
    "junk",
    [
        [{"type": "rich_text", "elements": "nope"}],
        [{"type": "rich_text", "elements": [None, 3, {"type": []}, {"type": "rich_text_section", "elements": 7}]}],
        [{"type": "rich_text", "elements": [{"type": "rich_text_list", "indent": "x", "elements": [1]}]}],
        [
            {
                "type": "rich_text",
                "elements": [section({"type": "text", "text": 5}, {"type": "emoji"}, {"type": "link"})],
            }
        ],
        [{"type": "rich_text", "elements": [section({"type": "date", "timestamp": 10**30}, {"type": "user"})]}],
    ],
)
def test_malformed_blocks_are_refused_not_raised(junk: list[dict[str, Any]]) -> None:
    got = from_blocks(junk, names)
    assert got.refusals and all(r.problem in (Problem.UNSUPPORTED, Problem.UNKNOWN_PERSON) for r in got.refusals)


def test_invisible_characters_and_lone_surrogates_are_dropped_from_blocks() -> None:
    assert read(text("pay\u202epal\u200b \ud800 \u200d")).text == "paypal \ufffd \u200d"


# -- which source --------------------------------------------------------------------------------------


def test_blocks_win_over_text_and_text_is_read_only_without_rich_text() -> None:
    typed = {"text": "*x* :coffee:", "blocks": blocks_of(section(text("literal *x* :coffee:")))}
    assert from_message(typed, names).text == "literal *x* :coffee:"
    api = {"text": "*x* :coffee:", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "no"}}]}
    assert from_message(api, names).text == "x ☕"
    assert from_message({"text": None, "blocks": "junk"}, names) == SlackText("")


# -- the mrkdwn fallback -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mrkdwn", "chars"),
    [
        ("*Grand* opening! Ask <@U0WRITER> for a tour :coffee:", "Grand opening! Ask Wendy Writer for a tour ☕"),
        ("_it_ ~strike~ `code` ```pre```", "it strike code pre"),
        ("*_both_* and _*both*_", "both and both"),
        ("2*3*4 snake_case_name a~b~c file_`x`", "2*3*4 snake_case_name a~b~c file_`x`"),
        ("* not bold * and *not bold *", "* not bold * and *not bold *"),
        ("*two\nlines*", "*two\nlines*"),
        ("`*not bold* :coffee:`", "*not bold* :coffee:"),
        ("see <https://x.com|x.com>", "see x.com"),
        ("see <https://example.com/>", "see https://example.com/"),
        ("read <https://a.com/p|here>", "read here https://a.com/p"),
        ("<mailto:hi@a.co|hi@a.co>", "hi@a.co"),
        ("<https://a.com/?x=1&amp;y=2|link>", "link https://a.com/?x=1&y=2"),
        ("<https://a.com/x_y_z|a.com/x_y_z>", "a.com/x_y_z"),
        ("Tom &amp; Jerry &lt;3 &gt;_&gt;", "Tom & Jerry <3 >_>"),
        ("&amp;lt; stays typed, &copy; too", "&lt; stays typed, &copy; too"),
        ("thanks <@U0OWNER|olivia>", "thanks Olivia Owner"),
        ("thanks <@U0GONE|gone>", "thanks gone"),
        ("<!date^1767225600^{date_long}|1 January>", "1 January"),
        ("10:30:00 at 9:15: ok", "10:30:00 at 9:15: ok"),
        (":+1: :thumbsup: :-1: :tada: :wave::skin-tone-3:", "👍 👍 👎 🎉 👋🏼"),
        (":flag-fr: :man-woman-girl: :skin-tone-6: :simple_smile:", "🇫🇷 👨\u200d👩\u200d👧 🏿 🙂"),
        ("• a\n    ◦ b\n1. c\n&gt; d", "• a\n    ◦ b\n1. c\n> d"),
        ("", ""),
    ],
)
def test_mrkdwn_turns_into_the_characters_slack_showed(mrkdwn: str, chars: str) -> None:
    assert from_mrkdwn(mrkdwn, names) == SlackText(chars)


@pytest.mark.parametrize(
    ("mrkdwn", "refusal"),
    [
        ("<!here> come by", Refusal(Problem.BROADCAST, "here")),
        ("<!channel|channel>", Refusal(Problem.BROADCAST, "channel")),
        ("<!everyone>", Refusal(Problem.BROADCAST, "everyone")),
        ("in <#C0GENERAL|general>", Refusal(Problem.CHANNEL, "C0GENERAL")),
        ("<!subteam^S0TEAM|@baristas>", Refusal(Problem.USERGROUP, "@baristas")),
        ("We did it :partyparrot:", Refusal(Problem.CUSTOM_EMOJI, "partyparrot")),
        ("thanks <@U0GONE>", Refusal(Problem.UNKNOWN_PERSON, "U0GONE")),
        ("<!foo^bar>", Refusal(Problem.UNSUPPORTED, "!foo^bar")),
    ],
)
def test_mrkdwn_refuses_what_only_means_something_in_slack(mrkdwn: str, refusal: Refusal) -> None:
    assert from_mrkdwn(mrkdwn, names).refusals == (refusal,)


def test_mrkdwn_drops_invisible_characters_and_a_nul_cannot_forge_a_slot() -> None:
    assert from_mrkdwn("pay\u202epal \x000\x01 `x`", names).text == "paypal 0 x"


# -- emoji names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "chars"),
    [
        ("thumbsup", "👍"),
        ("+1", "👍"),
        ("coffee", "☕"),
        ("tada", "🎉"),
        ("man-raising-hand", "🙋\u200d♂️"),
        ("male-technologist", "👨\u200d💻"),
        ("flag-gb", "🇬🇧"),
        ("wave::skin-tone-3", "👋🏼"),
        ("man-raising-hand::skin-tone-2", "🙋🏻\u200d♂️"),
        ("partyparrot", None),
        ("flag-zz", None),
        ("wave::skin-tone-9", None),
    ],
)
def test_slack_shortcodes_by_name(name: str, chars: str | None) -> None:
    assert by_name(name) == chars


@pytest.mark.parametrize("junk", ["", "-", "110000", "d800", "1f44b--1f3fc", "g", 5, None, "1f44b-1f3fc-"])
def test_junk_unicode_is_no_character(junk: object) -> None:
    assert from_unicode(junk) is None


# -- both sources agree --------------------------------------------------------------------------------

WORD = st.text(alphabet="abcdefghij0123456789!?.,()'\"-+/#@é日", min_size=1, max_size=6).filter(
    lambda w: w.strip("-+") and not w.startswith(("-", "+")) and "@" not in w[1:]
)
STYLED = st.tuples(st.sampled_from("*_~`"), st.text(alphabet="abcdefgh", min_size=1, max_size=5)).map(
    lambda p: f"{p[0]}{p[1]}{p[0]}"
)
EMOJI = st.sampled_from(
    [":coffee:", ":+1:", ":tada:", ":wave::skin-tone-4:", ":flag-fr:", ":heart:", ":partyparrot:", ":man-woman-girl:"]
)
ENTITY = st.sampled_from(
    [
        "<@U0WRITER>",
        "<@U0OWNER|olivia>",
        "<!here>",
        "<#C0GENERAL|general>",
        "<!subteam^S0TEAM|@team>",
        "<https://a.example/x_y|the menu>",
        "<http://northwind.coffee|northwind.coffee>",
        "<https://b.example>",
        "<!date^1767225600^{date_long}|1 January>",
    ]
)
ESCAPED = st.sampled_from(["&amp;", "&lt;3", "-&gt;", "2*3*4", "snake_case", "10:30:00"])
PIECE = st.one_of(WORD, STYLED, EMOJI, ENTITY, ESCAPED, STYLED.map(lambda s: f"*{s.strip('*')} :coffee:*"))
LINE = st.lists(PIECE, min_size=1, max_size=6).map(" ".join)
PREFIX = st.sampled_from(["", "", "", "• ", "    ◦ ", "1. ", "2. ", "&gt; "])
TYPED_LINE = st.one_of(
    st.tuples(PREFIX, LINE).map("".join),
    st.text(alphabet="abc xyz*", min_size=1, max_size=8).map(lambda t: f"```{t.strip('`')}```"),
)
TYPED = st.lists(TYPED_LINE, min_size=1, max_size=6).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(mrkdwn=TYPED)
def test_the_sandbox_blocks_and_the_text_fallback_give_the_same_post(mrkdwn: str) -> None:
    """For a typed message, what the app reads from Slack's blocks equals what it reads from Slack's text."""
    from_rich_text = from_message({"text": mrkdwn, "blocks": [rich_text_block(mrkdwn)]}, names)
    from_text = from_message({"text": mrkdwn}, names)
    assert from_rich_text.text.strip() == from_text.text.strip()
    assert {r.problem for r in from_rich_text.refusals} == {r.problem for r in from_text.refusals}
