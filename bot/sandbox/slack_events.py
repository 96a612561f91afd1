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
    event: dict[str, Any], event_id: str, team_id: str, api_app_id: str, bot_user_id: str
) -> dict[str, Any]:
    """The event_callback body; also the `payload` of a Socket Mode events_api envelope."""
    return {
        "token": "legacy",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
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
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel,
        "channel_type": channel_type(channel),
        "ts": edit_ts,
        "event_ts": edit_ts,
        "message": after,
        "previous_message": before,
    }


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
