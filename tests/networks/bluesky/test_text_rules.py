"""Bluesky's length rules: graphemes as the PDS counts them, the 3000-byte cap, and links counted in full."""

from __future__ import annotations

from twitter_text import parse_tweet

from bot.networks.base import Network
from bot.networks.bluesky.text_rules import BlueskyTextRules

RULES = BlueskyTextRules()
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # 7 code points, 25 UTF-8 bytes


def test_the_rules_say_who_and_what() -> None:
    assert (RULES.network, RULES.limit, RULES.unit, RULES.byte_limit) == (Network.BLUESKY, 300, "graphemes", 3000)


def test_graphemes_not_code_points() -> None:
    assert RULES.count("cafe\u0301") == 4  # e + combining acute is one
    assert RULES.count(FAMILY) == 1
    assert RULES.count("\U0001f1eb\U0001f1f7") == 1  # a flag is two regional indicators
    assert RULES.count("日本語") == 3  # X weighs each 2; Bluesky counts 1


def test_300_fits_301_does_not() -> None:
    assert RULES.fits("a" * 300) and not RULES.fits("a" * 301)


def test_the_byte_cap_binds_before_the_grapheme_cap() -> None:
    text = FAMILY * 121  # 121 graphemes, 3025 bytes
    assert RULES.count(text) == 121 and RULES.over_bytes(text) == 25 and not RULES.fits(text)
    assert RULES.over_bytes(FAMILY * 120) == 0


def test_a_long_link_fits_x_but_not_bluesky() -> None:
    """X counts any URL as 23; Bluesky counts every character of it, and shortens nothing."""
    url = (
        "https://acme.example.com/journal/2026/03/single-origin-ethiopia-guji-natural-process-first-harvest"
        "?utm_source=social&utm_medium=organic&utm_campaign=spring_harvest_launch&utm_content=announcement"
    )
    text = (
        "Our spring harvest is in: a natural-process Guji from Ethiopia, roasted light to keep the blueberry "
        "and jasmine. Small lots, so it won't last long. Read the story of the farm and order a bag here: "
        f"{url} — drafted by Northwind, approved by Dana"
    )
    x = parse_tweet(text)
    assert x.valid and x.weightedLength <= 280
    assert RULES.count(text) > 300 and not RULES.fits(text)
