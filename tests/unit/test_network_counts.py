"""A brand on several networks: the composed post is measured on each (compose with the brand's rules), refused at
intake naming the network it is too long for, and counted on the card under each network's rules.

Counts are worked out by hand: the attribution `\\n\\n— by Ag` adds 9 on every network (all weight 1, one grapheme
each); a 100-character URL is 23 on X and Mastodon, 100 graphemes on Bluesky.
"""

from __future__ import annotations

from typing import Any

from bot.approval.outcomes import Kind, Outcome
from bot.approval.post_text import PostText, compose
from bot.networks.base import Network, TextRules
from bot.networks.bluesky.text_rules import BlueskyTextRules
from bot.networks.mastodon.text_rules import MastodonTextRules
from bot.networks.x.rules import XTextRules
from bot.slack.blocks import approval_card
from bot.slack.ids import BlockId
from bot.slack.replies import intake_reply, refusal, revision_refused
from storage.models import Draft, Status

URL = "https://example.com/" + "a" * 80
X, BLUESKY = XTextRules(), BlueskyTextRules()
MASTODON = MastodonTextRules(network=Network.MASTODON, limit=500, unit="characters")
X_AND_BLUESKY: dict[Network, TextRules] = {Network.X: X, Network.BLUESKY: BLUESKY}
ALL: dict[Network, TextRules] = {**X_AND_BLUESKY, Network.MASTODON: MASTODON}


def make_post(text: str, rules: dict[Network, TextRules] | None = None) -> PostText:
    return compose(text, template="— by {agency}", agency="Ag", approver="Olivia", writer="Wes", rules=rules)


def body(graphemes: int) -> str:
    """A draft of `graphemes` graphemes before the attribution: the URL, a space, letters."""
    return URL + " " + "b" * (graphemes - len(URL) - 1)


def draft(**fields: Any) -> Draft:
    values: dict[str, Any] = {"id": 17, "version": 2, "status": Status.PENDING, "channel": "C0DRAFTS", "ts": "1.1"}
    return Draft(**(values | {"writer_id": "U0WRITER", "text": "x"} | fields))


def count_line(card: dict[str, Any]) -> str:
    [count] = [b for b in card["blocks"] if b.get("block_id") == BlockId.CARD_COUNT]
    return count["elements"][0]["text"]


def test_a_post_over_bluesky_but_within_x_doesnt_fit_and_says_which_network_and_how_much() -> None:
    post = make_post(body(303), X_AND_BLUESKY)  # 303 + 9 = 312 graphemes; X: 23 + 1 + 202 + 9 = 235
    assert not post.fits
    assert post.problems() == [
        "Too long for Bluesky: 312/300 graphemes (12 over, attribution included).",
        "X: fits (235/280).",
    ]
    reply = intake_reply(Outcome(Kind.TOO_LONG, post=post), "<@U0OWNER>")
    assert reply == (
        "Not sent for approval. Too long for Bluesky: 312/300 graphemes (12 over, attribution included). "
        "X: fits (235/280). Shorten it and try again: nothing is ever cut silently."
    )
    assert "Bluesky: 312/300" in refusal(Outcome(Kind.TOO_LONG, post=post))
    assert "Bluesky: 312/300" in revision_refused(Outcome(Kind.TOO_LONG, draft=draft(), post=post))


def test_the_same_post_on_x_alone_fits() -> None:
    assert make_post(body(303), {Network.X: X}).fits
    assert make_post(body(303)).fits


def test_a_brand_without_x_isnt_held_to_xs_limit() -> None:
    post = make_post("a" * 285, {Network.BLUESKY: BLUESKY})  # 294 graphemes; X would weigh 294 > 280
    assert post.fits and post.counts == "294/300"
    assert not make_post("a" * 285).fits


def test_x_alone_reads_exactly_as_without_rules() -> None:
    for text in ("Fresh beans are in.", "t" * 275, "one\n---\n" + "t" * 290):
        with_rules, without = make_post(text, {Network.X: X}), make_post(text)
        assert (with_rules.counts, with_rules.problems()) == (without.counts, without.problems())


def test_the_card_counts_each_network_under_its_own_rules() -> None:
    post = make_post("hello " + URL, ALL)  # X/Mastodon 6 + 23 + 9 = 38; Bluesky 6 + 100 + 9 = 115
    assert count_line(approval_card(draft(), post)) == (
        "X 38/280 · Bluesky 115/300 · Mastodon 38/500 · attribution included, added to every post"
    )
    assert intake_reply(Outcome(Kind.SUBMITTED, draft=draft(), post=post), "<@U0OWNER>") == (
        "Sent to <@U0OWNER> for approval as draft #17 · X 38/280 · Bluesky 115/300 · Mastodon 38/500"
    )


def test_the_card_with_one_network_reads_as_always() -> None:
    post = make_post("hello " + URL, {Network.X: X})
    assert count_line(approval_card(draft(), post)) == "38/280 · attribution included, added to every post"


def test_a_thread_is_counted_part_by_part_on_each_network() -> None:
    post = make_post("first\n---\n" + body(295), X_AND_BLUESKY)  # last part 304 graphemes, X 23 + 1 + 194 + 9
    assert post.problems() == [
        "Part 2 of 2 is too long for Bluesky: 304/300 graphemes (4 over, attribution included).",
        "X: fits (5/280, 227/280).",
    ]
    assert post.counts == "X 5/280, 227/280 · Bluesky 5/300, 304/300"


def test_an_empty_part_is_said_before_any_network() -> None:
    assert make_post("one\n---\n\n---\nthree", X_AND_BLUESKY).problems() == ["Part 2 of 3 is empty."]


def test_characters_x_refuses_are_still_refused_when_x_is_one_of_several() -> None:
    post = make_post("bad \ufffe char", X_AND_BLUESKY)
    assert post.problems() == ["The post has characters X doesn't accept (such as U+FFFE)."]
