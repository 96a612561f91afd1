"""What a card shows about Delete (from X, or every network the post is on): the button, behind Slack's
confirmation dialog, and the outcome line.

Pure builders, like bot/slack/blocks.py, which calls them for published, deleting, deleted and delete_failed drafts:
who asked and why from the draft (the owner's side), which posts are up or gone from its version's deliveries.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.approval.post_text import escape_mrkdwn
from bot.networks.base import title_of
from bot.slack.block_kit import Block, button, slack_date
from bot.slack.delivery_blocks import errors_of
from bot.slack.ids import ActionId
from bot.slack.network_words import titles
from storage.models import Delivery, Draft, Status

# Slack's confirmation dialog object: title ≤ 100, text ≤ 300, confirm/deny ≤ 30 characters, all plain_text;
# `style: danger` makes the confirm button red. Slack sends the click only once the person confirms.
CONFIRM_LIMIT = 30
CONFIRM_DENY = "Keep it"

ICONS = {
    Status.DELETING: ":hourglass_flowing_sand:",
    Status.DELETED: ":wastebasket:",
    Status.DELETE_FAILED: ":warning:",
}


def delete_label(where: str) -> str:
    """`Delete from X`, `Delete from X and Bluesky`: the button, and its dialog's confirm button while that fits
    Slack's 30 characters (`Delete from all 3 networks` past it)."""
    return f"Delete from {where}"


def confirm_dialog(parts: int, where: str = "X") -> Block:
    """`where`: the networks the post is on, as people read them (`X`, `X and Bluesky`)."""
    what = "this post" if parts == 1 else f"all {parts} posts of this thread"
    text = f"This deletes {what} from {where} for everyone. It can't be undone; the card and the audit trail keep"
    text += " the text."
    label = delete_label(where)
    if len(label) > CONFIRM_LIMIT:
        label = f"Delete from all {where.count(',') + 2} networks"
    return {
        "title": {"type": "plain_text", "text": f"{delete_label(where)}?"},  # at most 100: three networks are 36
        "text": {"type": "plain_text", "text": text},
        "confirm": {"type": "plain_text", "text": label},
        "deny": {"type": "plain_text", "text": CONFIRM_DENY},
        "style": "danger",
    }


def with_delete_button(outcome: Block, draft: Draft, found: Sequence[Delivery], ref: str, where: str = "X") -> Block:
    """The card's outcome section, with *Delete from X* (from `where`: every network the post is on) beside it on
    a published post (behind the confirmation dialog), or *Retry* on one whose deletion stopped. An accessory, not
    an actions block: the decision buttons stay gone once a draft is decided. A deletion pressed on the card (no
    reason asked: Slack's confirmation is the one step) gets *Add a reason* until one is kept. `found`: the
    version's deliveries; the dialog counts the first network's posts."""
    status = Status(draft.status)
    parts = len(found[0].post_ids or []) if found else 0
    if status is Status.PUBLISHED and parts:
        dialog = confirm_dialog(parts, where)
        outcome["accessory"] = button(ActionId.DELETE_FROM_X, delete_label(where), ref, "danger", dialog)
    elif status is Status.DELETE_FAILED:
        outcome["accessory"] = button(ActionId.RETRY_DELETE, "Retry", ref, "danger")
    elif status in (Status.DELETING, Status.DELETED) and not draft.delete_reason:
        outcome["accessory"] = button(ActionId.ADD_DELETE_REASON, "Add a reason", ref)
    return outcome


def part_link(delivery: Delivery, post_id: str) -> str:
    """The x.com link of one part, from the first part's recorded link (same account)."""
    if not delivery.post_url or "/status/" not in delivery.post_url:
        return post_id
    return f"<{delivery.post_url.rsplit('/status/', 1)[0]}/status/{post_id}|view>"


def delete_line(draft: Draft, found: Sequence[Delivery], approved: str, where: str = "X") -> str:
    """The card's outcome line once Delete was pressed. `approved`: "Approved by <@U> <date>"; `where`: the
    network(s) it deletes from; `found`: the version's deliveries, which say what is up or gone on each (and when)."""
    status = Status(draft.status)
    asked = f"<@{draft.deleted_by}>" if draft.deleted_by else "an approver"
    why = f": _{escape_mrkdwn(draft.delete_reason)}_" if draft.delete_reason else ""
    icon = ICONS[status]
    if status is Status.DELETED:
        last = max((d.deleted_at for d in found if d.deleted_at is not None), default=None)  # when the last went
        return f"{icon} {approved} · deleted from {where} by {asked} {slack_date(last)}{why}"
    if status is Status.DELETING:
        parts = sum(len(d.post_ids or []) for d in found)
        gone = sum(len(set(d.deleted_ids or [])) for d in found)
        progress = f" ({gone} of {parts} gone)" if parts > 1 else ""
        return f"{icon} {approved} · deleting from {where}, asked by {asked}{progress}…"
    error = escape_mrkdwn(errors_of(found))
    return (
        f"{icon} {approved} · deleting from {where} (asked by {asked}) stopped: {error}."
        f"{still_up(found, where)} Press Retry to finish."
    )


def still_up(found: Sequence[Delivery], where: str) -> str:
    """What a stopped deletion left: one network's parts still up (linked) and those gone; of several networks,
    each one's parts still up, and the networks it is gone from."""
    if len(found) == 1:
        delivery = found[0]
        ids, gone = delivery.post_ids or [], set(delivery.deleted_ids or [])
        done = [n for n, post_id in enumerate(ids, start=1) if post_id in gone]
        deleted = f" Deleted: part {', '.join(map(str, done))}." if done else ""
        return f" *Still on {where}: part {_parts_up(delivery)}.*{deleted}"
    up = [d for d in found if _left(d)]
    still = "; ".join(f"{title_of(d.network)}: part {_parts_up(d)}" for d in up)
    gone_from = titles([d for d in found if d.post_ids and not _left(d)])
    return (f" *Still on {still}.*" if up else "") + (f" Deleted from {gone_from}." if gone_from else "")


def _left(delivery: Delivery) -> list[int]:
    """The parts (numbered from 1) of `delivery` not known gone."""
    gone = set(delivery.deleted_ids or [])
    return [n for n, post_id in enumerate(delivery.post_ids or [], start=1) if post_id not in gone]


def _parts_up(delivery: Delivery) -> str:
    """`1 (<link|view>), 2 (<link|view>) of 3`: the parts of `delivery` still up, each linked."""
    ids = delivery.post_ids or []
    of = f" of {len(ids)}" if len(ids) > 1 else ""
    return ", ".join(f"{n} ({part_link(delivery, ids[n - 1])})" for n in _left(delivery)) + of
