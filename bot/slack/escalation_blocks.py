"""The line on a backup approver's card that says why they were asked: pure builders, unit-tested."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.approval.post_text import escape_mrkdwn
from bot.intake.schedule_line import describe
from bot.slack.blocks import context
from bot.slack.ids import BlockId


def span(delta: timedelta) -> str:
    """`8 h`, `3 h 30 min`, `45 min`, `2 d 4 h`: how long the approvers have been silent, as a person says it."""
    minutes = max(1, int(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def _names(names: Sequence[str]) -> str:
    shown = [escape_mrkdwn(n) for n in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def why_line(
    waiting: Sequence[str], waited: timedelta, *, publish_at: datetime | None = None, now: datetime, zone: Any
) -> str:
    """`Olivia Owner hasn't answered in 8 h`, and for a draft with a time, when it is due to go out."""
    lead = ":arrow_double_up: Sent to you as a backup approver:"
    if waiting:
        verb = "hasn't" if len(waiting) == 1 else "haven't"
        line = f"{lead} {_names(waiting)} {verb} answered in {span(waited)}"
    else:
        line = f"{lead} no decision in {span(waited)}"
    if publish_at is not None:
        line += f", and it is proposed to go out {describe(publish_at, now, zone)}"
    return line + "."


def escalated_line(backups: Sequence[str], waited: timedelta) -> str:
    """On the approvers' own cards once the backups were asked: `… also sent to Bea Backup (no decision in 8 h)`.
    Empty when nobody was (the writer is the only backup)."""
    if not backups:
        return ""
    return f":arrow_double_up: No decision in {span(waited)}: also sent to {_names(backups)}, who may decide on it now."


def with_why(card: dict[str, Any], line: str) -> dict[str, Any]:
    """`card` (from `bot.slack.blocks.approval_card`) with the why-line under its header."""
    blocks = list(card["blocks"])
    blocks.insert(1, context(line, BlockId.CARD_ESCALATION))
    return {**card, "blocks": blocks}
