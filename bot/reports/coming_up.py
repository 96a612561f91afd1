""" "Coming up": the scheduled posts of the next days, soonest first, for `/countersign status|schedule`, the App
Home and the digest. Approvers get *Post now*, *Change time* and *Unschedule* beside each (the card's buttons).

Pure renderers over drafts read by `load`; times in the brand's zone, as on the card.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.approval.post_text import escape_mrkdwn
from bot.approval.refs import CardRef
from bot.intake.schedule_line import describe
from bot.slack.blocks import button, context, section
from bot.slack.schedule_blocks import SCHEDULED_BUTTONS
from storage import schedule
from storage.models import Draft
from storage.store import Store

WEEK = timedelta(days=7)
STATUS_SHOWN = 10  # in `/countersign status` and the App Home (3 blocks each)
SCHEDULE_SHOWN = 30  # `/countersign schedule`


def load(
    store: Store, now: datetime, *, within: timedelta = WEEK, limit: int = STATUS_SHOWN, brand: str = "default"
) -> list[Draft]:
    with store.read() as tx:
        return schedule.coming_up(tx.session, brand, now, now + within, limit=limit)


def line(draft: Draft, now: datetime, zone: ZoneInfo) -> str:
    when = describe(draft.publish_at, now, zone) if draft.publish_at else "when approved"
    return f"• {when}: #{draft.id} by <@{draft.writer_id}>: _{_excerpt(draft.text)}_"


def lines(drafts: list[Draft], now: datetime, zone: ZoneInfo, *, title: str) -> list[str]:
    if not drafts:
        return [f"*{title}*", "Nothing is scheduled."]
    return [f"*{title}*", *(line(d, now, zone) for d in drafts)]


def blocks(
    drafts: list[Draft], now: datetime, zone: ZoneInfo, *, title: str, is_approver: bool
) -> list[dict[str, Any]]:
    """A section per post; for approvers with the buttons to post it now, move it, or unschedule it."""
    out: list[dict[str, Any]] = [section(f"*{title}*")]
    if not drafts:
        out.append(context("Nothing is scheduled."))
    for draft in drafts:
        out.append(section(line(draft, now, zone)))
        if is_approver:
            ref = str(CardRef(draft.id or 0, draft.version))
            elements = [button(a, label, ref, style) for a, label, style in SCHEDULED_BUTTONS]
            out.append({"type": "actions", "block_id": f"coming_up.{draft.id}", "elements": elements})
    return out


def _excerpt(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return escape_mrkdwn(flat if len(flat) <= limit else flat[: limit - 1] + "…")
