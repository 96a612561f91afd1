"""Buttons on approval cards. Authorization is checked at the action, by the workflow."""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.approval.outcomes import Kind, Outcome
from bot.approval.refs import Actor, BadRef, CardRef, slack_id, slack_ts
from bot.intake.inbox import FollowUp, InboxKind
from bot.runtime.services import Services
from bot.slack.blocks import INPUT_LIMIT, edit_modal, part_link_modal, reason_modal
from bot.slack.ids import ActionId, CallbackId
from bot.slack.replies import delete_refusal, refusal, too_long_to_edit
from bot.slack.schedule_blocks import change_time_modal
from bot.slack.undo_blocks import undo_reason_modal
from storage.models import Draft, Status

# Buttons that decide by themselves (no form): recorded in the inbox and acked, then decided.
DECISIONS = (
    ActionId.APPROVE,
    ActionId.RETRY,
    ActionId.PUBLISH_AGAIN,
    ActionId.MARK_PUBLISHED,
    ActionId.CANCEL,
    ActionId.APPROVE_NOW,
    ActionId.POST_NOW,
    ActionId.UNSCHEDULE,
    ActionId.UNDO,
    ActionId.DELETE_FROM_X,  # after Slack's confirmation dialog
    ActionId.RETRY_DELETE,
)
DELETES = (ActionId.DELETE_FROM_X, ActionId.RETRY_DELETE)


def register(app: App, services: Services) -> None:
    # Every decision makes its move in one write transaction: the inbox row's end rides in it (bot/intake/inbox.py).
    services.inbox.handle(InboxKind.DECISION, partial(handle_decision, services=services), one_transaction=True)
    for action_id in DECISIONS:
        app.action(action_id.value, middleware=[partial(receive, services=services)])(
            partial(decide, services=services)
        )
    app.action(ActionId.EDIT.value)(partial(edit, services=services))
    app.action(ActionId.REQUEST_CHANGES.value)(partial(ask_reason, services=services))
    app.action(ActionId.REJECT.value)(partial(ask_reason, services=services))
    app.action(ActionId.CHANGE_TIME.value)(partial(change_time, services=services))
    app.action(ActionId.ADD_DELETE_REASON.value)(partial(ask_delete_reason, services=services))
    app.action(UNKNOWN_ACTION)(partial(unknown, services=services))


# Any action id that isn't one of ours (a card from another app version, a forged payload) gets a clear refusal
# rather than Bolt's 404. It never matches one of ours, so listeners registered after it still get theirs.
_OURS = "|".join(re.escape(a.value) for a in ActionId)
UNKNOWN_ACTION = re.compile(rf"^(?!(?:{_OURS})\Z)")


def read(body: dict[str, Any], services: Services) -> tuple[CardRef, Actor] | None:
    """The button's ref and the clicker (with their Grid organisation when it matters), or None if the
    payload doesn't carry them."""
    try:
        action = body["actions"][0]
        ref, actor = CardRef.parse(action.get("value")), Actor.from_body(body)
    except (BadRef, KeyError, IndexError, TypeError, AttributeError):
        return None
    return ref, services.organisation.resolve(actor)


def parse(body: dict[str, Any], services: Services) -> tuple[CardRef, Actor] | None:
    """The button's ref and the clicker, or None after telling the clicker it was malformed."""
    parsed = read(body, services)
    if parsed is None:
        _refuse_malformed(body, services)
    return parsed


def _refuse_malformed(body: dict[str, Any], services: Services) -> None:
    user = body.get("user")
    user_id = slack_id(user.get("id")) if isinstance(user, dict) else None
    if user_id is not None:
        _tell(body, user_id, refusal(Outcome(Kind.BAD_REQUEST)), services)


def _tell(body: dict[str, Any], user_id: str, text: str, services: Services) -> None:
    """What a click came to, where the clicker looks: privately under the card, or on top of their App Home
    (a view has no channel for an ephemeral), which is published afresh since its queue is likely stale."""
    if _clicked_in_home(body):
        services.home.publish(user_id, notice=text)
    else:
        services.notifier.ephemeral(_channel(body), user_id, text)


def _container(body: dict[str, Any]) -> dict[str, Any]:
    """Where the button was: a message (`channel_id`, `message_ts`) or a view (`type: view`)."""
    container = body.get("container")
    return container if isinstance(container, dict) else {}


def _channel(body: dict[str, Any]) -> str | None:
    return slack_id(_container(body).get("channel_id"))


def unknown(ack: Ack, body: dict[str, Any], services: Services) -> None:
    ack()
    _refuse_malformed(body, services)


