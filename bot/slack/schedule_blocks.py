"""Block Kit for times to go out: the card's time line and its buttons, and the *Change time* form.

Pure: the draft and its version's deliveries (whether any network was tried), "now", the brand's zone and the grace
in; blocks out. What the card says about time is what the publisher will do: "Goes out …" only for a time it will
keep; a passed time says so and offers the way out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.approval.refs import CardRef
from bot.intake.schedule_line import describe
from bot.slack.ids import ActionId, BlockId, CallbackId, InputId
from storage.models import Delivery, Draft, Status
from storage.schedule import is_late, is_movable

Block = dict[str, Any]
Buttons = tuple[tuple[ActionId, str, str | None], ...]

SCHEDULED_BUTTONS: Buttons = (
    (ActionId.POST_NOW, "Post now", None),
    (ActionId.CHANGE_TIME, "Change time", None),
    (ActionId.UNSCHEDULE, "Unschedule", None),
)
LATE_BUTTONS: Buttons = (
    (ActionId.POST_NOW, "Post now", "primary"),
    (ActionId.CHANGE_TIME, "New time", None),
    (ActionId.UNSCHEDULE, "Cancel", None),
)


@dataclass(frozen=True)
class Timing:
    """What a time is judged against when a card is drawn."""

    now: datetime
    zone: ZoneInfo
    grace: timedelta = timedelta(minutes=5)


def time_line(draft: Draft, timing: Timing, found: Sequence[Delivery]) -> str:
    """The card's sentence about when the post goes out. `found`: the version's deliveries (none while pending)."""
    status = Status(draft.status)
    when = draft.publish_at
    if status is Status.PENDING:
        if when is None:
            return ":clock3: Goes out when approved"
        said = describe(when, timing.now, timing.zone)
        if when <= timing.now:
            return (
                f":warning: Was to go out {said}: that time passed before a decision."
                " *Approve now*, or *Change time* to approve it for a new one."
            )
        return f":clock3: Goes out {said}, once approved (the writer's proposal)"
    if when is not None and is_movable(draft, found):
        said = describe(when, timing.now, timing.zone)
        if is_late(draft, found, timing.now, timing.grace):
            return (
                f":warning: Was to go out {said} and didn't (publishing was paused, or the bot was down)."
                " It won't go out late on its own: *Post now*, pick a *New time*, or *Cancel*."
            )
        return f":clock3: Goes out {said}"
    return ""


def time_buttons(draft: Draft, timing: Timing, found: Sequence[Delivery]) -> Buttons:
    """Buttons for a scheduled (or late) approved draft, never tried on any of `found` (its version's deliveries);
    the pending card's extra ones come from `pending_extra`."""
    if not is_movable(draft, found):
        return ()
    return LATE_BUTTONS if is_late(draft, found, timing.now, timing.grace) else SCHEDULED_BUTTONS


def pending_extra(draft: Draft) -> Buttons:
    """After Approve on a pending card with a proposed time: *Approve now* (*Change time* sits by the time line)."""
    return ((ActionId.APPROVE_NOW, "Approve now", None),) if draft.publish_at is not None else ()


def change_time_modal(ref: CardRef, initial: datetime | None, zone: ZoneInfo, approving: bool) -> dict[str, Any]:
    """Slack's date-time picker (epoch seconds); submitting approves for that time, or moves a scheduled post."""
    element: Block = {"type": "datetimepicker", "action_id": InputId.WHEN.value}
    if initial is not None:
        element["initial_date_time"] = int(initial.timestamp())
    what = "approves this version for the time you pick" if approving else "moves the post to the time you pick"
    return {
        "type": "modal",
        "callback_id": CallbackId.CHANGE_TIME.value,
        "private_metadata": str(ref),
        "title": {"type": "plain_text", "text": "Time to go out"},
        "submit": {"type": "plain_text", "text": "Approve for this time" if approving else "Move"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"Draft #{ref.draft_id}, version {ref.version}: submitting {what}."},
            },
            {
                "type": "input",
                "block_id": BlockId.WHEN.value,
                "label": {"type": "plain_text", "text": "Goes out at (your Slack time zone)"},
                "hint": {"type": "plain_text", "text": f"The brand's time zone is {zone.key}."},
                "element": element,
            },
        ],
    }
