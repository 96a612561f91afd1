"""conversations.history and conversations.replies on the Slack stand-in: what the app posted, read back.

The app reads history for one thing: after a post whose answer never came (a connection reset after Slack
took it), to find the message Slack kept instead of posting a second one. So these answer like Slack's:
channel ids only (a user id is `channel_not_found`), newest first for history, the parent then its replies
oldest first for replies, thread replies left out of history, and `metadata` only with `include_all_metadata`.
Messages the driver sent into the app (a writer's draft) are not kept here; a thread's replies still are.
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.slack_directory import membership
from bot.sandbox.slack_state import Message, SlackError, Workspace

MAX_LIMIT = 999


def _shown(workspace: Workspace, message: Message, with_metadata: bool) -> dict[str, Any]:
    payload = {**message.as_payload(), "team": workspace.team_id}
    if with_metadata and message.metadata:
        payload["metadata"] = message.metadata
    return payload


def _channel(args: dict[str, Any]) -> str:
    channel = str(args.get("channel") or "")
    if not channel or channel[0] not in "CDG":  # a user id is not a conversation
        raise SlackError("channel_not_found")
    return channel


def _window(args: dict[str, Any]) -> tuple[float, float, int]:
    try:
        oldest = float(args.get("oldest") or 0)
        latest = float(args.get("latest") or 9e12)
        limit = min(int(args.get("limit") or 100), MAX_LIMIT)
    except ValueError:
        raise SlackError("invalid_arguments") from None
    return oldest, latest, max(1, limit)


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def history(workspace: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _channel(args)
    membership(workspace, channel)
    oldest, latest, limit = _window(args)
    found = [
        m
        for (c, _), m in workspace.messages.items()
        if c == channel and not (m.thread_ts and m.thread_ts != m.ts) and oldest < float(m.ts) <= latest
    ]
    found.sort(key=lambda m: m.ts, reverse=True)
    with_metadata = _flag(args.get("include_all_metadata"))
    shown = [_shown(workspace, m, with_metadata) for m in found[:limit]]
    return {"messages": shown, "has_more": len(found) > limit, "response_metadata": {"next_cursor": ""}}


def replies(workspace: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel = _channel(args)
    ts = str(args.get("ts") or "")
    if not ts:
        raise SlackError("invalid_arguments")
    oldest, latest, limit = _window(args)
    thread = [m for (c, _), m in workspace.messages.items() if c == channel and (m.ts == ts or m.thread_ts == ts)]
    if not thread:
        raise SlackError("thread_not_found")
    thread.sort(key=lambda m: (m.ts != ts, m.ts))  # the parent first, then replies oldest first
    window = [m for m in thread if m.ts == ts or oldest < float(m.ts) <= latest]
    with_metadata = _flag(args.get("include_all_metadata"))
    shown = [_shown(workspace, m, with_metadata) for m in window[:limit]]
    return {"messages": shown, "has_more": len(window) > limit, "response_metadata": {"next_cursor": ""}}
