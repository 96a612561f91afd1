"""The weekly digest: what went out in the owner's name, and how quickly they answered.

`build()` gathers one ISO week from our database (aggregates in SQL) plus engagement read from X;
`bot.jobs.digest_render` turns it into Block Kit or plain text; `bot.jobs.digest_send` posts it at most once per
brand and week, whichever instance or command gets there first.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.jobs.schedule import Week
from bot.networks.base import Account
from bot.networks.registry import by_network
from storage import deliveries, reports, schedule
from storage import media as stored_media
from storage.escalation_reports import escalation_waits
from storage.models import Draft, Status
from storage.store import Store
from storage.types import utcnow

log = logging.getLogger(__name__)
TREND_WEEKS = 4
SCHEDULED_SHOWN = 20


@dataclass(frozen=True)
class PublishedPost:
    draft_id: int
    url: str
    text: str
    writer_id: str
    metrics: dict[str, int] | None
    images: int = 0  # how many images the post carried


@dataclass(frozen=True)
class Reason:
    draft_id: int
    action: str
    actor_id: str
    text: str


@dataclass(frozen=True)
class Escalation:
    """How often backups had to be asked this week, and the median wait for a decision with and without them."""

    escalations: int
    median_with: timedelta | None
    median_without: timedelta | None


def _median(seconds: list[float]) -> timedelta | None:
    return timedelta(seconds=statistics.median(seconds)) if seconds else None


@dataclass(frozen=True)
class Digest:
    brand: str
    week: Week
    published: list[PublishedPost]
    engagement_available: bool
    counts: dict[str, int]
    decisions: int
    median_wait: timedelta | None
    p90_wait: timedelta | None
    slowest_pending: tuple[int, str, timedelta] | None  # draft id, writer id, age
    reasons: list[Reason]
    writers: list[tuple[str, str, int]]
    backlog: list[tuple[int, str, timedelta]]
    backlog_total: int
    trend: list[int] = field(default_factory=list)  # published per week, the 4 weeks before, oldest first
    # Scheduled for the week after the covered one (the week the digest goes out in), soonest first.
    scheduled: list[Draft] = field(default_factory=list)
    escalation: Escalation | None = None  # None: no draft was escalated and none decided after escalation

    @property
    def published_count(self) -> int:
        return len(self.published)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (no interpolation): the value a person could point at."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def engagement(
    store: Store, accounts: Account | Mapping[str, Account], drafts: Sequence[Draft]
) -> dict[int, dict[str, int]] | None:
    """Each draft's public counts, summed over the networks its version went to (each delivery's first post, read
    from that network's account, one call per network). None when a network won't say: the digest then says
    "engagement unavailable" rather than show a part of the truth as the whole."""
    named = by_network(accounts)
    with store.read() as tx:
        found = deliveries.of_drafts(tx.session, [d.id for d in drafts if d.id is not None])
    firsts: dict[str, dict[str, int]] = {}  # network -> first post id -> draft id
    for draft_id, delivered in found.items():
        for delivery in delivered:
            if delivery.status == Status.PUBLISHED and delivery.post_ids and delivery.network in named:
                firsts.setdefault(delivery.network, {})[delivery.post_ids[0]] = draft_id
    totals: dict[int, dict[str, int]] = {}
    for network, ids in firsts.items():
        counts = named[network].metrics(list(ids))
        if counts is None:
            return None
        for post_id, draft_id in ids.items():
            if post_id not in counts:  # deleted since, say: no counts for this network's post
                continue
            total = totals.setdefault(draft_id, {})
            for name, value in counts[post_id].items():
                total[name] = total.get(name, 0) + value
    return totals


def build(
    store: Store,
    account: Account | Mapping[str, Account] | None,
    week: Week,
    *,
    brand: str = "default",
    now: datetime | None = None,
) -> Digest:
    now = now or utcnow()
    start, end = week.start, week.end
    with store.read() as tx:
        session = tx.session
        drafts = reports.published_between(session, brand, start, end)
        images = stored_media.counts(session, drafts)
        actions = reports.action_counts(session, brand, start, end)
        decisions = reports.decisions_with_wait(session, brand, start, end)
        writers = reports.writer_counts(session, brand, start, end)
        pending = reports.oldest_pending(session, brand, limit=10)
        backlog_total = reports.counts_by_status(session, brand, [Status.PENDING]).get(Status.PENDING, 0)
        trend = [
            reports.count_published_between(session, brand, w.start, w.end)
            for w in (week.shift(-i) for i in range(TREND_WEEKS, 0, -1))
        ]
        submitted = reports.submitted_count(session, brand, start, end)
        escalated = escalation_waits(session, brand, start, end)
        upcoming = schedule.coming_up(session, brand, max(now, end), week.shift(1).end, limit=SCHEDULED_SHOWN)
    metrics = engagement(store, account, drafts) if account and drafts else {}
    waits = [(d["at"] - d["asked_at"]).total_seconds() for d in decisions if d["asked_at"] is not None]
    backlog = [(d.id or 0, d.writer_id, now - (d.pending_since or d.created_at)) for d in pending]
    return Digest(
        brand=brand,
        week=week,
        published=[
            PublishedPost(
                d.id or 0,
                d.post_url or "",
                d.text,
                d.writer_id,
                (metrics or {}).get(d.id or 0),
                images.get(d.id or 0, 0),
            )
            for d in drafts
        ],
        engagement_available=metrics is not None,
        counts={
            "submitted": submitted,
            "approved as is": actions.get("approved", 0),
            "edited by the owner": actions.get("edited", 0),
            "changes requested": actions.get("changes_requested", 0),
            "rejected": actions.get("rejected", 0),
            "withdrawn": actions.get("withdrawn", 0),
            "failed": actions.get("publish_failed", 0),
            "deleted from X": actions.get("deleted_from_x", 0),  # Delete from X finished this week (delivery/deleter)
        },
        decisions=len(decisions),
        median_wait=timedelta(seconds=statistics.median(waits)) if waits else None,
        p90_wait=timedelta(seconds=percentile(waits, 0.9)) if waits else None,
        slowest_pending=backlog[0] if backlog else None,
        reasons=[
            Reason(d["draft_id"], d["action"], d["actor_id"], d["detail"] or "")
            for d in decisions
            if d["action"] in ("changes_requested", "rejected")
        ],
        writers=writers,
        backlog=backlog,
        backlog_total=backlog_total,
        trend=trend,
        scheduled=upcoming,
        escalation=(
            Escalation(escalated.escalations, _median(escalated.with_escalation), _median(escalated.without_escalation))
            if escalated.escalations or escalated.with_escalation
            else None
        ),
    )
