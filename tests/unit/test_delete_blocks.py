"""What cards say about Delete from X: the button behind Slack's confirmation dialog, and each outcome line."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.sandbox.slack_blocks import block_errors
from bot.slack.blocks import approval_card, outcome_line
from bot.slack.delete_blocks import confirm_dialog
from bot.slack.ids import ActionId, BlockId
from storage.models import Delivery, Draft, Status
from tests.unit.delivery_rows import delivered
from tests.unit.test_blocks import make_draft, make_post

IDS = ["101", "102", "103"]
URL = "https://x.com/acme/status/101"
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
