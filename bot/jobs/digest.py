"""The weekly digest: what went out in the owner's name, and how quickly they answered.

`build()` gathers one ISO week from our database (aggregates in SQL) plus engagement read from each network, per
post: a draft's version went to each of its brand's networks as its own delivery, with its own link, time and counts;
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
from bot.slack.network_words import where
from storage import deliveries, reports, schedule
from storage import media as stored_media
from storage.escalation_reports import escalation_waits
from storage.models import Delivery, Draft, Status
from storage.store import Store
from storage.types import utcnow

log = logging.getLogger(__name__)
TREND_WEEKS = 4
SCHEDULED_SHOWN = 20


@dataclass(frozen=True)
class NetworkPost:
    """One network's post of a draft that went out in the week, with that post's own counts (never another
    network's added in: a like on Bluesky is not a like on X)."""

    network: str
    url: str
    metrics: dict[str, int] | None  # None: no counts for this post (deleted since, say)
    available: bool = True  # False: its network wouldn't say this time


@dataclass(frozen=True)
class PublishedPost:
    """A draft that went out in the week: each network's post that went out then, and the networks its version
    is not up on (`Mastodon failed`), so a half-published draft says so."""

    draft_id: int
    text: str
    writer_id: str
    posts: list[NetworkPost]
    images: int = 0  # how many images the post carried
    not_up: list[Delivery] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.posts[0].url if self.posts else ""


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


def networks_of(accounts: Account | Mapping[str, Account] | None) -> str:
    """The brand's networks as people read them (`X`, `X and Bluesky`): X's alone for a digest given no account."""
    return where((), list(by_network(accounts)) if accounts is not None else ())


def engagement(
    accounts: Account | Mapping[str, Account], went: Sequence[Delivery]
) -> tuple[dict[int, dict[str, int]], set[str]]:
    """Each delivery's public counts (of its first post), read from its network's account, one call per network;
    and the networks that wouldn't say, whose posts the digest then marks "engagement unavailable" rather than
    show a part of the truth as the whole."""
    named = by_network(accounts)
    firsts: dict[str, dict[str, int]] = {}  # network -> first post id -> delivery id
    for delivery in went:
        if delivery.post_ids and delivery.network in named and delivery.id is not None:
            firsts.setdefault(delivery.network, {})[delivery.post_ids[0]] = delivery.id
    found: dict[int, dict[str, int]] = {}
    silent: set[str] = set()
    for network, ids in firsts.items():
        counts = named[network].metrics(list(ids))
        if counts is None:
            silent.add(network)
            continue
        found |= {delivery_id: dict(counts[post_id]) for post_id, delivery_id in ids.items() if post_id in counts}
    return found, silent


def _went_out(delivered: Sequence[Delivery], start: datetime, end: datetime) -> list[Delivery]:
    """The deliveries whose post went out in [start, end) and is still up."""
    return [
        d
        for d in delivered
        if d.status == Status.PUBLISHED and d.published_at is not None and start <= d.published_at < end
    ]


def _published(
    drafts: Sequence[Draft],
    delivered: Mapping[int, list[Delivery]],
    week: Week,
    accounts: Account | Mapping[str, Account] | None,
    images: Mapping[int, int],
) -> tuple[list[PublishedPost], bool]:
    """Each draft that went out in the week with its networks' posts of the week and their counts; and whether
    every network said its counts."""
    went = {d.id or 0: _went_out(delivered.get(d.id or 0, []), week.start, week.end) for d in drafts}
    every = [delivery for posts in went.values() for delivery in posts]
    metrics, silent = engagement(accounts, every) if accounts and every else ({}, set())
    out = []
    for draft in drafts:
        key = draft.id or 0
        posts = [
            NetworkPost(d.network, d.post_url or "", metrics.get(d.id or 0), d.network not in silent) for d in went[key]
        ]
        not_up = [d for d in delivered.get(key, []) if d.status != Status.PUBLISHED]
        out.append(PublishedPost(key, draft.text, draft.writer_id, posts, images.get(key, 0), not_up))
    return out, not silent


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
        delivered = deliveries.of_drafts(session, [d.id for d in drafts if d.id is not None])
    published, available = _published(drafts, delivered, week, account, images)
    waits = [(d["at"] - d["asked_at"]).total_seconds() for d in decisions if d["asked_at"] is not None]
    backlog = [(d.id or 0, d.writer_id, now - (d.pending_since or d.created_at)) for d in pending]
    return Digest(
        brand=brand,
        week=week,
        published=published,
        engagement_available=available,
        counts={
            "submitted": submitted,
            "approved as is": actions.get("approved", 0),
            "edited by the owner": actions.get("edited", 0),
            "changes requested": actions.get("changes_requested", 0),
            "rejected": actions.get("rejected", 0),
            "withdrawn": actions.get("withdrawn", 0),
            "failed": actions.get("publish_failed", 0),
            # Delete finished this week (bot/delivery/deleter), named for the brand's networks (`deleted from X`)
            f"deleted from {networks_of(account)}": actions.get("deleted_from_x", 0),
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
