"""Modal submissions: the owner's edit, and the reason for requesting changes or rejecting.

Refusals are answered inside the modal (`response_action: errors`), so nothing is lost from what
the owner typed; a decision that is taken closes the modal.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import partial
from typing import Any

from slack_bolt import Ack, App

from bot.approval.outcomes import Outcome
from bot.approval.refs import Actor, BadRef, CardRef, slack_id, slack_text
from bot.runtime.services import Services
from bot.slack.ids import BlockId, CallbackId, InputId
from bot.slack.replies import delete_refusal, part_link_refused, refusal, too_long

BAD_FORM = "This form is out of date or damaged. Close it and use the buttons on the card again."


def register(app: App, services: Services) -> None:
    app.view(CallbackId.EDIT.value)(partial(submit_edit, services=services))
    app.view(CallbackId.REQUEST_CHANGES.value)(partial(submit_reason, services=services))
    app.view(CallbackId.REJECT.value)(partial(submit_reason, services=services))
    app.view(CallbackId.MARK_PART.value)(partial(submit_part_link, services=services))
    app.view(CallbackId.CHANGE_TIME.value)(partial(submit_time, services=services))
    app.view(CallbackId.UNDO_REASON.value)(partial(submit_undo_reason, services=services))
    app.view(CallbackId.DELETE_REASON.value)(partial(submit_delete_reason, services=services))
    app.view(UNKNOWN_VIEW)(partial(submit_unknown, services=services))


# A callback id that isn't one of ours (a form from another app version, a forged payload) is told so in the
# form rather than getting Bolt's 404. It never matches one of ours, so later registrations still get theirs.
_OURS = "|".join(re.escape(c.value) for c in CallbackId)
UNKNOWN_VIEW = re.compile(rf"^(?!(?:{_OURS})\Z)")


def _value(view: dict[str, Any], block: BlockId, action: InputId) -> str | None:
    try:
        value = view["state"]["values"][block][action]["value"]
    except (KeyError, TypeError):
        return None
    return "" if value is None else slack_text(value)


def _parse(body: dict[str, Any], services: Services) -> tuple[dict[str, Any], CardRef, Actor] | None:
    try:
        view = body["view"]
        ref, actor = CardRef.parse(view.get("private_metadata")), Actor.from_body(body)
    except (BadRef, KeyError, TypeError, AttributeError):
        return None
    return view, ref, services.organisation.resolve(actor)


def _errors(ack: Ack, block: BlockId, text: str) -> None:
    ack(response_action="errors", errors={block.value: text[:300]})


def _finish(ack: Ack, outcome: Outcome, block: BlockId, actor: Actor, services: Services) -> None:
    if outcome.refused:
        _errors(ack, block, refusal(outcome))
        return
    ack()
    if outcome.draft is not None and outcome.draft.id is not None:
        services.decision_taken(outcome.draft.id, actor.user_id, outcome=outcome)


def _submitted(
    ack: Ack, body: dict[str, Any], services: Services, block: BlockId, action: InputId
) -> tuple[dict[str, Any], CardRef, Actor, str] | None:
    """The form's view, card reference, submitter and the one text input it asks for; or None, with the form
    told it couldn't be read (the same answer for every form)."""
    parsed = _parse(body, services)
    value = _value(parsed[0], block, action) if parsed else None
    if parsed is None or value is None:
        _errors(ack, block, BAD_FORM)
        return None
    return (*parsed, value)


def submit_edit(ack: Ack, body: dict[str, Any], services: Services) -> None:
    submitted = _submitted(ack, body, services, BlockId.EDIT_TEXT, InputId.TEXT)
    if submitted is None:
        return
    _, ref, actor, text = submitted
    preview = services.desk_of(ref.draft_id).workflow.preview_edit(ref, actor, text)
    if preview is not None and not preview.fits:
        _errors(ack, BlockId.EDIT_TEXT, too_long(preview))
        return
    _finish(
        ack,
        services.desk_of(ref.draft_id).workflow.edit_and_approve(ref, actor, text),
        BlockId.EDIT_TEXT,
        actor,
        services,
    )