def _settle(outcome: Outcome, body: dict[str, Any], ref: CardRef, actor: Actor, services: Services) -> None:
    in_home = _clicked_in_home(body)  # a click on a card leaves the Home tab to its next opening
    if outcome.refused:  # e.g. decided meanwhile by someone else
        _tell(body, actor.user_id, refusal(outcome), services)
    elif outcome.draft is not None and outcome.draft.id is not None:
        services.decision_taken(outcome.draft.id, actor.user_id, refresh_home=in_home, outcome=outcome)
    clicked = _channel(body), _message_ts(body)
    if clicked[0] and clicked[1]:
        services.desk_of(ref.draft_id).notifier.show_on_unrecorded(ref.draft_id, clicked[0], clicked[1], actor.user_id)


def _clicked_in_home(body: dict[str, Any]) -> bool:
    view = body.get("view")
    return _container(body).get("type") == "view" and isinstance(view, dict) and view.get("type") == "home"


def _message_ts(body: dict[str, Any]) -> str | None:
    return slack_ts(_container(body).get("message_ts"))


def receive(ack: Ack, body: dict[str, Any], context: dict[str, Any], next: Any, services: Services) -> Any:
    """The click is written to the inbox (one INSERT) and acknowledged on the request thread, so a crash just
    after the 200 can't lose a decision and Slack hears back without waiting for a listener thread.
    (Listener middleware: Bolt injects the arguments by these names.)"""
    context["inbox_id"] = services.inbox.receive(InboxKind.DECISION, body, holds_draft=_undo_of(body))
    ack()
    return next()


def _undo_of(body: dict[str, Any]) -> int | None:
    """An Undo click's draft: its inbox row keeps the publisher off the draft until the click is handled."""
    try:
        action = body["actions"][0]
        return CardRef.parse(action.get("value")).draft_id if action.get("action_id") == ActionId.UNDO else None
    except (BadRef, KeyError, IndexError, TypeError, AttributeError):
        return None


def decide(body: dict[str, Any], context: dict[str, Any], services: Services) -> None:
    services.inbox.process(context["inbox_id"], InboxKind.DECISION, body)


def handle_decision(body: dict[str, Any], replay: bool, services: Services) -> FollowUp | None:
    """Approve; or Retry a failed post; or, when X didn't confirm one, Publish again, Mark as published, Cancel.

    A replay (the process that acked the click stopped) makes the same move but keeps quiet about refusals:
    the likeliest one is "already decided", by the very click being replayed."""
    parsed = read(body, services)
    if parsed is None:
        return None if replay else partial(_refuse_malformed, body, services)
    action = ActionId(body["actions"][0]["action_id"])
    desk = services.desk_of(parsed[0].draft_id)  # the draft's brand decides who may move it
    if action is ActionId.MARK_PUBLISHED and (part := desk.marking.part_to_link(*parsed)):
        # The rest of the thread must reply to the uncertain part: ask for its link (a replay can't open a form).
        modal = part_link_modal(parsed[0], part.part, part.parts, part.network)
        return None if replay else partial(_open, services.client, body, modal, parsed[1], services)
    if action in DELETES:  # claimed now; X is called after the inbox row is done (bot/delivery/deleter.py)
        ref, actor = parsed
        outcome = desk.deleter.request(ref.draft_id, actor, via="button")
        if outcome.refused and replay:
            return None
        return partial(_delete, outcome, body, ref, actor, services)
    moves = {
        ActionId.APPROVE: desk.workflow.approve,
        ActionId.RETRY: desk.workflow.retry,
        ActionId.PUBLISH_AGAIN: desk.workflow.publish_again,
        ActionId.MARK_PUBLISHED: desk.marking.mark_published,
        ActionId.CANCEL: desk.workflow.cancel_unknown,
        ActionId.APPROVE_NOW: desk.workflow.approve_now,
        ActionId.POST_NOW: desk.workflow.post_now,
        ActionId.UNSCHEDULE: desk.workflow.unschedule,
    }
    outcome = desk.workflow.undo(*parsed, replayed=replay) if action is ActionId.UNDO else moves[action](*parsed)
    if outcome.refused and replay:
        return None
    settle = partial(_settle, outcome, body, *parsed, services)
    if action is ActionId.UNDO and outcome.kind is Kind.UNDONE and not replay:
        return partial(_ask_why_undone, settle, body, *parsed, services)
    return settle


