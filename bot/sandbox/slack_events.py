"""Events API bodies as Slack shapes them (see slack-payloads.md), shared by HTTP and Socket Mode.

Pure functions, so the same event can be delivered over HTTP by SlackDriver or wrapped in a Socket Mode
envelope, and so the shapes (edits, deletions, file shares, retries) are defined once.
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

from bot.sandbox.slack_rich_text import rich_text_block
from bot.sandbox.slack_state import dm_channel_for

Blocks = bool | list[dict[str, Any]]  # True: built from the text as Slack's client would; False: none (API-posted)


def with_blocks(message: dict[str, Any], blocks: Blocks = True) -> dict[str, Any]:
    """A person's message carries `blocks: [rich_text]` beside its mrkdwn `text`, as every message typed in a
    Slack client does; `blocks=False` is a message posted through the API (text only); a list is sent as is
    (hand-written blocks: a custom emoji, a date, a colour)."""
    if blocks is True:
        message["blocks"] = [rich_text_block(str(message.get("text") or ""))]
    elif isinstance(blocks, list):
        message["blocks"] = blocks
    return message


def channel_type(channel: str) -> str:
    """Slack's channel_type for an id: im for D…, group for G… (private), channel otherwise."""
    return {"D": "im", "G": "group"}.get(channel[:1], "channel")


def event_callback(
    event: dict[str, Any],
    event_id: str,
    team_id: str,
    api_app_id: str,
    bot_user_id: str,
    enterprise_id: str | None = None,
) -> dict[str, Any]:
    """The event_callback body; also the `payload` of a Socket Mode events_api envelope. `enterprise_id`: the
    workspace's Enterprise Grid organisation, if any."""
    grid = {"enterprise_id": enterprise_id} if enterprise_id else {}
    return {
        "token": "legacy",
        **grid,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": enterprise_id,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_hex(8)}",
    }


def message_event(
    user: str,
    text: str,
    channel: str,
    ts: str,
    team_id: str,
    thread_ts: str | None = None,
    files: list[dict[str, Any]] | None = None,
    bot_id: str | None = None,
    blocks: Blocks = True,
    **fields: Any,
) -> dict[str, Any]:
    """A message event (file_share subtype when files are attached); extra `fields` are merged in."""
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "channel_type": channel_type(channel),
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "team": team_id,
    }
    if bot_id:
        event["bot_id"] = bot_id
    else:
        event["client_msg_id"] = str(uuid.uuid4())
        with_blocks(event, blocks)
    if thread_ts:
        event["thread_ts"] = thread_ts
    if files:
        event.update({"subtype": "file_share", "files": files, "upload": False})
    event.update(fields)
    return event


