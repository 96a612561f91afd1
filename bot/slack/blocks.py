"""Block Kit builders: plain data in, Slack JSON out. Pure, so each is tested on its own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.approval.approval_rule import joined
from bot.approval.approving import Standing
from bot.approval.post_text import PostText, escape_mrkdwn
from bot.approval.refs import CardRef
from bot.intake.media_rules import MediaItem
from bot.networks.base import title_of
from bot.slack.approval_blocks import YES_ACTIONS, progress_blocks
from bot.slack.block_kit import Block, button, context, plain_section, section, slack_date
from bot.slack.delete_blocks import delete_line, with_delete_button
from bot.slack.delivery_blocks import OUTCOME_ICONS, errors_of, network_blocks, shown_per_network, uncertain_words
from bot.slack.ids import ActionId, BlockId, CallbackId, InputId
from bot.slack.media_blocks import image_blocks
from bot.slack.network_words import titles
from bot.slack.replies import COPY_LINK, status_words
from bot.slack.schedule_blocks import Timing, pending_extra, time_buttons, time_line
from bot.slack.undo_blocks import UNDO_BUTTONS, undone_line, window_holds, window_line
from storage.models import Card, Delivery, Draft, Status

INPUT_LIMIT = 3000

DECISION_BUTTONS = (
    (ActionId.APPROVE, "Approve", "primary"),
    (ActionId.EDIT, "Edit", None),
    (ActionId.REQUEST_CHANGES, "Request changes", None),
    (ActionId.REJECT, "Reject", "danger"),
)

SETTLE_BUTTONS = {
    Status.FAILED: ((ActionId.RETRY, "Retry", "primary"),),
    # X may or may not have the post: only a person who looked at the account can say which.
    Status.UNKNOWN: (
        (ActionId.MARK_PUBLISHED, "Mark as published", None),
        (ActionId.PUBLISH_AGAIN, "Publish again", "danger"),
        (ActionId.CANCEL, "Cancel", None),
    ),
}


def card_link(team_url: str, card: Card | None) -> str:
    """A permalink built from the workspace URL (no API call per link)."""
    if card is None or not team_url or not card.ts:
        return ""
    return f"{team_url.rstrip('/')}/archives/{card.channel}/p{card.ts.replace('.', '')}"


def post_sections(post: PostText) -> list[Block]:
    """The exact text that goes out, as plain characters (no styling, mentions or emoji shortcodes applied).

    A thread's parts are labelled on a line of their own (`Post 2 of 3:`, which the header explains): a label
    block per part would pass Slack's 50 blocks for a thread of `MAX_PARTS`.
    """
    if not post.is_thread:
        return [plain_section(post.texts[0], BlockId.CARD_TEXT)]
    total = len(post.parts)
    return [
        plain_section(f"{part_label(i, total)}\n{text}", f"{BlockId.CARD_TEXT}.{i}")
        for i, text in enumerate(post.texts, start=1)
    ]


def part_label(number: int, total: int) -> str:
    return f"Post {number} of {total}:"


SHARED_CARD_NOTE = "shown with the longest approver name; the post names whoever approves"


def approval_card(
    draft: Draft,
    post: PostText,
    *,
    shared: bool = False,
    media: Sequence[MediaItem] = (),
    timing: Timing | None = None,
    standing: Standing | None = None,
    deliveries: Sequence[Delivery] = (),
) -> dict[str, Any]:
    """The card an approver decides on; once decided, the same card shows the decision instead. `deliveries`: the
    version's, one per network in the brand's order; with several, the outcome is told network by network, each
    with its own buttons (bot/slack/delivery_blocks.py); with one, the card reads as it always did.

    `shared` marks the one card in an approvals channel, whose attribution can't yet name the approver. With
    `timing`, the card says when the post goes out and carries the buttons to move that time. `standing`
    (APPROVAL_RULE needs several yeses): who approved and who is still to decide; an approver who said yes has no
    Approve (nor Change time, which approves) but may still Edit, Request changes or Reject.
    """
    ref = str(CardRef(draft.id or 0, draft.version))
    kind = f"a thread of {len(post.parts)} posts" if post.is_thread else "a post"
    kind += f" for {post.networks}"
    header = f"<@{draft.writer_id}> drafted {kind} · draft #{draft.id}, version {draft.version}"
    blocks = [section(header, BlockId.CARD_HEADER), *post_sections(post)]
    blocks += image_blocks(media, len(post.parts), BlockId.CARD_MEDIA)
    count = f"{post.counts} · attribution included, added to every post"
    if shared and not draft.final_parts:
        count += f" ({SHARED_CARD_NOTE})"
    blocks.append(context(count, BlockId.CARD_COUNT))
    status = Status(draft.status)
    held = window_holds(draft, timing)  # UNDO_WINDOW: approved, going out when the window closes (undo_blocks)
    when = time_line(draft, timing, deliveries) if timing is not None and not held else ""
    said_yes = standing is not None and standing.viewer_said_yes
    if when:
        blocks.append(time_section(when, ref, pending=status is Status.PENDING and not said_yes))
    if standing is not None and status is Status.PENDING:
        blocks += progress_blocks(standing)
    if status is Status.PENDING:
        if undone := undone_line(draft):
            blocks.append(context(undone, BlockId.UNDO_NOTE))
        decisions = DECISION_BUTTONS[:1] + (pending_extra(draft) if timing else ()) + DECISION_BUTTONS[1:]
        decisions = tuple(d for d in decisions if not (said_yes and d[0] in YES_ACTIONS))
        elements = [button(a, label, ref, style) for a, label, style in decisions]
        blocks.append({"type": "actions", "block_id": BlockId.CARD_ACTIONS, "elements": elements})
    else:
        scheduled = time_buttons(draft, timing, deliveries) if timing is not None and not held else ()
        signers = standing.progress.counted if standing is not None and status in SIGNED else ()
        by = signed_by(signers) if signers else f"<@{draft.decided_by}>"
        if not held and not scheduled and shown_per_network(draft, deliveries):  # several networks, each its own
            headline = section(networks_headline(draft, signers, deliveries), BlockId.CARD_OUTCOME)
            blocks.append(with_delete_button(headline, draft, deliveries, ref, post.networks))
            blocks += network_blocks(deliveries, CardRef(draft.id or 0, draft.version))
        else:
            approved = f"Approved by {by} {slack_date(draft.decided_at)}"
            line = approved if scheduled else outcome_line(draft, deliveries, signers, post.networks)
            outcome = section(window_line(draft, by) if held else line, BlockId.CARD_OUTCOME)
            blocks.append(with_delete_button(outcome, draft, deliveries, ref, post.networks))
            settle = UNDO_BUTTONS if held else scheduled or SETTLE_BUTTONS.get(status, ())
            if settle:
                elements = [button(a, label, ref, style) for a, label, style in settle]
                blocks.append({"type": "actions", "block_id": BlockId.CARD_ACTIONS, "elements": elements})
    fallback = f"Draft #{draft.id} from the agency: {status_words(draft.status)}"
    return {"text": fallback, "blocks": blocks}


def time_section(line: str, ref: str, *, pending: bool) -> Block:
    """When the post goes out; on a pending card with *Change time* beside it (approve for a picked time)."""
    block = section(line, BlockId.CARD_TIME)
    if pending:
        block["accessory"] = button(ActionId.CHANGE_TIME, "Change time", ref)
    return block


SIGNED = frozenset({Status.APPROVED, Status.PUBLISHING, Status.PUBLISHED, Status.FAILED, Status.UNKNOWN})


def signed_by(signers: Sequence[str]) -> str:
    """`<@A>`, `<@A> and <@B>`: everyone whose yes approved the version (APPROVAL_RULE), in the order they said it."""
    return joined([f"<@{s}>" for s in signers])


def networks_headline(draft: Draft, signers: Sequence[str], found: Sequence[Delivery]) -> str:
    """Above the networks' lines: the draft's state (their aggregate), who approved it and when, and where to."""
    icon = OUTCOME_ICONS.get(Status(draft.status), "")
    who = signed_by(signers) if signers else f"<@{draft.decided_by}>" if draft.decided_by else "someone"
    return f"{icon} Approved by {who} {slack_date(draft.decided_at)} for {titles(found)}:"


def outcome_line(draft: Draft, found: Sequence[Delivery] = (), signers: Sequence[str] = (), where: str = "X") -> str:
    """The decision from the draft, what came of it from `found` (the version's deliveries: the brand's one
    network's, or several told in one line, a deletion; none before approval). `signers`: who approved the version,
    when the rule asked several; else the line names `decided_by`. `where`: the brand's network(s) (`X`,
    `Bluesky`). A version out on several networks has a line per network instead (`networks_headline`,
    bot/slack/delivery_blocks)."""
    status = Status(draft.status)
    first = found[0] if found else None
    error = escape_mrkdwn(errors_of(found))
    icon = OUTCOME_ICONS.get(status, "")
    who = f"<@{draft.decided_by}>" if draft.decided_by else "someone"
    if signers and status in SIGNED:
        who = signed_by(signers)
    when = slack_date(draft.decided_at)
    match status:
        case Status.APPROVED | Status.PUBLISHING:
            line = f"Approved by {who} {when} · publishing to {where}…"
            if error:
                line += f"\nLast attempt: {error}. Retrying automatically."
        case Status.PUBLISHED if first is not None and first.post_url:
            line = f"Approved by {who} {when} · published: <{first.post_url}|view on {where}>"
        case Status.PUBLISHED:
            line = f"Approved by {who} {when} · marked as published after a check on {where}"
        case Status.CHANGES_REQUESTED:
            line = f"Changes requested by {who} {when}: _{escape_mrkdwn(draft.reason or '')}_"
        case Status.REJECTED:
            line = f"Rejected by {who} {when}: _{escape_mrkdwn(draft.reason or '')}_"
        case Status.WITHDRAWN:
            line = f"Withdrawn by <@{draft.writer_id}> {when} (the message was deleted)"
        case Status.FAILED:
            line = f"Approved by {who} {when}, but publishing failed: {error}. Fix the cause, then press Retry."
        case Status.UNKNOWN if first is not None:
            line = unknown_line(first, who, when, where)
        case Status.DELETING | Status.DELETED | Status.DELETE_FAILED:  # the icon is delete_line's
            return delete_line(draft, found, f"Approved by {who} {when}", where)
        case _:
            line = status_words(draft.status)
    return f"{icon} {line}".strip()


def unknown_line(delivery: Delivery, who: str, when: str, where: str = "X") -> str:
    """The network (`where`) didn't confirm a post (`delivery`, the brand's one network's): which one (a thread's
    part), what to check, and whether the bot still looks."""
    error = escape_mrkdwn(delivery.last_error or "")
    return f"Approved by {who} {when}, but {where} " + uncertain_words(
        delivery, where, error, "*Mark as published*", "*Publish again*"
    )


def _modal(callback_id: CallbackId, title: str, submit: str, ref: CardRef, blocks: list[Block]) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback_id.value,
        "private_metadata": str(ref),
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def edit_modal(ref: CardRef, text: str, attribution: str) -> dict[str, Any]:
    """The owner rewrites the draft; submitting approves their version. Attribution is not editable."""
    field = {
        "type": "input",
        "block_id": BlockId.EDIT_TEXT,
        "label": {"type": "plain_text", "text": "Post text"},
        "hint": {
            "type": "plain_text",
            "text": "Separate thread parts with a line of ---. A line `alt: …` per image gives its alt text.",
        },
        "element": {
            "type": "plain_text_input",
            "action_id": InputId.TEXT.value,
            "multiline": True,
            "initial_value": text[:INPUT_LIMIT],
            "max_length": INPUT_LIMIT,
        },
    }
    # The attribution is part of the post: plain characters, like the post text on the card.
    line = f"Added to the last part when posted: {attribution}"
    note = {"type": "context", "elements": [{"type": "plain_text", "text": line, "emoji": False}]}
    return _modal(CallbackId.EDIT, "Edit and approve", "Approve", ref, [field, note])


REASON_PROMPTS = {
    CallbackId.REQUEST_CHANGES: ("Request changes", "Send back", "What should the writer change?"),
    CallbackId.REJECT: ("Reject draft", "Reject", "Why is this draft rejected?"),
    CallbackId.DELETE_REASON: ("Reason for deleting", "Keep the reason", "Why was this post deleted from X?"),
}


def reason_modal(callback_id: CallbackId, ref: CardRef, excerpt: str) -> dict[str, Any]:
    title, submit, question = REASON_PROMPTS[callback_id]
    field = {
        "type": "input",
        "block_id": BlockId.REASON,
        "label": {"type": "plain_text", "text": question},
        "element": {
            "type": "plain_text_input",
            "action_id": InputId.REASON.value,
            "multiline": True,
            "max_length": 1000,
        },
    }
    about = section(f"Draft #{ref.draft_id}, version {ref.version}:")
    quoted = plain_section(excerpt[:500])
    return _modal(callback_id, title, submit, ref, [about, quoted, field])


def part_link_modal(ref: CardRef, part: int, parts: int, network: str = "x") -> dict[str, Any]:
    """Mark as published on a thread whose uncertain part isn't the last: the rest must reply to that part, so
    the approver who found it on `network` gives its link (read by that network's account)."""
    title = title_of(network)
    how, example = COPY_LINK.get(network, ("Copy link", "its link"))
    field = {
        "type": "input",
        "block_id": BlockId.PART_LINK,
        "label": {"type": "plain_text", "text": f"Link to part {part} of {parts} on {title}"},
        "hint": {"type": "plain_text", "text": f"Copy it from the post on {title} ({how}), e.g. {example}"},
        "element": {"type": "plain_text_input", "action_id": InputId.LINK.value, "max_length": 300},
    }
    rest = f"part {parts} goes" if part + 1 == parts else f"parts {part + 1} to {parts} go"
    note = context(f"Part {part} is then recorded as published and {rest} out as replies to it.")
    return _modal(CallbackId.MARK_PART, "Mark as published", "Post the rest", ref, [field, note])
