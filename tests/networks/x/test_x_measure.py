"""X's weighted length counted in pieces: the writer's text and the attribution are parsed apart (each parse is
kept), and the sum must be exactly what twitter-text says of the whole post, validity included."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from bot.networks.x.rules import BLANK_LINE, measure

# Pieces that twitter-text treats specially, and the places a boundary could fool it: URLs with and without a
# scheme (23 each, whatever their length), trailing punctuation, emoji sequences (2 each, however many code points:
# ZWJ families, flags, keycaps, skin tones), CJK (2), a combining accent that NFC composes, characters X refuses,
# and plenty of newlines, so that "\n\n" turns up inside the writer's text too.
PIECES = st.sampled_from(
    [
        "https://example.com/path?q=1",
        "example.com",
        "www.example.org/a.",
        "http://t.co",
        "👨‍👩‍👧",
        "🇫🇷",
        "#️⃣",
        "👍🏽",
        "😷",
        "日本語",
        "e\u0301",
        "\u0301",
        "\ufffe",
        "@name",
        "#tag",
        ".",
        ",",
        " ",
        "\n",
        "\n\n",
        "—",
        "a",
        "Z9",
    ]
)
TEXT = st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=40).map("".join)


def whole(text: str) -> tuple[int, bool]:
    parsed = parse_tweet(unicodedata.normalize("NFC", text))
    return parsed.weightedLength, parsed.valid


@settings(max_examples=600, deadline=None)
@given(TEXT, TEXT)
def test_a_post_counted_in_pieces_weighs_what_one_parse_of_it_weighs(body: str, attribution: str) -> None:
    text = body + BLANK_LINE + attribution
    assert measure(text) == whole(text)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_any_text_measures_what_one_parse_says(text: str) -> None:
    assert measure(text) == whole(text)


def test_a_post_just_over_the_limit_by_its_attribution_is_invalid() -> None:
    body = "a" * 250
    attribution = "— drafted by Northwind Agency, approved by Olivia"  # 49: 250 + 2 + 49 = 301
    assert measure(body + BLANK_LINE + attribution) == (301, False) == whole(body + BLANK_LINE + attribution)


def test_a_character_x_refuses_in_the_attribution_makes_the_post_invalid() -> None:
    text = "fine text" + BLANK_LINE + "by \ufffe"
    assert measure(text) == (whole(text)[0], False)


def test_an_empty_body_before_the_attribution_still_counts_the_gap() -> None:
    assert measure(BLANK_LINE + "— drafted by us") == whole(BLANK_LINE + "— drafted by us")
