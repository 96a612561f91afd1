"""`/countersign status` and `countersign status`: what is waiting, what went out, what needs a person.

Built from our database only. `StatusReport` is plain data; `render()` turns it into Slack mrkdwn and
`plain()` into terminal text, so the slash command and the CLI say the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.approval.post_text import escape_mrkdwn
from bot.jobs.schedule import Week
from bot.reports import per_network
from bot.runtime.settings import Settings
from bot.slack.blocks import card_link
from bot.slack.network_words import where
from storage import deletions, deliveries, reports
from storage.models import Card, Delivery, Draft, Status
from storage.store import Store
from storage.types import utcnow

QUEUE_SHOWN = 10
RECENT_SHOWN = 5
# The statuses `count_line` shows a count of (published and rejected are counted for this week only).
COUNTED = (Status.PENDING, Status.CHANGES_REQUESTED, Status.APPROVED, Status.PUBLISHING, Status.FAILED, Status.UNKNOWN)
COUNTED += (Status.DELETING, Status.DELETE_FAILED)  # Delete from X (bot/delivery/deleter.py)

NEXT_STEP = {
    Status.FAILED: "fix the cause, then press Retry on the card",
    Status.UNKNOWN: "check the account on X: the post may or may not be up",
    Status.DELETE_FAILED: "press Retry on the card to finish deleting it from X",
}


@dataclass(frozen=True)
class StatusReport:
    now: datetime
    week: Week
    counts: dict[str, int]
    published_this_week: int
    rejected_this_week: int
    queue: list[Draft]
    attention: list[Draft]
    recent: list[Draft]
    cards: dict[int, Card]
    paused: bool
    deleted_this_week: int = 0
    networks: str = "X"  # the brand's, as people read them: `X`, `Bluesky`, `X, Bluesky and Mastodon`
    # Each listed draft's deliveries (its current version's, one per network): what is up where, and why not.
    delivered: dict[int, list[Delivery]] = field(default_factory=dict)

    def of(self, draft: Draft) -> list[Delivery]:
        return self.delivered.get(draft.id or 0, [])


def build(
    store: Store,
    settings: Settings,
    *,
    brand: str = "default",
    viewer: str | None = None,
    now: datetime | None = None,
    zone: ZoneInfo | None = None,
    networks: Sequence[str] = ("x",),
) -> StatusReport:
    """`brand`'s drafts; its week in `zone` (the brand's time zone; default TIMEZONE); `networks`: the brand's."""
    now = now or utcnow()
    week = Week.of(now, zone or settings.timezone)
    with store.read() as tx:
        session = tx.session
        queue = reports.drafts_in(session, brand, [Status.PENDING], limit=QUEUE_SHOWN)
        attention = reports.drafts_in(
            session, brand, [Status.FAILED, Status.UNKNOWN, Status.DELETE_FAILED], limit=QUEUE_SHOWN, oldest_first=False
        )
        recent = reports.last_published(session, brand, RECENT_SHOWN)
        listed = [d.id for d in attention + recent if d.id is not None]
        return StatusReport(
            now=now,
            week=week,
            counts=reports.counts_by_status(session, brand, COUNTED),
            published_this_week=reports.count_published_between(session, brand, week.start, week.end),
            rejected_this_week=reports.count_in_status_since(session, brand, Status.REJECTED, week.start),
            queue=queue,
            attention=attention,
            recent=recent,
            cards=reports.first_card(session, [d.id for d in queue + attention if d.id], viewer),
            paused=reports.is_paused(session, brand),
            deleted_this_week=deletions.count_deleted_between(session, brand, week.start, week.end),
            delivered=deliveries.of_drafts(session, listed),
            networks=where((), networks),
        )


def age(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 3600:
        return f"{max(1, seconds // 60)} min"
    if seconds < 86400:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours} h {minutes:02d} min" if hours < 10 else f"{hours} h"
    return f"{seconds // 86400} d {seconds % 86400 // 3600} h"