def _changed(channel: str, event_ts: str, message: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The `message_changed` envelope every change of a message comes in: an edit, a tombstone, an unfurl."""
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel,
        "channel_type": channel_type(channel),
        "ts": event_ts,
        "event_ts": event_ts,
        "message": message,
        "previous_message": before,
    }


def message_changed(
    user: str,
    channel: str,
    ts: str,
    new_text: str,
    old_text: str,
    edit_ts: str,
    team_id: str,
    thread_ts: str | None = None,
    blocks: Blocks = True,
) -> dict[str, Any]:
    """An edit: the whole message after it in `message` (original ts, `edited`), before it in `previous_message`."""
    before: dict[str, Any] = {"type": "message", "user": user, "text": old_text, "ts": ts, "team": team_id}
    if thread_ts:
        before["thread_ts"] = thread_ts
    after = with_blocks({**before, "text": new_text, "edited": {"user": user, "ts": edit_ts}}, blocks)
    with_blocks(before, bool(blocks))
    return _changed(channel, edit_ts, after, before)


def message_deleted(channel: str, ts: str, old_text: str, user: str, event_ts: str) -> dict[str, Any]:
    """A deletion of the message at `ts` (`deleted_ts`), with what it said in `previous_message`."""
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": channel,
        "channel_type": channel_type(channel),
        "ts": event_ts,
        "event_ts": event_ts,
        "deleted_ts": ts,
        "previous_message": {"type": "message", "user": user, "text": old_text, "ts": ts},
    }


def app_home_opened(user: str, event_ts: str, tab: str = "home", view: dict[str, Any] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": dm_channel_for(user),
        "tab": tab,
        "event_ts": event_ts,
    }
    if view is not None:
        event["view"] = view
    return event


# -- a message's later life, as Slack reports it (see ../shared/reference/slack-and-x.md) --------------------

SLACKBOT = "USLACKBOT"  # Slackbot posts (reminders, tombstones) under this user id, with no bot_id
TOMBSTONE_TEXT = "This message was deleted."


def thread_fields(ts: str, replies: list[tuple[str, str]]) -> dict[str, Any]:
    """What a message that has thread replies carries about them; `replies` are (user, ts), oldest first."""
    users = list(dict.fromkeys(user for user, _ in replies))
    return {
        "thread_ts": ts,
        "reply_count": len(replies),
        "reply_users_count": len(users),
        "latest_reply": replies[-1][1] if replies else ts,
        "reply_users": users,
        "is_locked": False,
        "subscribed": False,
    }


def tombstone(ts: str, replies: list[tuple[str, str]]) -> dict[str, Any]:
    """What a deleted thread parent becomes: Slackbot's placeholder at the same ts, keeping the thread.
    Shape from hackclub/toriel#238."""
    return {
        "type": "message",
        "subtype": "tombstone",
        "text": TOMBSTONE_TEXT,
        "user": SLACKBOT,
        "hidden": True,
        "ts": ts,
        "parent_user_id": SLACKBOT,
        **thread_fields(ts, replies),
    }


def message_tombstoned(
    channel: str, ts: str, old_text: str, user: str, replies: list[tuple[str, str]], event_ts: str, team_id: str
) -> dict[str, Any]:
    """Deleting a message that has thread replies: not `message_deleted` but a `message_changed` to a tombstone."""
    before = {"type": "message", "user": user, "text": old_text, "ts": ts, "team": team_id}
    before.update(thread_fields(ts, replies))
    return _changed(channel, event_ts, tombstone(ts, replies), before)


def tombstone_deleted(channel: str, ts: str, replies: list[tuple[str, str]], event_ts: str) -> dict[str, Any]:
    """The tombstone itself going (its last reply was deleted): `message_deleted` of Slackbot's placeholder."""
    event = message_deleted(channel, ts, TOMBSTONE_TEXT, SLACKBOT, event_ts)
    event["previous_message"] = tombstone(ts, replies)
    return event


def message_unfurled(
    user: str, channel: str, ts: str, text: str, url: str, event_ts: str, team_id: str
) -> dict[str, Any]:
    """Slack unfurled a link: `message_changed` with the same text, new `attachments`, and no `edited`."""
    before: dict[str, Any] = {"type": "message", "user": user, "text": text, "ts": ts, "team": team_id}
    attachment = {
        "id": 1,
        "from_url": url,
        "original_url": url,
        "title_link": url,
        "title": "Northwind Coffee",
        "text": "Fresh beans, roasted daily.",
        "service_name": url.split("/")[2] if "//" in url else url,
        "fallback": f"Northwind Coffee: {url}",
    }
    return _changed(channel, event_ts, {**before, "attachments": [attachment]}, before)


def slackbot_message(text: str, channel: str, ts: str, team_id: str) -> dict[str, Any]:
    """Slackbot posting in a channel (a `/remind` firing): `user: USLACKBOT`, no `bot_id`, no subtype."""
    return {
        "type": "message",
        "channel": channel,
        "channel_type": channel_type(channel),
        "user": SLACKBOT,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "team": team_id,
    }
