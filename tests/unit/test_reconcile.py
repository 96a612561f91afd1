"""Matching our text with what X's timeline shows (t.co links, escaped entities)."""

from __future__ import annotations

import pytest

from bot.networks.x.match import comparable, comparable_from_x
from bot.networks.x.wire import as_x_shows


@pytest.mark.parametrize(
    "text",
    [
        "Visit northwind.coffee today",
        "Menu: https://northwind.coffee/menu?a=1&b=2 and http://example.com",
        "We <3 our regulars -> see you & thanks",
        "A typed &amp; stays as typed, so does &lt;",
        "café (NFC) at go.co.uk/x, or t.co/abc",
        "No links at all.\n\nSecond paragraph",
    ],
)
def test_our_text_matches_what_x_shows_for_it(text: str) -> None:
    assert comparable_from_x(as_x_shows(text, "1990000000000000001")) == comparable(text)


def test_a_different_post_with_the_same_links_does_not_match() -> None:
    shown = as_x_shows("Open at northwind.coffee", "1")
    assert comparable_from_x(shown) != comparable("Closed at northwind.coffee")
    assert comparable_from_x(shown) != comparable("Open at")  # a link is not nothing


def test_escaping_is_undone_once() -> None:
    assert comparable_from_x("&amp;amp; &lt;b&gt;") == comparable("&amp; <b>")


def test_a_post_with_media_is_compared_without_the_photos_link_x_adds() -> None:
    ours = comparable("Two roasts: northwind.coffee")
    shown = "Two roasts: https://t.co/AAAAAAAAAA https://t.co/BBBBBBBBBB"
    assert comparable_from_x(shown, media=True) == ours
    assert comparable_from_x(shown) != ours  # without media, that last link would be a different post
    assert comparable_from_x("https://t.co/CCCCCCCCCC", media=True) == comparable("")
