"""What cards say about Delete from X: the button behind Slack's confirmation dialog, and each outcome line."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.sandbox.slack_blocks import block_errors
from bot.slack.blocks import approval_card, outcome_line
from bot.slack.delete_blocks import confirm_dialog
from bot.slack.ids import ActionId, BlockId
from storage.models import Delivery, Draft, Status
from tests.unit.delivery_rows import delivered, delivery
from tests.unit.test_blocks import make_draft, make_post

IDS = ["101", "102", "103"]
URL = "https://x.com/acme/status/101"
BSKY = "https://bsky.app/profile/acme.bsky.social/post/3kabc"
MASTODON = "https://social.example.com/@acme/109"
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def published(**fields: Any) -> Draft:
    values = {"status": Status.PUBLISHED, "decided_by": "U0OWNER", "decided_at": AT, "final_parts": ["a", "b", "c"]}
    return make_draft(**(values | fields))


def up(draft: Draft, network: str = "x", **fields: Any) -> list[Delivery]:
    """The draft's one delivery (X's): its three parts up at IDS (URL the first's), with `fields` (deleted ids…)."""
    return delivered(draft, network, **({"post_ids": IDS, "post_url": URL} | fields))


def outcome_block(draft: Draft, **sent: Any) -> dict[str, Any]:
    card = approval_card(draft, make_post("a\n---\nb\n---\nc"), deliveries=up(draft, **sent))
    assert block_errors(card["blocks"]) == []  # the sandbox checks Slack's limits, confirm dialog included
    return next(b for b in card["blocks"] if b.get("block_id") == BlockId.CARD_OUTCOME)


def test_a_published_card_has_delete_from_x_beside_the_outcome_behind_a_red_confirmation() -> None:
    button = outcome_block(published())["accessory"]
    assert (button["action_id"], button["value"], button["style"]) == (ActionId.DELETE_FROM_X, "17:3", "danger")
    confirm = button["confirm"]
    assert confirm == confirm_dialog(3)
    assert confirm["style"] == "danger" and confirm["deny"]["text"] == "Keep it"
    assert "all 3 posts of this thread" in confirm["text"]["text"]
    assert len(confirm["title"]["text"]) <= 100 and len(confirm["text"]["text"]) <= 300
    assert all(len(confirm[k]["text"]) <= 30 for k in ("confirm", "deny"))


def test_one_post_is_named_so_in_the_dialog() -> None:
    assert "This deletes this post from X" in confirm_dialog(1)["text"]["text"]


def test_no_delete_button_without_post_ids_or_before_publishing() -> None:
    assert "accessory" not in outcome_block(published(), post_ids=None)
    assert "accessory" not in outcome_block(published(status=Status.APPROVED))
    deleted = published(status=Status.DELETED)
    assert outcome_block(deleted, deleted_ids=IDS, deleted_at=AT)["accessory"]["action_id"] == (
        ActionId.ADD_DELETE_REASON  # never Delete twice
    )
    deleted.delete_reason = "Wrong day"
    assert "accessory" not in outcome_block(deleted, deleted_ids=IDS, deleted_at=AT)  # nothing left to press


def test_deleting_shows_who_asked_and_progress() -> None:
    draft = published(status=Status.DELETING, deleted_by="U0OWNER2")
    line = outcome_line(draft, up(draft, deleted_ids=["103"]))
    assert "deleting from X, asked by <@U0OWNER2> (1 of 3 gone)" in line


def test_deleted_says_by_whom_when_and_why() -> None:
    draft = published(status=Status.DELETED, deleted_by="U0OWNER2", delete_reason="a <typo>")
    line = outcome_line(draft, up(draft, deleted_ids=IDS, deleted_at=AT))
    assert line.startswith(":wastebasket: Approved by <@U0OWNER>")
    assert f"deleted from X by <@U0OWNER2> <!date^{int(AT.timestamp())}^" in line and "_a &lt;typo&gt;_" in line


def test_a_stopped_deletion_names_the_parts_still_on_x_with_links_and_offers_retry() -> None:
    draft = published(status=Status.DELETE_FAILED, deleted_by="U0OWNER")
    block = outcome_block(draft, deleted_ids=["103"], last_error="X answered 500")
    text = block["text"]["text"]
    assert "stopped: X answered 500." in text
    assert (
        "*Still on X: part 1 (<https://x.com/acme/status/101|view>), 2 (<https://x.com/acme/status/102|view>)" in text
    )
    assert "of 3.*" in text and "Deleted: part 3." in text
    assert block["accessory"]["action_id"] == ActionId.RETRY_DELETE and "confirm" not in block["accessory"]


def test_a_deletion_stopped_on_one_network_of_three_names_what_is_still_up_there_not_the_first_networks_parts() -> None:
    """X and Mastodon took their posts down, Bluesky refused: the one line says Bluesky's post is still up (the
    first network's parts, all gone, would say nothing is), and that the others are gone."""
    draft = published(status=Status.DELETE_FAILED, deleted_by="U0OWNER", final_parts=["a"])
    found = [
        delivery("x", Status.DELETED, post_ids=["101"], post_url=URL, deleted_ids=["101"], deleted_at=AT),
        delivery("bluesky", Status.DELETE_FAILED, post_ids=["b1"], post_url=BSKY, last_error="Bluesky answered 500"),
        delivery("mastodon", Status.DELETED, post_ids=["109"], post_url=MASTODON, deleted_ids=["109"], deleted_at=AT),
    ]
    line = outcome_line(draft, found, where="X, Bluesky and Mastodon")
    assert line.endswith(
        "· deleting from X, Bluesky and Mastodon (asked by <@U0OWNER>) stopped: Bluesky answered 500."
        " *Still on Bluesky: part 1 (b1).* Deleted from X and Mastodon. Press Retry to finish."
    )


def test_a_deletion_of_several_networks_counts_every_networks_parts() -> None:
    draft = published(status=Status.DELETING, deleted_by="U0OWNER2")
    found = [
        delivery("x", Status.DELETED, post_ids=IDS, deleted_ids=IDS, deleted_at=AT),
        delivery("mastodon", Status.DELETING, post_ids=["7", "8", "9"], deleted_ids=["9"]),
    ]
    assert "deleting from X and Mastodon, asked by <@U0OWNER2> (4 of 6 gone)…" in outcome_line(
        draft, found, where="X and Mastodon"
    )
