"""`/countersign show <id>`: one draft's whole story, and what the owner changed in the agency's words."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from bot.approval.post_text import escape_mrkdwn
from bot.intake.media_rules import file_size
from bot.networks.base import title_of
from bot.reports import stops
from bot.slack.block_kit import slack_date
from storage import approvals, deliveries, reports
from storage import media as stored_media
from storage.models import Approval, AuditEvent, Delivery, Draft, DraftMedia, DraftVersion, Status
from storage.store import Store


@dataclass(frozen=True)
class History:
    draft: Draft
    versions: list[DraftVersion]
    trail: list[AuditEvent]
    images: dict[int, list[DraftMedia]] = field(default_factory=dict)  # by version
    approvals: list[Approval] = field(default_factory=list)  # every yes, oldest first
    delivered: list[Delivery] = field(default_factory=list)  # the current version's, one per network


def load(store: Store, draft_id: int) -> History | None:
    with store.read() as tx:
        draft = tx.get(draft_id)
        if draft is None or draft.id is None:
            return None
        return History(
            draft,
            reports.versions(tx.session, draft.id),
            reports.audit_trail(tx.session, draft.id),
            stored_media.of_draft(tx.session, draft.id),
            approvals.of_draft(tx.session, draft.id),
            deliveries.of_draft(tx.session, draft.id),
        )


def word_diff(before: str, after: str) -> str:
    """Words removed as ~struck~, words added in *bold*: readable in Slack, escaped for mrkdwn."""
    old, new = before.split(), after.split()
    out: list[str] = []
    for op, a1, a2, b1, b2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            out.append("~" + escape_mrkdwn(" ".join(old[a1:a2])) + "~")
        if op in ("insert", "replace"):
            out.append("*" + escape_mrkdwn(" ".join(new[b1:b2])) + "*")
        if op == "equal":
            out.append(escape_mrkdwn(" ".join(old[a1:a2])))
    return " ".join(out)


def image_line(image: DraftMedia) -> str:
    """`image 1: cup.png (PNG, 64x48, 1 KB, sha256 1a2b3c4d…) · alt: A cup`"""
    what = image.mime.removeprefix("image/").upper()
    alt = f"alt: {escape_mrkdwn(image.alt_text)}" if image.alt_text else "no alt text"
    part = f" · with post {image.part + 1}" if image.part else ""
    return (
        f"image {image.position + 1}: {escape_mrkdwn(image.name)} ({what}, {image.width}x{image.height}, "
        f"{file_size(image.size)}, sha256 {image.sha256[:8]}…) · {alt}{part}"
    )


def network_line(delivery: Delivery, draft: Draft) -> str:
    """`X: published <time> <link>`, `Mastodon: failed: why`, `… · deleted by <@U…> <time>`: one network's own."""
    line = f"{title_of(delivery.network)}: "
    if delivery.published_at is not None:
        line += f"published {slack_date(delivery.published_at)} {delivery.post_url or ''}".rstrip()
        if delivery.status != Status.PUBLISHED and delivery.deleted_at is None:
            line += f" · now {delivery.status}"
    else:
        line += delivery.status
    if delivery.last_error:
        line += f": {escape_mrkdwn(delivery.last_error)}"
    if delivery.deleted_at is not None:
        line += f" · deleted by <@{draft.deleted_by}> {slack_date(delivery.deleted_at)}"
    return line


def render(history: History) -> str:
    draft = history.draft
    lines = [f"*Draft #{draft.id}* by <@{draft.writer_id}> · now *{draft.status}*, version {draft.version}"]
    delivered = history.delivered
    if len(delivered) > 1:
        lines.append("*On each network*")
        lines += [f"• {network_line(d, draft)}" for d in delivered]
    elif delivered and delivered[0].post_url:
        lines.append(f"Posted: {delivered[0].post_url}")
    deleted = [d for d in delivered if d.deleted_at is not None]
    if len(delivered) == 1 and deleted:  # Delete finished (bot/delivery/deleter.py)
        lines.append(
            f"Deleted from {title_of(deleted[0].network)} by <@{draft.deleted_by}> {slack_date(deleted[0].deleted_at)}"
        )
    elif (
        not deleted and draft.publish_at is not None
    ):  # proposed (pending) or decided (approved): the audit trail says which
        lines.append(f"Time to go out: {slack_date(draft.publish_at)}")
    lines.append("*Versions*")
    for v in history.versions:
        lines.append(f"• v{v.version} by <@{v.author_id}> {slack_date(v.created_at)}: {escape_mrkdwn(v.text)}")
        lines += [f"    ◦ {image_line(i)}" for i in history.images.get(v.version, [])]
    if history.approvals:
        lines.append("*Approvals*")
        lines += [f"• v{a.version} ✓ <@{a.approver_id}> {slack_date(a.at)}" for a in history.approvals]
    stopped = stops.lines(history.trail)
    if stopped:
        lines.append("*Stops* (who stopped it, when, and why)")
        lines += stopped
    lines.append("*Audit trail*")
    for a in history.trail:
        moved = f" ({a.from_status or '—'} → {a.to_status})" if a.to_status else ""
        detail = f": {escape_mrkdwn(a.detail)}" if a.detail and not a.action.startswith("refused") else ""
        lines.append(f"• {slack_date(a.at)} {a.action} by <@{a.actor_id}>{moved}{detail}")
    if draft.final_parts and history.versions:
        approved = next((v.text for v in history.versions if v.version == draft.version), draft.text)
        lines.append("*From the agency's first version to what was approved* (the attribution line aside)")
        lines.append(word_diff(history.versions[0].text, approved))
    return "\n".join(lines)