def submit_reason(ack: Ack, body: dict[str, Any], services: Services) -> None:
    submitted = _submitted(ack, body, services, BlockId.REASON, InputId.REASON)
    if submitted is None:
        return
    view, ref, actor, reason = submitted
    if view.get("callback_id") == CallbackId.REJECT:
        outcome = services.desk_of(ref.draft_id).workflow.reject(ref, actor, reason)
    else:
        outcome = services.desk_of(ref.draft_id).workflow.request_changes(ref, actor, reason)
    _finish(ack, outcome, BlockId.REASON, actor, services)


def submit_delete_reason(ack: Ack, body: dict[str, Any], services: Services) -> None:
    """The reason for a Delete from X pressed on a card: kept once, shown on every card and in `show`."""
    submitted = _submitted(ack, body, services, BlockId.REASON, InputId.REASON)
    if submitted is None:
        return
    _, ref, actor, reason = submitted
    outcome = services.desk_of(ref.draft_id).deleter.add_reason(ref.draft_id, actor, reason)
    if outcome.refused:
        _errors(ack, BlockId.REASON, delete_refusal(outcome))
        return
    ack()
    services.refresh_cards(ref.draft_id)


def submit_part_link(ack: Ack, body: dict[str, Any], services: Services) -> None:
    """The link of a thread's uncertain part: recorded as up, and the rest goes out as replies to it."""
    submitted = _submitted(ack, body, services, BlockId.PART_LINK, InputId.LINK)
    if submitted is None:
        return
    _, ref, actor, link = submitted
    marking = services.desk_of(ref.draft_id).marking
    read = marking.read_link(ref, link)  # the network may be asked (Bluesky: the post's cid): no transaction open
    if read.post_id is None:
        _errors(ack, BlockId.PART_LINK, part_link_refused(read.network, read.unreadable))
        return
    _finish(
        ack,
        marking.mark_part_published(ref, actor, read.post_id),
        BlockId.PART_LINK,
        actor,
        services,
    )


def submit_time(ack: Ack, body: dict[str, Any], services: Services) -> None:
    """The picked time (`selected_date_time`, epoch seconds): approve for it, or move the scheduled post to it."""
    parsed = _parse(body, services)
    try:
        picked = parsed[0]["state"]["values"][BlockId.WHEN][InputId.WHEN]["selected_date_time"] if parsed else None
    except (KeyError, TypeError):
        picked = None
    if parsed is None or not isinstance(picked, int) or isinstance(picked, bool):
        _errors(ack, BlockId.WHEN, BAD_FORM if parsed is None else "Pick a date and a time.")
        return
    _, ref, actor = parsed
    try:
        when = datetime.fromtimestamp(picked, tz=UTC)
    except (OverflowError, OSError, ValueError):  # no such moment: a forged or damaged form
        _errors(ack, BlockId.WHEN, BAD_FORM)
        return
    _finish(ack, services.desk_of(ref.draft_id).workflow.schedule(ref, actor, when), BlockId.WHEN, actor, services)


def submit_undo_reason(ack: Ack, body: dict[str, Any], services: Services) -> None:
    """The optional why of an Undo already made: kept as its own audit row (and shown on the cards)."""
    submitted = _submitted(ack, body, services, BlockId.REASON, InputId.REASON)
    if submitted is None:
        return
    _, ref, actor, reason = submitted
    _finish(
        ack, services.desk_of(ref.draft_id).workflow.undo_reason(ref, actor, reason), BlockId.REASON, actor, services
    )


def submit_unknown(ack: Ack, body: dict[str, Any], services: Services) -> None:
    """Say so inside the form when it has an input to pin the error to (what was typed stays); else close it and
    tell the person privately."""
    state = body["view"].get("state")
    values = state.get("values") if isinstance(state, dict) else None
    block = next(iter(values), None) if isinstance(values, dict) else None
    if block:
        ack(response_action="errors", errors={block: BAD_FORM})
        return
    ack()
    user = body.get("user")
    user_id = slack_id(user.get("id")) if isinstance(user, dict) else None
    if user_id is not None:
        services.notifier.ephemeral(None, user_id, BAD_FORM)
