"""A pending card's progress under APPROVAL_RULE: pure text and blocks from `bot.approval.approving.Standing`."""

from __future__ import annotations

from typing import Any

from bot.approval.approving import Standing
from bot.slack.ids import ActionId, BlockId
from bot.slack.replies import waiting_for

Block = dict[str, Any]
YES_ACTIONS = frozenset({ActionId.APPROVE, ActionId.APPROVE_NOW})  # gone for whoever already said yes


def progress_line(standing: Standing) -> str:
    """`1 of 2: ✓ <@U0OLIVIA> · waiting for <@U0SAM>`, and `· you approved this version` on the approver's card."""
    progress = standing.progress
    done = " ".join(f"✓ <@{a}>" for a in progress.counted) or "no approvals yet"
    line = f"{len(progress.counted)} of {progress.needed}: {done}"
    if progress.still_needed:
        line += f" · {waiting_for(progress.still_needed, list(progress.waiting))}"
    if standing.viewer_said_yes:
        line += " · *you approved this version*"
    return line


def progress_blocks(standing: Standing) -> list[Block]:
    """The progress line; when more yeses are needed after this approver's, what the attribution will say."""
    lines = [progress_line(standing)]
    if standing.more_after_viewer:
        lines.append("The attribution will name everyone who approves, in the order they do.")
    return [{"type": "context", "block_id": BlockId.CARD_PROGRESS, "elements": [_mrkdwn(t) for t in lines]}]


def _mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}
