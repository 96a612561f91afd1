"""The digest as Block Kit (for the channel) and as plain text (for the terminal).

Long weeks are summarised — the first items of each list and how many more — never cut mid-item, and
the message stays well inside Slack's 50 blocks and 3,000 characters per section.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.approval.post_text import escape_mrkdwn
from bot.jobs.digest import Digest, PublishedPost
from bot.networks.base import title_of
from bot.reports import per_network
from bot.reports.status import age
from bot.slack.block_kit import SECTION_LIMIT
from bot.slack.blocks import context, section
from bot.slack.media_blocks import count_label

LIST_SHOWN = 8
METRICS = (
    ("like_count", "likes"),
    ("retweet_count", "reposts"),
    ("reply_count", "replies"),
    ("impression_count", "impressions"),
)


def wait(delta: timedelta | None) -> str:
    return age(delta) if delta is not None else "—"


def escalation_line(digest: Digest) -> str:
    """`Escalated to backups: 2 drafts · median to a decision 9 h with escalation, 1 h 30 min without`."""
    e = digest.escalation
    if e is None:
        return ""
    drafts = "1 draft" if e.escalations == 1 else f"{e.escalations} drafts"
    return (
        f"Escalated to backups: {drafts} · median to a decision {wait(e.median_with)} with escalation, "
        f"{wait(e.median_without)} without"
    )


def engagement(metrics: dict[str, int] | None, available: bool, *, only_counted: bool = False) -> str:
    """`5 likes · 2 reposts · 1 replies · 100 impressions`. `only_counted`: just the counts the network gave (Bluesky
    and Mastodon count no impressions; a 0 would be made up)."""
    if not available:
        return "engagement unavailable"
    if metrics is None:
        return "no engagement data"
    shown = [(key, label) for key, label in METRICS if not only_counted or key in metrics]
    return " · ".join(f"{metrics.get(key, 0):,} {label}" for key, label in shown)


def published_line(post: PublishedPost, *, mrkdwn: bool = True) -> str:
    """One draft that went out: `<link|#12> excerpt — counts`, as it always was for a draft of one network; of
    several, each network's post and its own counts, then the networks it is not up on: `#12 excerpt —
    <link|X>: 5 likes · … ; <link|Bluesky>: 7 likes · … ; Mastodon failed: why`."""
    if len(post.posts) == 1 and not post.not_up:
        [only] = post.posts
        if not mrkdwn:
            return f"#{post.draft_id} {only.url} - {engagement(only.metrics, only.available)}"
        return (
            f"<{only.url}|#{post.draft_id}> {_excerpt(post.text)}{count_label(post.images)} — "
            f"{engagement(only.metrics, only.available)}"
        )
    each = [
        f"{f'<{p.url}|{title_of(p.network)}>' if mrkdwn else f'{title_of(p.network)} {p.url}'}: "
        f"{engagement(p.metrics, p.available, only_counted=True)}"
        for p in post.posts
    ]
    each += [per_network.not_up(d, mrkdwn=mrkdwn) for d in post.not_up]
    if not mrkdwn:
        return f"#{post.draft_id} - " + " ; ".join(each)
    return f"#{post.draft_id} {_excerpt(post.text)}{count_label(post.images)} — " + " ; ".join(each)


def trend_line(digest: Digest) -> str:
    if not digest.trend:
        return ""
    average = sum(digest.trend) / len(digest.trend)
    now = digest.published_count
    arrow = "↑" if now > average else "↓" if now < average else "→"
    weeks = ", ".join(str(n) for n in digest.trend)
    weeks_before = len(digest.trend)
    return f"Trend {arrow}: {now} published this week vs {average:.1f}/week over the previous {weeks_before} ({weeks})."


def _excerpt(text: str, limit: int = 70) -> str:
    flat = " ".join(text.split())
    return escape_mrkdwn(flat if len(flat) <= limit else flat[: limit - 1] + "…")


def _bullets(items: list[str], total: int, noun: str) -> str:
    lines = [f"• {item}" for item in items[:LIST_SHOWN]]
    if total > LIST_SHOWN:
        lines.append(f"…and {total - LIST_SHOWN} more {noun}")
    return "\n".join(lines)


def packed(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """`text` in as few sections as fit Slack's limit, split between lines: a draft of three networks, each with
    its link and counts, makes a long line, and eight of them overflow one section; none is cut mid-item."""
    parts: list[str] = []
    for line in text.split("\n"):
        if parts and len(parts[-1]) + 1 + len(line) <= limit:
            parts[-1] += "\n" + line
        else:
            parts.append(line)
    return parts


def blocks(digest: Digest) -> dict[str, Any]:
    week = digest.week
    first, last = week.start.astimezone(week.zone), (week.end - timedelta(seconds=1)).astimezone(week.zone)
    header = f"*Weekly digest · {week.key}* ({first:%a %d %b} to {last:%a %d %b}, {week.zone.key})"
    out = [section(header)]
    published = [published_line(p) for p in digest.published]
    out += [
        section(part)
        for part in packed(
            f"*Published in your name: {digest.published_count}*\n"
            + (_bullets(published, len(published), "posts") or "Nothing was published.")
        )
    ]
    counts = " · ".join(f"{n} {label}" for label, n in digest.counts.items())
    out.append(section(f"*Drafts*\n{counts}"))
    speed = (
        f"*Your response time* over {digest.decisions} decisions: median {wait(digest.median_wait)}, "
        f"90th percentile {wait(digest.p90_wait)}"
    )
    if digest.slowest_pending:
        draft_id, writer, waited = digest.slowest_pending
        speed += f"\nSlowest still pending: #{draft_id} by <@{writer}>, waiting {age(waited)}"
    if line := escalation_line(digest):
        speed += f"\n{line}"
    out.append(section(speed))
    if digest.reasons:
        reasons = [
            f"#{r.draft_id} {'changes requested' if r.action == 'changes_requested' else 'rejected'} "
            f"by <@{r.actor_id}>: _{_excerpt(r.text, 120)}_"
            for r in digest.reasons
        ]
        out.append(section("*Reasons you gave*\n" + _bullets(reasons, len(reasons), "reasons")))
    if digest.writers:
        writers = [f"<@{w}>: {n}" for w, _, n in digest.writers]
        out.append(section("*Drafts per writer*\n" + _bullets(writers, len(writers), "writers")))
    backlog = [f"#{i} by <@{w}>, waiting {age(a)}" for i, w, a in digest.backlog]
    out.append(
        section(
            f"*Still waiting for you: {digest.backlog_total}*\n"
            + (_bullets(backlog, digest.backlog_total, "drafts") or "Nothing — the queue is empty.")
        )
    )
    if line := trend_line(digest):
        out.append(context(line))
    out.append(section(f"*Scheduled for next week: {len(digest.scheduled)}*\n" + scheduled(digest, mrkdwn=True)))
    fallback = f"Weekly digest {week.key}: {digest.published_count} published, {digest.backlog_total} waiting"
    return {"text": fallback, "blocks": out}


def plain(digest: Digest) -> str:
    week = digest.week
    first, last = week.start.astimezone(week.zone), (week.end - timedelta(seconds=1)).astimezone(week.zone)
    lines = [f"Weekly digest {week.key} ({first:%a %Y-%m-%d} to {last:%a %Y-%m-%d}, {week.zone.key})", ""]
    lines.append(f"Published in your name: {digest.published_count}")
    for p in digest.published:
        lines.append(f"  {published_line(p, mrkdwn=False)}")
    lines.append("Drafts: " + ", ".join(f"{n} {label}" for label, n in digest.counts.items()))
    lines.append(
        f"Response time over {digest.decisions} decisions: median {wait(digest.median_wait)}, "
        f"90th percentile {wait(digest.p90_wait)}"
    )
    if digest.slowest_pending:
        draft_id, writer, waited = digest.slowest_pending
        lines.append(f"Slowest still pending: #{draft_id} by {writer}, waiting {age(waited)}")
    if line := escalation_line(digest):
        lines.append(line)
    for r in digest.reasons:
        lines.append(f"  #{r.draft_id} {r.action.replace('_', ' ')} by {r.actor_id}: {r.text}")
    if digest.writers:
        lines.append("Drafts per writer: " + ", ".join(f"{name} {n}" for _, name, n in digest.writers))
    lines.append(f"Still waiting: {digest.backlog_total}")
    for i, w, a in digest.backlog:
        lines.append(f"  #{i} by {w}, waiting {age(a)}")
    if line := trend_line(digest):
        lines.append(line)
    lines.append(f"Scheduled for next week: {len(digest.scheduled)}")
    lines.append(scheduled(digest, mrkdwn=False))
    return "\n".join(lines)


def scheduled(digest: Digest, *, mrkdwn: bool) -> str:
    """Next week's scheduled posts, one a line, in the digest's zone: `Tue 8 Dec, 09:00 #12 by … : …`."""
    if not digest.scheduled:
        return "Nothing is scheduled." if mrkdwn else "  Nothing is scheduled."
    zone = digest.week.zone
    out = []
    for d in digest.scheduled:
        when = d.publish_at.astimezone(zone) if d.publish_at else None
        stamp = f"{when:%a} {when.day} {when:%b}, {when:%H:%M}" if when else "?"
        if mrkdwn:
            out.append(f"• {stamp} · #{d.id} by <@{d.writer_id}>: _{_excerpt(d.text)}_")
        else:
            out.append(f"  {stamp} #{d.id} by {d.writer_name or d.writer_id}: {' '.join(d.text.split())[:60]}")
    return "\n".join(out)
