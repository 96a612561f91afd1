"""A pending card's progress under APPROVAL_RULE (bot.slack.approval_blocks, and approval_card with a standing)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.approval.approval_rule import ALL, Rule, progress
from bot.approval.approving import Standing
from bot.slack.approval_blocks import progress_line
from bot.slack.blocks import approval_card
from bot.slack.ids import ActionId, BlockId
from bot.slack.schedule_blocks import Timing
from tests.unit.test_blocks import make_draft, make_post

LISTED = ("U0OLIVIA", "U0SAM")


def standing(rule: Rule, yeses: list[str], viewer: str | None, listed: tuple[str, ...] = LISTED) -> Standing:
    step = progress(rule, listed, yeses, writer="U0WENDY")
    said = viewer in step.counted
    return Standing(step, said, max(0, step.still_needed - (0 if said else 1)))


def action_ids(card: dict) -> list[str]:
    return [e["action_id"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]


def block(card: dict, block_id: str) -> dict | None:
    return next((b for b in card["blocks"] if b.get("block_id") == block_id), None)


def test_the_line_says_who_approved_and_who_is_waiting() -> None:
    assert progress_line(standing(Rule(ALL), ["U0OLIVIA"], "U0SAM")) == "1 of 2: ✓ <@U0OLIVIA> · waiting for <@U0SAM>"
    mine = progress_line(standing(Rule(ALL), ["U0OLIVIA"], "U0OLIVIA"))
    assert mine == "1 of 2: ✓ <@U0OLIVIA> · waiting for <@U0SAM> · *you approved this version*"
    assert (
        progress_line(standing(Rule(ALL), [], None))
        == "0 of 2: no approvals yet · waiting for <@U0OLIVIA> and <@U0SAM>"
    )
    three = standing(Rule("count", 2), ["U0SAM"], None, ("U0OLIVIA", "U0SAM", "U0TARA"))
    assert progress_line(three) == "1 of 2: ✓ <@U0SAM> · waiting for 1 more of <@U0OLIVIA>, <@U0TARA>"


def test_the_approver_who_said_yes_has_no_approve_but_may_still_stop_it() -> None:
    draft = make_draft(publish_at=datetime(2030, 1, 4, 9, tzinfo=UTC))
    timing = Timing(datetime(2030, 1, 1, tzinfo=UTC), ZoneInfo("UTC"))
    card = approval_card(
        draft, make_post(draft.text), timing=timing, standing=standing(Rule(ALL), ["U0OLIVIA"], "U0OLIVIA")
    )
    assert action_ids(card) == [ActionId.EDIT, ActionId.REQUEST_CHANGES, ActionId.REJECT]
    time_block = block(card, BlockId.CARD_TIME)
    assert time_block is not None and "accessory" not in time_block  # Change time approves: gone too
    other = approval_card(
        draft, make_post(draft.text), timing=timing, standing=standing(Rule(ALL), ["U0OLIVIA"], "U0SAM")
    )
    assert action_ids(other)[:2] == [ActionId.APPROVE, ActionId.APPROVE_NOW]


def test_the_card_says_the_attribution_will_name_everyone_when_more_are_needed_after_this_one() -> None:
    draft = make_draft()
    first = approval_card(draft, make_post(draft.text), standing=standing(Rule(ALL), [], "U0OLIVIA"))
    progress_block = block(first, BlockId.CARD_PROGRESS)
    assert progress_block is not None
    texts = [e["text"] for e in progress_block["elements"]]
    assert texts[1] == "The attribution will name everyone who approves, in the order they do."
    last = approval_card(draft, make_post(draft.text), standing=standing(Rule(ALL), ["U0OLIVIA"], "U0SAM"))
    last_block = block(last, BlockId.CARD_PROGRESS)
    assert last_block is not None and len(last_block["elements"]) == 1  # Sam's yes completes it


def test_without_a_standing_the_card_is_as_before() -> None:
    draft = make_draft()
    assert approval_card(draft, make_post(draft.text), standing=None) == approval_card(draft, make_post(draft.text))
    assert block(approval_card(draft, make_post(draft.text)), BlockId.CARD_PROGRESS) is None