def count_line(report: StatusReport) -> str:
    c = report.counts
    parts = [
        f"{c.get(Status.PENDING, 0)} pending",
        f"{c.get(Status.CHANGES_REQUESTED, 0)} changes requested",
        f"{c.get(Status.APPROVED, 0)} approved/scheduled",
        f"{c.get(Status.PUBLISHING, 0)} publishing",
        f"{report.published_this_week} published this week",
        f"{c.get(Status.FAILED, 0)} failed",
        f"{c.get(Status.UNKNOWN, 0)} unknown",
        f"{report.rejected_this_week} rejected this week",
        f"{report.deleted_this_week} deleted from {report.networks} this week",
    ]
    if c.get(Status.DELETING, 0) or c.get(Status.DELETE_FAILED, 0):
        parts.append(f"{c.get(Status.DELETING, 0)} being deleted, {c.get(Status.DELETE_FAILED, 0)} deletion stopped")
    return " · ".join(parts)


def render(report: StatusReport, team_url: str = "") -> str:
    """Slack mrkdwn for the ephemeral answer."""
    lines = [f"*Countersign status* · week {report.week}"]
    if report.paused:
        lines.append(
            ":double_vertical_bar: *Publishing is paused.* Approvals still queue; `/countersign resume` restarts."
        )
    lines.append(count_line(report))
    if report.queue:
        lines.append("*Waiting for approval, oldest first*")
        for draft in report.queue:
            link = card_link(team_url, report.cards.get(draft.id or 0))
            ref = f"<{link}|#{draft.id}>" if link else f"#{draft.id}"
            waited = age(report.now - (draft.pending_since or draft.created_at))
            lines.append(f"• {ref} by <@{draft.writer_id}>, waiting {waited}: _{_excerpt(draft.text)}_")
        more = report.counts.get(Status.PENDING, 0) - len(report.queue)
        if more > 0:
            lines.append(f"…and {more} more")
    else:
        lines.append("Nothing is waiting for approval.")
    if report.attention:
        lines.append("*Needs a person*")
        for draft in report.attention:
            link = card_link(team_url, report.cards.get(draft.id or 0))
            ref = f"<{link}|#{draft.id}>" if link else f"#{draft.id}"
            lines.append(f"• {ref} {draft.status}: {_what(report.of(draft))} → {NEXT_STEP[Status(draft.status)]}")
    if report.recent:
        lines.append("*Last published*")
        lines += [_recent(d, report.of(d)) for d in report.recent]
    return "\n".join(lines)


def plain(report: StatusReport) -> str:
    """The same report for a terminal."""
    lines = [f"Countersign status, week {report.week}"]
    if report.paused:
        lines.append("Publishing is PAUSED (approvals still queue).")
    lines.append(count_line(report))
    lines.append("Waiting for approval, oldest first:" if report.queue else "Nothing is waiting for approval.")
    for draft in report.queue:
        waited = age(report.now - (draft.pending_since or draft.created_at))
        who = draft.writer_name or draft.writer_id
        lines.append(f"  #{draft.id} by {who}, waiting {waited}: {_excerpt(draft.text, escape=False)}")
    for draft in report.attention:
        what = _what(report.of(draft), mrkdwn=False)
        lines.append(f"  #{draft.id} {draft.status}: {what} -> {NEXT_STEP[Status(draft.status)]}")
    if report.recent:
        lines.append("Last published:")
        for d in report.recent:
            delivered = report.of(d)
            up = delivered[0].post_url if len(delivered) == 1 else per_network.brief(delivered, mrkdwn=False)
            lines.append(f"  #{d.id} {up}")
    return "\n".join(lines)


def _what(delivered: list[Delivery], *, mrkdwn: bool = True) -> str:
    """What went wrong: the one network's error as it was always shown; of several networks, each one's facts."""
    if len(delivered) > 1:
        return per_network.brief(delivered, mrkdwn=mrkdwn)
    error = (delivered[0].last_error or "") if delivered else ""
    return escape_mrkdwn(error) if mrkdwn else error


def _recent(draft: Draft, delivered: list[Delivery]) -> str:
    """`• <link|#12> excerpt`; of a draft on several networks, each network's link where it is up."""
    if len(delivered) == 1:
        return f"• <{delivered[0].post_url}|#{draft.id}> {_excerpt(draft.text)}"
    up = [d for d in delivered if per_network.is_up(d)]
    return f"• #{draft.id} {_excerpt(draft.text)} · " + " · ".join(per_network.link(d) for d in up)


def _excerpt(text: str, limit: int = 60, *, escape: bool = True) -> str:
    flat = " ".join(text.split())
    short = flat if len(flat) <= limit else flat[: limit - 1] + "…"
    return escape_mrkdwn(short) if escape else short
