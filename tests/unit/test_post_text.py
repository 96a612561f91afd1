"""Post text rules: X's weighted length, attribution, threads, and text coming from / going to Slack.

Expected lengths are worked out by hand from the twitter-text v3 rules (URLs 23, emoji 2, CJK 2,
limit 280), never by calling the code under test.
"""

from __future__ import annotations

import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from twitter_text import parse_tweet

from bot.approval.post_text import LIMIT, Part, PostText, clean, compose, escape_mrkdwn, weighted_length

TEMPLATE = "— by {agency}"
ATTRIBUTION = "— by Ag"  # 7 characters, all weight 1 (U+2014 is in the U+2010..U+201F range)
TAIL = "\n\n" + ATTRIBUTION  # 9 characters, weight 9


def post(text: str, template: str = TEMPLATE) -> PostText:
    return compose(text, template=template, agency="Ag", approver="Olivia", writer="Wes")


# -- weighted_length -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fresh beans are in.", 19),
        ("https://example.com/a/very/long/path/that/is/well/over/twenty-three/characters", 23),
        ("example.com", 23),
        ("see example.com now", 4 + 23 + 4),
        ("https://a.co", 23),  # a short URL still costs 23
        ("\U0001f600", 2),  # one emoji
        ("\U0001f44d\U0001f3fd", 2),  # emoji + skin tone modifier is one sequence
        ("ok \U0001f600", 3 + 2),
        ("日本", 4),  # CJK: 2 each
        ("日本 ok", 4 + 3),
        ("café", 4),  # U+00E9 is in U+0000..U+10FF: weight 1
        ("— “quoted”", 1 + 1 + 1 + 6 + 1),  # U+2014 and U+201C/D are in U+2010..U+201F: weight 1
        ("wait…", 4 + 2),  # U+2026 is outside every weight-1 range: weight 2
        ("", 0),
    ],
)
def test_weighted_length_follows_twitter_text_v3(text: str, expected: int) -> None:
    assert weighted_length(text) == expected


def test_weighted_length_counts_a_combining_accent_as_one_character_after_nfc() -> None:
    decomposed = "e\u0301"  # e + COMBINING ACUTE ACCENT, NFC → U+00E9
    assert len(decomposed) == 2
    assert weighted_length(decomposed) == 1
    assert weighted_length("caf" + decomposed) == weighted_length("café") == 4


@given(st.text(alphabet=string.ascii_letters + string.digits + " ,;!?'()-", max_size=400))
@settings(max_examples=60, deadline=None)
def test_plain_ascii_without_dots_weighs_one_per_character(text: str) -> None:
    # No '.', so nothing can look like a URL or a domain.
    assert weighted_length(text) == len(text)


@given(st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), max_size=200))
@settings(max_examples=40, deadline=None)
def test_cjk_weighs_two_per_character(text: str) -> None:
    assert weighted_length(text) == 2 * len(text)


# -- compose: attribution and limits --------------------------------------------------------


def test_compose_appends_the_attribution_once_after_a_blank_line() -> None:
    result = post("Fresh beans are in.")
    assert result.texts == ["Fresh beans are in.\n\n— by Ag"]
    assert result.parts[0].weighted_length == 19 + 9
    assert result.fits
    assert not result.is_thread


def test_compose_fills_every_template_field() -> None:
    result = compose(
        "Hi",
        template="— {writer} for {agency}, ok'd by {approver}",
        agency="Acme Agency",
        approver="Olivia Owner",
        writer="Wes Writer",
    )
    assert result.texts == ["Hi\n\n— Wes Writer for Acme Agency, ok'd by Olivia Owner"]


def test_exactly_280_including_attribution_fits() -> None:
    result = post("a" * (280 - 9))
    assert result.parts[0].weighted_length == 280
    assert result.fits
    assert result.problems() == []


def test_281_including_attribution_is_over_by_one() -> None:
    result = post("a" * (281 - 9))
    assert not result.fits
    assert result.parts[0].over_by == 1
    assert result.problems() == ["The post is 1 over X's limit (281/280, attribution included)."]


def test_the_attribution_alone_can_push_a_post_over_the_limit() -> None:
    # 275 characters fit on their own, but not with the 9-character attribution tail.
    result = post("b" * 275)
    assert result.parts[0].over_by == 275 + 9 - 280
    assert "4 over" in result.problems()[0]


def test_over_limit_counts_urls_as_23_and_names_the_amount() -> None:
    # 10 URLs separated by spaces: 10*23 + 9 spaces = 239; + 40 'x' + space = 280; + 9 tail = 289.
    text = " ".join(f"https://example.com/{i}/{'z' * 40}" for i in range(10)) + " " + "x" * 40
    result = post(text)
    assert result.parts[0].weighted_length == 289
    assert result.parts[0].over_by == 9
    assert result.counts == "289/280"


def test_compose_normalises_and_cleans_before_counting() -> None:
    result = post("  cafe\u0301\u200b  ")
    assert result.texts == ["café\n\n— by Ag"]
    assert result.parts[0].weighted_length == 4 + 9


def test_empty_text_is_refused() -> None:
    for text in ("", "   ", "\u200b\u200e"):
        result = post(text)
        assert not result.fits
        assert result.problems() == ["The post is empty."]


def test_an_empty_post_text_never_fits() -> None:
    assert not PostText(parts=()).fits


# -- compose: threads ------------------------------------------------------------------------


