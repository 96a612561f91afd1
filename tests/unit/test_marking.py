"""The link an approver pastes for a thread's uncertain part, and what the unknown card says about that part."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from bot.approval.marking import within
from bot.approval.refs import CardRef
from bot.networks.base import Network
from bot.slack.blocks import part_link_modal, unknown_line
from bot.slack.ids import BlockId, CallbackId
from bot.slack.replies import part_link_refused
from storage.models import Delivery, Status
from tests.unit.delivery_rows import delivery


def unknown(parts: int, up: int, next_look: bool = False) -> Delivery:
    return delivery(
        "x",
        Status.UNKNOWN,
        final_parts=[f"part {i}" for i in range(parts)],
        post_ids=[str(i) for i in range(up)],
        last_error="X answered 500",
        next_attempt_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC) if next_look else None,
    )


def test_the_unknown_card_names_the_uncertain_part_and_what_is_up() -> None:
    assert "*Part 2 of 3 may or may not be on X* (part 1 is up)." in unknown_line(unknown(3, 1), "<@U1>", "")
    assert "*Part 3 of 3 may or may not be on X* (parts 1 to 2 are up)." in unknown_line(unknown(3, 2), "<@U1>", "")
    assert "*Part 1 of 3 may or may not be on X*." in unknown_line(unknown(3, 0), "<@U1>", "")
    single = unknown_line(unknown(1, 0), "<@U1>", "")
    assert "didn't confirm the post: X answered 500." in single and "Part" not in single
    assert "still looking" not in single and "still looking" in unknown_line(unknown(1, 0, True), "<@U1>", "")


def test_the_part_link_form_asks_for_that_part_and_names_the_rest() -> None:
    modal = part_link_modal(CardRef(7, 2), 2, 4)
    assert modal["callback_id"] == CallbackId.MARK_PART and modal["private_metadata"] == "7:2"
    assert modal["blocks"][0]["block_id"] == BlockId.PART_LINK
    assert modal["blocks"][0]["label"]["text"] == "Link to part 2 of 4 on X"
    assert "parts 3 to 4 go out as replies" in modal["blocks"][1]["elements"][0]["text"]
    assert "part 3 goes out" in part_link_modal(CardRef(7, 2), 2, 3)["blocks"][1]["elements"][0]["text"]


def test_the_part_link_form_of_one_network_names_it_and_keeps_it_in_the_ref() -> None:
    modal = part_link_modal(CardRef(7, 2, Network.BLUESKY), 2, 3, "bluesky")
    assert modal["private_metadata"] == "7:2:bluesky"  # the submission settles Bluesky's part, read by its account
    assert modal["blocks"][0]["label"]["text"] == "Link to part 2 of 3 on Bluesky"
    assert "https://bsky.app/profile/…/post/…" in modal["blocks"][0]["hint"]["text"]
    assert part_link_modal(CardRef(7, 2), 2, 3)["blocks"][0]["hint"]["text"] == (
        "Copy it from the post on X (Share → Copy link), e.g. https://x.com/…/status/…"
    )


def test_a_link_that_gave_no_post_is_refused_in_the_networks_words() -> None:
    assert part_link_refused("x") == (
        "That isn't a link to a post on X. Copy it from the post (Share → Copy link): https://x.com/…/status/…"
    )
    assert "a post of this account on Mastodon" in part_link_refused("mastodon")
    assert part_link_refused("bluesky", "Bluesky answered 502") == (
        "Bluesky couldn't be asked about that post just now (Bluesky answered 502). Try again in a moment."
    )


def test_a_link_read_answers_in_time_or_says_it_ran_out() -> None:
    assert within(1.0, str.upper, "abc") == "ABC"
    with pytest.raises(ValueError):
        within(1.0, int, "not a number")  # the account's own error, for its diagnose()
    release = threading.Event()
    with pytest.raises(TimeoutError):
        within(0.05, lambda _: release.wait(5), "slow")
    release.set()
