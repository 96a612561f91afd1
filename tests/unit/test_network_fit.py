"""Each network's count of the same composed post (bot/approval/network_fit.py).

Expected counts are worked out by hand from each network's rules: X weighs a URL 23 and a Latin letter 1 (limit
280); Bluesky counts every grapheme, a URL's too (limit 300, and 3000 UTF-8 bytes); Mastodon counts graphemes with a
URL as the instance's `characters_reserved_per_url` (23) under the instance's own limit.
"""

from __future__ import annotations

from bot.approval.network_fit import measure
from bot.networks.base import Network
from bot.networks.bluesky.text_rules import BlueskyTextRules
from bot.networks.mastodon.text_rules import MastodonTextRules
from bot.networks.x.rules import XTextRules

URL = "https://example.com/" + "a" * 80  # 100 characters: 23 on X and Mastodon, 100 graphemes on Bluesky
X, BLUESKY = XTextRules(), BlueskyTextRules()
MASTODON = MastodonTextRules(network=Network.MASTODON, limit=500, unit="characters")
ALL = {Network.X: X, Network.BLUESKY: BLUESKY, Network.MASTODON: MASTODON}


def text_of(graphemes: int) -> str:
    """`graphemes` graphemes: the long URL, a space, then letters."""
    return URL + " " + "b" * (graphemes - len(URL) - 1)


def test_301_graphemes_with_a_long_url_is_one_over_for_bluesky_and_fits_x_and_mastodon() -> None:
    fit = measure([text_of(301)], ALL)
    x, bluesky, mastodon = (fit.of(n) for n in (Network.X, Network.BLUESKY, Network.MASTODON))
    assert x is not None and bluesky is not None and mastodon is not None
    assert (x.parts[0].count, x.parts[0].limit, x.fits) == (23 + 1 + 200, 280, True)
    assert (bluesky.parts[0].count, bluesky.parts[0].limit, bluesky.parts[0].unit) == (301, 300, "graphemes")
    assert bluesky.parts[0].over_by == 1 and not bluesky.fits
    assert (mastodon.parts[0].count, mastodon.parts[0].limit, mastodon.fits) == (224, 500, True)
    assert not fit.fits


def test_300_graphemes_fits_bluesky() -> None:
    fit = measure([text_of(300)], ALL)
    assert fit.fits and fit.problems() == []


def test_mastodon_counts_under_the_instances_own_limit_and_url_weight() -> None:
    small = MastodonTextRules(network=Network.MASTODON, limit=200, unit="characters", url_length=30)
    fit = measure([text_of(250)], {Network.MASTODON: small})
    part = fit.networks[0].parts[0]
    assert (part.count, part.limit, part.over_by) == (30 + 1 + 149, 200, 0)
    part = measure([text_of(275)], {Network.MASTODON: small}).networks[0].parts[0]
    assert (part.count, part.over_by) == (205, 5)


def test_the_refusal_names_the_network_over_and_by_how_much_and_the_ones_it_fits() -> None:
    fit = measure([text_of(312)], {Network.X: X, Network.BLUESKY: BLUESKY})
    assert fit.problems() == [
        "Too long for Bluesky: 312/300 graphemes (12 over, attribution included).",
        "X: fits (235/280).",
    ]


def test_a_thread_is_measured_part_by_part_and_the_refusal_says_which_part() -> None:
    parts = ["short", text_of(305)]
    fit = measure(parts, {Network.X: X, Network.BLUESKY: BLUESKY})
    bluesky = fit.of(Network.BLUESKY)
    assert bluesky is not None and [p.count for p in bluesky.parts] == [5, 305]
    assert fit.problems() == [
        "Part 2 of 2 is too long for Bluesky: 305/300 graphemes (5 over, attribution included).",
        "X: fits (5/280, 228/280).",
    ]
    assert fit.counts == "X 5/280, 228/280 · Bluesky 5/300, 305/300"


def test_several_networks_count_each_under_its_own_rules() -> None:
    fit = measure(["hello " + URL], ALL)
    assert fit.counts == "X 29/280 · Bluesky 106/300 · Mastodon 29/500"


def test_one_network_reads_as_the_card_always_did() -> None:
    fit = measure(["a" * 290], {Network.X: X})
    assert fit.counts == "290/280"
    assert fit.problems() == ["The post is 10 over X's limit (290/280, attribution included)."]
    bluesky_only = measure(["a" * 310], {Network.BLUESKY: BLUESKY})
    assert bluesky_only.problems() == ["The post is 10 over Bluesky's limit (310/300 graphemes, attribution included)."]


def test_bluesky_refuses_past_3000_bytes_within_300_graphemes() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one grapheme, 25 UTF-8 bytes
    fit = measure([family * 121], {Network.X: X, Network.BLUESKY: BLUESKY})  # 121 graphemes, 3025 bytes
    bluesky = fit.of(Network.BLUESKY)
    assert bluesky is not None and bluesky.parts[0].count == 121 and bluesky.parts[0].over_bytes == 25
    assert fit.problems()[0] == "Too long for Bluesky: 25 bytes over its 3000 bytes."