def test_a_line_of_dashes_splits_a_thread_and_attribution_goes_on_the_last_part_only() -> None:
    result = post("First part.\n---\nSecond part.\n---\nThird part.")
    assert result.is_thread
    assert result.texts == ["First part.", "Second part.", "Third part.\n\n— by Ag"]
    assert [p.weighted_length for p in result.parts] == [11, 12, 11 + 9]
    assert result.counts == "11/280 · 12/280 · 20/280"


def test_separator_may_have_spaces_and_tabs_around_it() -> None:
    result = post("One\n  \t---   \nTwo")
    assert result.texts == ["One", "Two\n\n— by Ag"]


def test_dashes_inside_a_line_or_more_dashes_do_not_split() -> None:
    assert post("a --- b").texts == ["a --- b\n\n— by Ag"]
    assert post("a\n----\nb").texts == ["a\n----\nb\n\n— by Ag"]


def test_every_part_of_a_thread_is_checked() -> None:
    result = post("short\n---\n" + "c" * 281 + "\n---\nend")
    assert not result.fits
    assert result.parts[1].over_by == 1
    assert result.problems() == ["Part 2 of 3 is 1 over X's limit (281/280, attribution included)."]


def test_a_thread_whose_last_part_is_over_only_because_of_the_attribution() -> None:
    result = post("ok\n---\n" + "d" * 272)
    assert result.parts[0].over_by == 0
    assert result.parts[1].weighted_length == 281
    assert result.problems() == ["Part 2 of 2 is 1 over X's limit (281/280, attribution included)."]


@pytest.mark.parametrize(
    ("text", "empty_part"),
    [("\n---\nsecond", 1), ("first\n---\n", 2), ("first\n---\n\n---\nthird", 2), ("a\n---\n   \n---\nc", 2)],
)
def test_an_empty_part_is_refused(text: str, empty_part: int) -> None:
    result = post(text)
    assert not result.fits
    assert f"Part {empty_part} of {len(result.parts)} is empty." in result.problems()


def test_problems_lists_each_failing_part() -> None:
    result = post("x" * 300 + "\n---\n\n---\n" + "y" * 290)
    assert result.problems() == [
        "Part 1 of 3 is 20 over X's limit (300/280, attribution included).",
        "Part 2 of 3 is empty.",
        "Part 3 of 3 is 19 over X's limit (299/280, attribution included).",
    ]


def test_part_over_by_is_never_negative() -> None:
    assert Part("short", 5).over_by == 0
    assert Part("x" * 300, 300).over_by == 20


# -- clean -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hidden",
    [
        "\u200b",  # ZERO WIDTH SPACE
        "\ufeff",  # ZERO WIDTH NO-BREAK SPACE / BOM
        "\u200e",  # LEFT-TO-RIGHT MARK
        "\u200f",  # RIGHT-TO-LEFT MARK
        "\u202a",  # LRE
        "\u202b",  # RLE
        "\u202c",  # PDF
        "\u202d",  # LRO
        "\u202e",  # RLO
        "\u2066",  # LRI
        "\u2067",  # RLI
        "\u2068",  # FSI
        "\u2069",  # PDI
    ],
)
def test_clean_removes_zero_width_and_bidi_controls(hidden: str) -> None:
    assert clean(f"pay{hidden}pal") == "paypal"


def test_clean_removes_the_arabic_letter_mark_bidi_control() -> None:
    assert clean("pay\u061cpal") == "paypal"


def test_clean_keeps_the_zero_width_joiner_inside_emoji_sequences() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert clean(family) == family


def test_clean_keeps_the_zero_width_non_joiner_that_persian_spelling_needs() -> None:
    word = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "I want", spelled with a ZWNJ
    assert clean(word) == word


def test_clean_trims_and_normalises() -> None:
    assert clean("  e\u0301  \n") == "\u00e9"


# -- escape_mrkdwn ---------------------------------------------------------------------------


def test_escape_mrkdwn_defuses_broadcasts_and_links() -> None:
    assert escape_mrkdwn("<!channel> & <https://evil.example|bank>") == (
        "&lt;!channel&gt; &amp; &lt;https://evil.example|bank&gt;"
    )


def test_escape_mrkdwn_escapes_an_existing_entity_again() -> None:
    # "&lt;" typed by a person must show as "&lt;", not as "<".
    assert escape_mrkdwn("&lt;") == "&amp;lt;"


@given(st.text())
@settings(max_examples=200, deadline=None)
def test_escaped_text_never_contains_angle_brackets(text: str) -> None:
    escaped = escape_mrkdwn(text)
    assert "<" not in escaped
    assert ">" not in escaped


# -- properties of compose ------------------------------------------------------------------

thread_text = st.lists(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=300),
    min_size=1,
    max_size=4,
).map("\n---\n".join)
any_text = st.one_of(st.text(max_size=600), thread_text)


@given(any_text)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_a_post_that_fits_has_every_part_within_xs_limit(text: str) -> None:
    result = post(text)
    if result.fits:
        for part in result.texts:
            assert parse_tweet(part).weightedLength <= LIMIT
    else:
        assert result.problems(), "a post that doesn't fit must say why"


@given(any_text)
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_attribution_appears_exactly_once_and_only_in_the_last_part(text: str) -> None:
    assume(ATTRIBUTION not in text and "— by" not in text)
    result = post(text)
    assume(result.texts[-1] != "")
    *earlier, last = result.texts
    assert last.count(ATTRIBUTION) == 1
    assert last.endswith(TAIL)
    assert all(ATTRIBUTION not in part for part in earlier)


@given(any_text)
@settings(max_examples=100, deadline=None)
def test_counts_show_one_entry_per_part(text: str) -> None:
    result = post(text)
    assert len(result.counts.split(" · ")) == len(result.parts)