def _ask_why_undone(settle: FollowUp, body: dict[str, Any], ref: CardRef, actor: Actor, services: Services) -> None:
    """The Undo is already done; then the optional why (first: Slack's trigger id lasts 3 s), then the cards."""
    _open(services.client, body, undo_reason_modal(ref), actor, services)
    settle()


def _delete(outcome: Outcome, body: dict[str, Any], ref: CardRef, actor: Actor, services: Services) -> None:
    """Cards say "deleting…", then every part is deleted from X (cards and the writer's thread hear the end)."""
    if outcome.refused:
        _tell(body, actor.user_id, delete_refusal(outcome), services)
        return
    _settle(outcome, body, ref, actor, services)
    services.desk_of(ref.draft_id).deleter.run(ref.draft_id, outcome.attempt_id)


def _to_decide(body: dict[str, Any], services: Services) -> tuple[CardRef, Actor, Draft] | None:
    """The draft behind a button that opens a form, if the clicker may decide on it; else they are told why."""
    parsed = parse(body, services)
    if not parsed:
        return None
    ref, actor = parsed
    draft, refused = services.desk_of(ref.draft_id).workflow.decidable(ref, actor)
    if draft is None:
        _tell(body, actor.user_id, refusal(refused or Outcome(Kind.NOT_FOUND)), services)
        return None
    return ref, actor, draft


def edit(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    ack()
    found = _to_decide(body, services)
    if not found:
        return
    ref, actor, draft = found
    workflow = services.desk_of(ref.draft_id).workflow
    text = workflow.text_for_edit(draft)  # with the images' `alt:` lines, if it has images
    if len(text) > INPUT_LIMIT:
        _tell(body, actor.user_id, too_long_to_edit(INPUT_LIMIT), services)
        return
    modal = edit_modal(ref, text, workflow.attribution_for(draft, actor.user_id))  # the draft's brand's voice
    _open(client, body, modal, actor, services)


def ask_reason(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    ack()
    found = _to_decide(body, services)
    if not found:
        return
    ref, actor, draft = found
    is_reject = body["actions"][0].get("action_id") == ActionId.REJECT
    callback = CallbackId.REJECT if is_reject else CallbackId.REQUEST_CHANGES
    _open(client, body, reason_modal(callback, ref, draft.text), actor, services)


def ask_delete_reason(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    """*Add a reason* on a card whose post was deleted: the form, for an approver of this organisation (a refusal
    names the draft's networks, read from its deliveries)."""
    ack()
    parsed = parse(body, services)
    if not parsed:
        return
    ref, actor = parsed
    draft = services.store.get(ref.draft_id)
    desk = services.desk_of(ref.draft_id)
    refused = desk.policy.refusal(actor)
    if refused is not None or draft is None:
        delivered = tuple(desk.deleter.delivered(ref.draft_id)) if draft is not None else ()  # who it names
        _tell(
            body,
            actor.user_id,
            delete_refusal(Outcome(refused or Kind.NOT_FOUND, draft=draft, delivered=delivered)),
            services,
        )
        return
    _open(client, body, reason_modal(CallbackId.DELETE_REASON, ref, draft.text), actor, services)


def change_time(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    """The date-time picker: on a pending card it approves for the picked time; on a scheduled one it moves it."""
    ack()
    parsed = parse(body, services)
    if not parsed:
        return
    ref, actor = parsed
    draft = services.store.get(ref.draft_id)
    approving = draft is not None and draft.status == Status.PENDING
    if approving:
        found = _to_decide(body, services)
        if not found:
            return
    else:
        desk = services.desk_of(ref.draft_id)
        refused = desk.policy.refusal(actor, draft)
        if refused is None and (draft is None or not desk.workflow.movable(draft)):
            refused = Kind.NOT_SCHEDULED
        if refused is not None:
            services.notifier.ephemeral(_channel(body), actor.user_id, refusal(Outcome(refused, draft=draft)))
            return
    assert draft is not None
    modal = change_time_modal(ref, draft.publish_at, services.desk(draft.brand).brand.timezone, approving)
    _open(client, body, modal, actor, services)


def _open(client: WebClient, body: dict[str, Any], view: dict[str, Any], actor: Actor, services: Services) -> None:
    try:
        client.views_open(trigger_id=body.get("trigger_id", ""), view=view)
    except SlackApiError as exc:
        error = exc.response.get("error")
        text = (
            "That took too long for Slack to open the form. Please click the button again."
            if error == "expired_trigger_id"
            else f"Slack couldn't open the form ({error}). Please try again."
        )
        _tell(body, actor.user_id, text, services)
