"""What a card says while an approval can still be undone, and after an Undo. Pure: the draft and "now" in.

"Going out at 14:03:05 (30 s after approval)" stays true however late the card is read, with no countdown to
keep up to date: when the window ends the publisher claims the draft and its card update replaces the line.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.approval.post_text import escape_mrkdwn
from bot.approval.refs import CardRef
from bot.approval.undo import MAX_REASON_CHARS, is_undoable, undone_now
from bot.slack.ids import ActionId, BlockId, CallbackId, InputId
from bot.slack.schedule_blocks import Buttons, Timing
from storage.models import Draft

UNDO_BUTTONS: Buttons = ((ActionId.UNDO, "Undo", "danger"),)


def window_holds(draft: Draft, timing: Timing | None) -> bool:
    """The Undo window, not a time to go out further ahead, is what keeps the post from X right now.

    A scheduled post going out after its window closes is taken back with *Unschedule* until its time, as before.
    """
    if timing is None or not is_undoable(draft, timing.now):
        return False
    return draft.publish_at is None or draft.undo_until is None or draft.publish_at <= draft.undo_until


def time_of_day(when: datetime) -> str:
    """14:03:05 in each reader's own time zone (Slack's date formatting); the fallback is UTC."""
    return f"<!date^{int(when.timestamp())}^{{time_secs}}|{when.strftime('%H:%M:%S')} UTC>"


def window_line(draft: Draft, by: str | None = None) -> str:
    """The approved card's line during the window: who approved (`by`: several, under APPROVAL_RULE), when it goes
    out, and that Undo stops it."""
    assert draft.undo_until is not None
    who = by or (f"<@{draft.decided_by}>" if draft.decided_by else "someone")
    seconds = (draft.undo_until - draft.decided_at).total_seconds() if draft.decided_at else 0
    after = f" ({seconds:.0f} s after approval)" if seconds > 0 else ""
    return (
        f":hourglass_flowing_sand: Approved by {who} · going out at {time_of_day(draft.undo_until)}{after}"
        " · *Undo* stops it, and nothing reaches X"
    )


def undone_line(draft: Draft) -> str | None:
    """On the pending card an Undo left: who undid it, when, and why (if they said): it is theirs to decide again."""
    if not undone_now(draft) or draft.undone_at is None:
        return None
    stamp = f"<!date^{int(draft.undone_at.timestamp())}^{{time_secs}}|{draft.undone_at.strftime('%H:%M:%S')} UTC>"
    why = f": _{escape_mrkdwn(draft.reason)}_" if draft.reason else ""
    return f":leftwards_arrow_with_hook: Approval undone by <@{draft.undone_by}> at {stamp}{why} · pending again"


def undo_reason_modal(ref: CardRef) -> dict[str, Any]:
    """Opened after the Undo took effect (it acts on the click: a form first would eat the window): why, optional."""
    field = {
        "type": "input",
        "block_id": BlockId.REASON.value,
        "optional": True,
        "label": {"type": "plain_text", "text": "Why undo it? (optional)"},
        "element": {
            "type": "plain_text_input",
            "action_id": InputId.REASON.value,
            "multiline": True,
            "max_length": MAX_REASON_CHARS,
        },
    }
    note = {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": f"Draft #{ref.draft_id} is back to pending: nothing went to X. A reason is kept in its history.",
        },
    }
    return {
        "type": "modal",
        "callback_id": CallbackId.UNDO_REASON.value,
        "private_metadata": str(ref),
        "title": {"type": "plain_text", "text": "Approval undone"},
        "submit": {"type": "plain_text", "text": "Keep reason"},
        "close": {"type": "plain_text", "text": "Skip"},
        "blocks": [note, field],
    }
