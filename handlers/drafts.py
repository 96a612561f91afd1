"""Messages in the drafts channel: new drafts, the writer's edits and deletions."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App

from bot.approval.outcomes import Outcome
from bot.approval.refs import IncomingMessage, slack_event_id, slack_text
from bot.approval.workflow import Workflow
from bot.intake import media_intake
from bot.intake.inbox import FollowUp, InboxKind
from bot.intake.message_life import Life, classify
from bot.runtime.services import Services
from bot.slack.files import SlackFiles
from bot.slack.text import SlackText, from_message

SUBTYPES = (None, "file_share", "message_changed", "message_deleted")  # what a writer's message can be


def register(app: App, services: Services) -> None:
    # A writer's move is one transaction (submit, revise or withdraw): the inbox row's end rides in it.
    services.inbox.handle(InboxKind.MESSAGE, partial(handle, services=services), one_transaction=True)
    app.event("message", middleware=[partial(receive, services=services)])(partial(on_message, services=services))


def receive(body: dict[str, Any], event: dict[str, Any], context: dict[str, Any], next: Any, services: Services) -> Any:
    """A message in the drafts channel is written to the inbox before Slack hears back (one INSERT).

    Bolt acknowledges an event before its listener runs, and Slack never redelivers an acknowledged
    event: a crash right after the 200 would lose the draft. Listener middleware runs before that ack,
    so the write happens here; if it fails, Slack gets no 200 and retries. The draft itself is made after.
    (Bolt injects the arguments by these names.)
    """
    if services.desk_for_channel(event.get("channel")) is not None and event.get("subtype") in SUBTYPES:
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
    # The brand whose drafts channel it is: the draft is that brand's, and so are its cards.
    desk = services.desk_for_channel(event.get("channel")) if isinstance(event, dict) else None
    if desk is None:  # the file changed since the message was recorded: no brand drafts there any more
        return None
    recorded = record(body, event, services, desk.workflow)
    return partial(desk.notifier.intake, *recorded) if recorded is not None else None


Recorded = tuple[Outcome, str, str]


def record(
    body: dict[str, Any], event: dict[str, Any], services: Services, workflow: Workflow | None = None
) -> Recorded | None:
    """Turn the event into its move on the draft (bot.intake.message_life says which), then make it, by `workflow`:
    the channel's brand's (default the first brand's)."""
    move = classify(event)
    if move is None:  # Slackbot, a bot, a thread reply, an unfurl: nothing a writer did to a draft
        return None
    event_id = slack_event_id(body.get("event_id"))
    channel = event["channel"]
    workflow = workflow or services.workflow
    if move.life is Life.DELETE:
        return workflow.withdraw(channel, move.ts, event_id, user=move.user), channel, move.ts
    converted = _text(move.message, services)
    download = partial(_download, services=services)
    limits = workflow.image_limits() if move.message.get("files") else {}  # Mastodon's: read from its instance
    media = media_intake.read(move.message, converted.text, download, limits)  # no tx open yet
    message = IncomingMessage(
        channel=channel,
        ts=move.ts,
        user=move.message["user"],
        text=media.text,
        has_files=bool(move.message.get("files")),
        event_id=event_id,
        edited_ts=move.edited_ts,
        refusals=converted.refusals,
        media=media.items,
        media_refusals=media.refusals,
        media_dropped=media.dropped,
    )
    if move.life is Life.EDIT:
        return workflow.revise(message), channel, move.ts
    return workflow.submit(message), channel, move.ts


def _download(url: str, services: Services) -> bytes:
    """A file of the message, with the bot token (only a message with files gets here)."""
    return SlackFiles(services.settings.slack_bot_token, services.settings.slack_api_url).download(url)


def _text(message: dict[str, Any], services: Services) -> SlackText:
    """The post's characters from the message's rich_text blocks (or its mrkdwn `text`), mentions as names.

    The one place a message's text is read. Names come from the directory (users.info, cached) here, before the
    workflow opens a transaction: no Slack call may run inside one.
    """
    text = slack_text(message.get("text"))
    return from_message({**message, "text": text or ""}, services.workflow.directory.name)
