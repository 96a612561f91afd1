"""Messages in the drafts channel: new drafts, the writer's edits and deletions."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App

from bot.inbox import FollowUp, InboxKind
from bot.outcomes import Outcome
from bot.refs import IncomingMessage, slack_event_id, slack_id, slack_text, slack_ts
from bot.services import Services
from bot.slack_text import SlackText, from_message

SUBTYPES = (None, "file_share", "message_changed", "message_deleted")  # what a writer's message can be


def register(app: App, services: Services) -> None:
    services.inbox.handle(InboxKind.MESSAGE, partial(handle, services=services))
    app.event("message", middleware=[partial(receive, services=services)])(partial(on_message, services=services))


def receive(body: dict[str, Any], event: dict[str, Any], context: dict[str, Any], next: Any, services: Services) -> Any:
    """A message in the drafts channel is written to the inbox before Slack hears back (one INSERT).

    Bolt acknowledges an event before its listener runs, and Slack never redelivers an acknowledged
    event: a crash right after the 200 would lose the draft. Listener middleware runs before that ack,
    so the write happens here; if it fails, Slack gets no 200 and retries. The draft itself is made after.
    (Bolt injects the arguments by these names.)
    """
    if event.get("channel") == services.settings.drafts_channel and event.get("subtype") in SUBTYPES:
        context["inbox_id"] = services.inbox.receive(InboxKind.MESSAGE, body)
    return next()


def on_message(ack: Ack, body: dict[str, Any], context: dict[str, Any], services: Services) -> None:
    ack()
    item_id = context.get("inbox_id")
    if item_id is not None:
        services.inbox.process(item_id, InboxKind.MESSAGE, body)


def handle(body: dict[str, Any], replay: bool, services: Services) -> FollowUp | None:
    """The writer's move (a new draft, a revision, a withdrawal); then cards and the thread reply."""
    event = body.get("event")
    recorded = record(body, event, services) if isinstance(event, dict) else None
    return partial(services.notifier.intake, *recorded) if recorded is not None else None


Recorded = tuple[Outcome, str, str]


def record(body: dict[str, Any], event: dict[str, Any], services: Services) -> Recorded | None:
    event_id = slack_event_id(body.get("event_id"))
    match event.get("subtype"):  # literal patterns only: a subtype can be any JSON value, even an unhashable one
        case "message_changed":
            return on_edit(event, event_id, services)
        case "message_deleted":
            return on_delete(event, event_id, services)
        case None | "file_share":
            return on_new(event, event_id, services)
    return None


def _is_writers_top_level(message: dict[str, Any]) -> bool:
    """A person's own message at the top of the channel: not a bot's, not a thread reply."""
    if message.get("bot_id") or message.get("subtype") == "bot_message":
        return False
    if slack_id(message.get("user")) is None or slack_ts(message.get("ts")) is None:
        return False
    thread_ts = message.get("thread_ts")
    return thread_ts is None or thread_ts == message.get("ts")


def _text(message: dict[str, Any], services: Services) -> SlackText:
    """The post's characters from the message's rich_text blocks (or its mrkdwn `text`), mentions as names.

    Names come from the directory (users.info, cached) here, before the workflow opens a transaction: no Slack
    call may run inside one.
    """
    text = slack_text(message.get("text"))
    return from_message({**message, "text": text or ""}, services.workflow.directory.name)


def on_new(event: dict[str, Any], event_id: str | None, services: Services) -> Recorded | None:
    if not _is_writers_top_level(event):
        return None
    converted = _text(event, services)
    message = IncomingMessage(
        channel=event["channel"],
        ts=event["ts"],
        user=event["user"],
        text=converted.text,
        has_files=bool(event.get("files")),
        event_id=event_id,
        refusals=converted.refusals,
    )
    return services.workflow.submit(message), message.channel, message.ts


def on_edit(event: dict[str, Any], event_id: str | None, services: Services) -> Recorded | None:
    edited = event.get("message")
    if not isinstance(edited, dict) or not _is_writers_top_level(edited):
        return None
    converted = _text(edited, services)
    message = IncomingMessage(
        channel=event["channel"],
        ts=edited["ts"],
        user=edited["user"],
        text=converted.text,
        event_id=event_id,
        refusals=converted.refusals,
    )
    return services.workflow.revise(message), message.channel, message.ts


def on_delete(event: dict[str, Any], event_id: str | None, services: Services) -> Recorded | None:
    deleted_ts = slack_ts(event.get("deleted_ts"))
    if deleted_ts is None:
        return None
    return services.workflow.withdraw(event["channel"], deleted_ts, event_id), event["channel"], deleted_ts
