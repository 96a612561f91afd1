"""The App Home tab: an approver's queue with the same buttons as the cards, and the week's numbers."""

from __future__ import annotations

from typing import Any

from bot.approval.post_text import PostText, escape_mrkdwn
from bot.approval.refs import CardRef
from bot.reports.status import StatusReport, age, count_line
from bot.slack.blocks import DECISION_BUTTONS, button, context, part_label, plain_section, section
from bot.slack.media_blocks import count_label
from bot.slack.schedule_blocks import Timing, time_line
from storage.models import Draft, Status

QUEUE_SHOWN = 20  # 4 blocks each, inside the Home tab's 100
HOME_BLOCKS = 100


def home_view(
    report: StatusReport,
    queue: list[tuple[Draft, PostText]],
    *,
    is_approver: bool,
    notice: str | None = None,
    images: dict[int, int] | None = None,
    coming: list[dict[str, Any]] | None = None,
    timing: Timing | None = None,
    labels: dict[int, str] | None = None,
) -> dict[str, Any]:
    """`notice`: our own text (bot.slack.replies) about the person's last click here, shown above everything.
    `images`: how many images each queued draft's version carries (the card shows them).
    `labels`: each draft's brand name, for a viewer who approves several brands.
    `coming`: the "Coming up" blocks (reports.coming_up), shown after the queue as far as Slack's 100 blocks allow."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": "Countersign"}}]
    if notice:
        blocks.append(section(f":warning: {notice}"))
    blocks.append(context(f"This week ({report.week}): {count_line(report)}"))
    if report.paused:
        blocks.append(section(":double_vertical_bar: *Publishing is paused.* `/countersign resume` restarts it."))
    if not is_approver:
        blocks.append(
            section(
                "You're not an approver for this brand, so there's nothing here to decide. "
                "`/countersign status` shows what is waiting."
            )
        )
        return {"type": "home", "blocks": blocks}
    blocks.append({"type": "divider"})
    if not queue:
        blocks.append(section("Nothing is waiting for you. :tada:"))
    for draft, post in queue[:QUEUE_SHOWN]:
        ref = str(CardRef(draft.id or 0, draft.version))
        waited = age(report.now - (draft.pending_since or draft.created_at))
        brand = (labels or {}).get(draft.id or 0)
        of = f" · {escape_mrkdwn(brand)}" if brand else ""
        blocks.append(section(f"*#{draft.id}*{of} by <@{draft.writer_id}> · waiting {waited}"))
        blocks.append(plain_section(_post(post)))  # the post's characters, unstyled, as on the card
        shown = count_label((images or {}).get(draft.id or 0, 0))
        # A queued draft is pending: nothing of its version was delivered yet.
        when = f" · {time_line(draft, timing, ())}" if timing is not None and draft.publish_at is not None else ""
        blocks.append(context(f"{post.counts} · version {draft.version}{shown}{when}"))  # Approve keeps the time
        elements = [button(action, label, ref, style) for action, label, style in DECISION_BUTTONS]
        blocks.append({"type": "actions", "block_id": f"home.actions.{draft.id}", "elements": elements})
    hidden = report.counts.get(Status.PENDING, 0) - min(len(queue), QUEUE_SHOWN)
    if len(queue) > QUEUE_SHOWN and hidden > 0:
        blocks.append(context(f"…and {hidden} more waiting. Decide on these first, or use the cards in your DMs."))
    if coming:
        room = HOME_BLOCKS - len(blocks) - 1  # after the divider
        if room >= 3:  # the title, then whole (line, buttons) pairs
            blocks += [{"type": "divider"}, *coming[: 1 + 2 * ((room - 1) // 2)]]
    return {"type": "home", "blocks": blocks}


def _post(post: PostText) -> str:
    if not post.is_thread:
        return post.texts[0]
    total = len(post.parts)
    return "\n".join(f"{part_label(i, total)}\n{text}" for i, text in enumerate(post.texts, start=1))
