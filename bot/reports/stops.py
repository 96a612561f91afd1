"""Everything that stopped a post, with who, when and why: the "Stops" section of `/countersign show <id>`.

Built from the audit trail (append-only, so a later move never rewrites why an earlier one happened): reject and
request changes carry the reason the form asked for; Undo and Delete from X act first and take an optional reason
after, as a row of its own; Cancel (after X didn't confirm a post) carries the situation it was pressed in.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.approval.post_text import escape_mrkdwn
from bot.slack.block_kit import slack_date
from storage.models import AuditEvent

LABELS = {
    "rejected": "Rejected",
    "changes_requested": "Changes requested",
    "cancelled": "Cancelled",
    "undone": "Undone",  # its detail: whose approval, and how long before the window closed
    "undo_reason": "Reason for Undo, added",  # asked after the Undo took effect (bot.approval.undo)
    "delete_requested": "Delete from X",
    "delete_reason_added": "Reason for Delete from X, added",
}
NO_REASON = "no reason given"


def label(action: str) -> str | None:
    """The words for a stop, or None if `action` stops nothing."""
    return LABELS.get(action)


def lines(trail: Iterable[AuditEvent]) -> list[str]:
    """One line per stop, oldest first: `• <date> Rejected by <@U>: the reason`."""
    out = []
    for event in trail:
        words = label(event.action)
        if words is None:
            continue
        why = escape_mrkdwn(event.detail) if event.detail else f"_{NO_REASON}_"
        out.append(f"• {slack_date(event.at)} {words} by <@{event.actor_id}>: {why}")
    return out
