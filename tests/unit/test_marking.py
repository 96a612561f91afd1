"""The link an approver pastes for a thread's uncertain part, and what the unknown card says about that part."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.approval.marking import post_id_from
from bot.approval.refs import CardRef
from bot.slack.blocks import part_link_modal, unknown_line
from bot.slack.ids import BlockId, CallbackId
from storage.models import Draft, Status


@pytest.mark.parametrize(
    ("link", "post_id"),
    [
        ("https://x.com/acmecoffee/status/1990000000008388608", "1990000000008388608"),
        ("https://x.com/acmecoffee/status/1990000000008388608?s=20", "1990000000008388608"),
        ("  <https://twitter.com/acme_coffee/status/123/photo/1>  ", "123"),
        ("mobile.twitter.com/acme/statuses/42", "42"),
        ("https://x.com/i/web/status/77", "77"),
        ("1990000000008388608", "1990000000008388608"),
    ],
)
def test_a_status_link_or_an_id_gives_the_post_id(link: str, post_id: str) -> None:
    assert post_id_from(link) == post_id


@pytest.mark.parametrize(
    "link",
    [
        "",
        "it's there",
        "https://x.com/acmecoffee",
        "https://example.com/acme/status/1",
        "https://x.com/a/status/",
        "0x12",
        "1" * 21,
        "https://x.com/acmecoffee/status/12 and more",
    ],
)
def test_anything_else_is_not_a_post_link(link: str) -> None:
    assert post_id_from(link) is None


def unknown(parts: int, up: int, next_look: bool = False) -> Draft:
    return Draft(
        channel="C1",
        ts="1.1",
        writer_id="U0WRITER",
        text="x",
        status=Status.UNKNOWN,
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
