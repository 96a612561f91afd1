"""The card of a version that went to several networks: a line per network, in the brand's order, and each network's
own buttons (their value names it). With one network the card reads exactly as it always did."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.sandbox.slack_blocks import block_errors
from bot.slack.block_kit import slack_date
from bot.slack.blocks import approval_card
from bot.slack.delivery_blocks import network_line
from bot.slack.ids import ActionId, BlockId
from bot.slack.schedule_blocks import Timing
from storage.models import Delivery, Draft, Status
from tests.unit.delivery_rows import delivery
from tests.unit.test_blocks import DECIDED_AT, assert_within_slack_limits, buttons, make_draft, make_post

NEXT_LOOK = datetime(2025, 11, 22, 9, 32, tzinfo=UTC)
X_LINK = "https://x.com/acme/status/123"
BSKY_LINK = "https://bsky.app/profile/acme.bsky.social/post/3kabc"
MASTODON_LINK = "https://social.example.com/@acme/109"


def after_approval(status: Status, **fields: Any) -> Draft:
    return make_draft(status=status, decided_by="U0OWNER", decided_at=DECIDED_AT, **fields)


def mixed() -> list[Delivery]:
    """The brief's case: X didn't confirm (and the bot still looks), Bluesky is up, Mastodon failed."""
    return [
        delivery("x", Status.UNKNOWN, last_error="X answered 503", next_attempt_at=NEXT_LOOK),
        delivery("bluesky", Status.PUBLISHED, post_ids=["at://did/app.bsky.feed.post/3kabc cid"], post_url=BSKY_LINK),
        delivery("mastodon", Status.FAILED, last_error="Mastodon refused the access token (401)"),
    ]


def card_of(draft: Draft, found: list[Delivery], **kw: Any) -> dict[str, Any]:
    return approval_card(draft, make_post(draft.text), deliveries=found, **kw)


def network_sections(card: dict[str, Any]) -> dict[str, str]:
    prefix = f"{BlockId.CARD_NETWORK}."
    return {
        b["block_id"].removeprefix(prefix): b["text"]["text"]
        for b in card["blocks"]
        if b.get("block_id", "").startswith(prefix)
    }


def labelled(card: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(b["text"]["text"], b["action_id"], b["value"]) for b in buttons(card)]


def test_each_network_has_its_line_in_the_brands_order_saying_what_happened_there() -> None:
    card = card_of(after_approval(Status.UNKNOWN), mixed())
    lines = network_sections(card)
    assert list(lines) == ["x", "bluesky", "mastodon"]
    assert lines["x"].startswith(":grey_question: *X* didn't confirm the post: X answered 503.")
    assert "Check the account on X" in lines["x"] and "*Mark as published on X* if the post is there" in lines["x"]
    assert f"next look <!date^{int(NEXT_LOOK.timestamp())}^" in lines["x"]
    assert lines["bluesky"] == f":white_check_mark: *Bluesky*: published: <{BSKY_LINK}|view on Bluesky>"
    assert lines["mastodon"] == (
        ":warning: *Mastodon*: publishing failed: Mastodon refused the access token (401)."
        " Fix the cause, then press *Retry Mastodon*."
    )
    [outcome] = [b for b in card["blocks"] if b.get("block_id") == BlockId.CARD_OUTCOME]
    assert outcome["text"]["text"] == (
        f":grey_question: Approved by <@U0OWNER> <!date^{int(DECIDED_AT.timestamp())}^{{date_short_pretty}} at"
        " {time}|2025-11-22 09:30 UTC> for X, Bluesky and Mastodon:"
    )
    assert "X answered 503" not in outcome["text"]["text"]  # said once, on X's line


def test_each_network_needing_a_person_has_its_own_buttons_naming_it() -> None:
    card = card_of(after_approval(Status.UNKNOWN), mixed())
    assert labelled(card) == [
        ("Mark as published on X", ActionId.MARK_PUBLISHED.value, "17:3:x"),
        ("Publish again on X", ActionId.PUBLISH_AGAIN.value, "17:3:x"),
        ("Cancel X", ActionId.CANCEL.value, "17:3:x"),
        ("Retry Mastodon", ActionId.RETRY.value, "17:3:mastodon"),
    ]
    # each network's buttons right under its line: Slack wants an action id once per actions block
    order = [b.get("block_id") for b in card["blocks"]]
    x_line, x_buttons = order.index(f"{BlockId.CARD_NETWORK}.x"), order.index(f"{BlockId.CARD_NETWORK_ACTIONS}.x")
    assert x_buttons == x_line + 1
    assert block_errors(card["blocks"]) == []
    assert_within_slack_limits(card)


def test_a_network_on_its_way_says_publishing_and_its_last_retryable_error() -> None:
    found = [
        delivery("x", Status.PUBLISHED, post_ids=["123"], post_url=X_LINK),
        delivery("mastodon", Status.APPROVED, last_error="Mastodon rate limit reached", attempts=1),
    ]
    card = card_of(after_approval(Status.APPROVED), found)
    lines = network_sections(card)
    assert lines["x"] == f":white_check_mark: *X*: published: <{X_LINK}|view on X>"
    assert lines["mastodon"] == (
        ":hourglass_flowing_sand: *Mastodon*: publishing…"
        "\nLast attempt: Mastodon rate limit reached. Retrying automatically."
    )
    assert not buttons(card)


def test_every_network_up_links_each_and_offers_delete_on_the_outcome() -> None:
    found = [
        delivery("x", Status.PUBLISHED, post_ids=["123"], post_url=X_LINK),
        delivery("bluesky", Status.PUBLISHED, post_ids=["at://d/c/3kabc cid"], post_url=BSKY_LINK),
        delivery("mastodon", Status.PUBLISHED, post_ids=["109"], post_url=MASTODON_LINK),
    ]
    card = card_of(after_approval(Status.PUBLISHED), found)
    assert list(network_sections(card).values()) == [
        f":white_check_mark: *X*: published: <{X_LINK}|view on X>",
        f":white_check_mark: *Bluesky*: published: <{BSKY_LINK}|view on Bluesky>",
        f":white_check_mark: *Mastodon*: published: <{MASTODON_LINK}|view on Mastodon>",
    ]
    [outcome] = [b for b in card["blocks"] if b.get("block_id") == BlockId.CARD_OUTCOME]
    assert outcome["accessory"]["action_id"] == ActionId.DELETE_FROM_X.value
    assert not buttons(card)


def test_a_network_marked_as_published_without_a_link_says_so() -> None:
    line = network_line(delivery("bluesky", Status.PUBLISHED, post_ids=None, post_url=None))
    assert line == ":white_check_mark: *Bluesky*: marked as published after a check on Bluesky"


def test_a_networks_uncertain_thread_part_is_named_on_that_network() -> None:
    parts = ["One.", "Two.", "Three."]
    line = network_line(delivery("bluesky", Status.UNKNOWN, final_parts=parts, post_ids=["a b"], last_error="500"))
    assert line.startswith(":grey_question: *Bluesky* didn't confirm part 2 of 3: 500.")
    assert "*Part 2 of 3 may or may not be on Bluesky* (part 1 is up)." in line
    assert "*Mark as published on Bluesky* if part 2 of 3 is there, *Publish again on Bluesky* if it isn't" in line
    assert "still looking" not in line  # no look booked


def test_errors_on_a_networks_line_are_escaped() -> None:
    line = network_line(delivery("mastodon", Status.FAILED, last_error="<!channel> & <https://e.vil|x>"))
    assert "&lt;!channel&gt; &amp; &lt;https://e.vil|x&gt;" in line and "<!channel>" not in line


def test_one_network_reads_as_it_always_did_from_its_one_delivery() -> None:
    approved = f"Approved by <@U0OWNER> {slack_date(DECIDED_AT)}"
    for status, fields, said in [
        (
            Status.UNKNOWN,
            {"last_error": "X answered 503"},
            f":grey_question: {approved}, but X didn't confirm the post: X answered 503. Check the account on X, then"
            " say what you found: *Mark as published* if the post is there, *Publish again* if it isn't.",
        ),
        (
            Status.FAILED,
            {"last_error": "X refused the keys (401)"},
            f":warning: {approved}, but publishing failed: X refused the keys (401). Fix the cause, then press Retry.",
        ),
        (
            Status.PUBLISHED,
            {"post_ids": ["123"], "post_url": X_LINK},
            f":white_check_mark: {approved} · published: <{X_LINK}|view on X>",
        ),
        (Status.APPROVED, {}, f":hourglass_flowing_sand: {approved} · publishing to X…"),
    ]:
        card = card_of(after_approval(status), [delivery("x", status, **fields)])
        [outcome] = [b for b in card["blocks"] if b.get("block_id") == BlockId.CARD_OUTCOME]
        assert network_sections(card) == {} and outcome["text"]["text"] == said


def test_a_scheduled_version_of_several_networks_reads_as_scheduled_not_per_network() -> None:
    at = datetime(2025, 11, 23, 9, 0, tzinfo=UTC)
    draft = after_approval(Status.APPROVED, publish_at=at)
    found = [delivery("x", Status.APPROVED), delivery("mastodon", Status.APPROVED)]
    timing = Timing(DECIDED_AT, ZoneInfo("UTC"))
    card = card_of(draft, found, timing=timing)
    assert network_sections(card) == {}
    assert card == approval_card(draft, make_post(draft.text), timing=timing)


@pytest.mark.parametrize("status", [Status.DELETING, Status.DELETED, Status.DELETE_FAILED])
def test_a_deletion_of_several_networks_keeps_its_one_line(status: Status) -> None:
    draft = after_approval(status, deleted_by="U0OWNER")
    found = [delivery("x", Status.PUBLISHED, post_url=X_LINK), delivery("mastodon", Status.PUBLISHED)]
    assert network_sections(card_of(draft, found)) == {}


def test_three_networks_with_long_errors_on_the_longest_thread_stay_within_slacks_limits() -> None:
    text = "\n---\n".join(f"Part {i}" for i in range(1, 26))
    parts = text.split("\n---\n")
    long = "<&>" * 2000
    found = [
        delivery(n, s, final_parts=parts, post_ids=["1"] * 3, last_error=long, next_attempt_at=NEXT_LOOK)
        for n, s in (("x", Status.UNKNOWN), ("bluesky", Status.UNKNOWN), ("mastodon", Status.FAILED))
    ]
    draft = make_draft(text, id=10**18 - 1, version=10**9 - 1, status=Status.UNKNOWN, decided_by="U0OWNER")
    card = approval_card(draft, make_post(text), deliveries=found)
    assert block_errors(card["blocks"]) == []
    assert_within_slack_limits(card)
    assert len(buttons(card)) == 7
