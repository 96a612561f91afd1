"""Buttons on approval cards. Authorization is checked at the action, by the workflow."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import failures
from bot.blocks import INPUT_LIMIT, edit_modal, reason_modal
from bot.ids import ActionId, CallbackId
from bot.outcomes import Kind, Outcome
from bot.refs import Actor, BadRef, CardRef, slack_id
from bot.replies import refusal, too_long_to_edit
from bot.services import Services
from storage.models import Draft


def register(app: App, services: Services) -> None:
    app.action(ActionId.APPROVE.value)(partial(approve, services=services))
    app.action(ActionId.EDIT.value)(partial(edit, services=services))
    app.action(ActionId.REQUEST_CHANGES.value)(partial(ask_reason, services=services))
    app.action(ActionId.REJECT.value)(partial(ask_reason, services=services))
    for action_id in (ActionId.RETRY, ActionId.PUBLISH_AGAIN, ActionId.MARK_PUBLISHED, ActionId.CANCEL):
        app.action(action_id.value)(partial(settle_publishing, services=services))
    app.action(UNKNOWN_ACTION)(partial(unknown, services=services))


# Any action id that isn't one of ours (a card from another app version, a forged payload) gets a clear refusal
# rather than Bolt's 404. It never matches one of ours, so listeners registered after it still get theirs.
_OURS = "|".join(re.escape(a.value) for a in ActionId)
UNKNOWN_ACTION = re.compile(rf"^(?!(?:{_OURS})\Z)")


def read(body: dict[str, Any]) -> tuple[CardRef, Actor] | None:
    """The button's ref and the clicker, or None if the payload doesn't carry them."""
    try:
        action = body["actions"][0]
        return CardRef.parse(action.get("value")), Actor.from_body(body)
    except (BadRef, KeyError, IndexError, TypeError, AttributeError):
        return None


def parse(body: dict[str, Any], services: Services) -> tuple[CardRef, Actor] | None:
    """The button's ref and the clicker, or None after telling the clicker it was malformed."""
    parsed = read(body)
    if parsed is None:
        _refuse_malformed(body, services)
    return parsed


def _refuse_malformed(body: dict[str, Any], services: Services) -> None:
    user = body.get("user")
    user_id = slack_id(user.get("id")) if isinstance(user, dict) else None
    if user_id is not None:
        services.notifier.ephemeral(_channel(body), user_id, refusal(Outcome(Kind.BAD_REQUEST)))


def _channel(body: dict[str, Any]) -> str | None:
    container = body.get("container") or {}
    return slack_id(container.get("channel_id")) if isinstance(container, dict) else None


def unknown(ack: Ack, body: dict[str, Any], services: Services) -> None:
    ack()
    _refuse_malformed(body, services)


def _settle(outcome: Outcome, body: dict[str, Any], actor: Actor, services: Services) -> None:
    if outcome.refused:
        services.notifier.ephemeral(_channel(body), actor.user_id, refusal(outcome))
    elif outcome.draft is not None and outcome.draft.id is not None:
        services.decision_taken(outcome.draft.id, actor.user_id)


def approve(ack: Ack, body: dict[str, Any], services: Services) -> None:
    _decide_then_ack(ack, body, services, services.workflow.approve)


def settle_publishing(ack: Ack, body: dict[str, Any], services: Services) -> None:
    """Retry a failed post; or, when X didn't confirm one, publish again, mark it published, or cancel."""
    moves = {
        ActionId.RETRY: services.workflow.retry,
        ActionId.PUBLISH_AGAIN: services.workflow.publish_again,
        ActionId.MARK_PUBLISHED: services.workflow.mark_published,
        ActionId.CANCEL: services.workflow.cancel_unknown,
    }
    _decide_then_ack(ack, body, services, moves[ActionId(body["actions"][0]["action_id"])])


def _decide_then_ack(
    ack: Ack, body: dict[str, Any], services: Services, move: Callable[[CardRef, Actor], Outcome]
) -> None:
    """The click is recorded (one short compare-and-set) before Slack hears back, so a crash just after
    the 200 can't lose a decision; everything that talks to Slack or X comes after the ack."""
    parsed = read(body)
    try:
        outcome = move(*parsed) if parsed else None
    except Exception as exc:  # acked, so Bolt's error path (which would undo the ack) must not run
        ack()
        failures.report(services.notifier, body, exc)
        return
    ack()
    if parsed is None or outcome is None:
        _refuse_malformed(body, services)
        return
    _settle(outcome, body, parsed[1], services)


def _to_decide(body: dict[str, Any], services: Services) -> tuple[CardRef, Actor, Draft] | None:
    """The draft behind a button that opens a form, if the clicker may decide on it; else they are told why."""
    parsed = parse(body, services)
    if not parsed:
        return None
    ref, actor = parsed
    draft, refused = services.workflow.decidable(ref, actor)
    if draft is None:
        services.notifier.ephemeral(_channel(body), actor.user_id, refusal(refused or Outcome(Kind.NOT_FOUND)))
        return None
    return ref, actor, draft


def edit(ack: Ack, body: dict[str, Any], client: WebClient, services: Services) -> None:
    ack()
    found = _to_decide(body, services)
    if not found:
        return
    ref, actor, draft = found
    if len(draft.text) > INPUT_LIMIT:
        services.notifier.ephemeral(_channel(body), actor.user_id, too_long_to_edit(INPUT_LIMIT))
        return
    modal = edit_modal(ref, draft.text, services.workflow.attribution_for(draft, actor.user_id))
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
        services.notifier.ephemeral(_channel(body), actor.user_id, text)
