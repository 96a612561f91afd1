"""Finding a message Slack kept although its chat.postMessage never answered.

A connection reset after Slack took a post leaves the app not knowing whether the card or the writer's reply
exists. Posting it again blindly makes a second one; so each card and decision reply carries message
`metadata` naming what it is, and the catch-up reads the conversation back before posting again. When Slack
can't say (no `im:history` scope, rate limited, unreachable), the answer is "not found": a second message is
better than none.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.ids import MetadataType

log = logging.getLogger(__name__)
HISTORY_PAGE = 200


def card_metadata(draft_id: int, approver_id: str) -> dict[str, Any]:
    return {"event_type": MetadataType.CARD.value, "event_payload": {"draft_id": draft_id, "approver": approver_id}}


def reply_metadata(draft_id: int, move_id: int) -> dict[str, Any]:
    return {"event_type": MetadataType.REPLY.value, "event_payload": {"draft_id": draft_id, "move_id": move_id}}


def _ours(message: Any, wanted: dict[str, Any], bot_user_id: str) -> bool:
    if not isinstance(message, dict) or message.get("user") != bot_user_id:
        return False
    metadata = message.get("metadata")
    return isinstance(metadata, dict) and metadata == wanted


def _read(what: str, call: Any) -> list[Any]:
    try:
        messages = call()["messages"]
    except (SlackApiError, OSError, KeyError, TypeError) as exc:
        why = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
        log.warning("could not read %s back from Slack (%s); posting it again", what, why)
        return []
    return messages if isinstance(messages, list) else []


def find_card(
    client: WebClient, target: str, draft_id: int, approver_id: str, bot_user_id: str
) -> tuple[str, str] | None:
    """(channel, ts) of this draft's card for `approver_id` if Slack already has it among the newest messages
    of `target` (a user id means the app's DM with them, whose channel id conversations.open gives), else None.
    The catch-up runs within minutes of the lost post, so the newest page is where it would be."""
    channel = target
    if target[:1] in "UW":
        try:
            channel = str(client.conversations_open(users=target)["channel"]["id"])
        except (SlackApiError, OSError, KeyError, TypeError):
            return None
    wanted = card_metadata(draft_id, approver_id)
    messages = _read(
        f"draft {draft_id}'s card",
        lambda: client.conversations_history(channel=channel, limit=HISTORY_PAGE, include_all_metadata=True),
    )
    found = next((m for m in messages if _ours(m, wanted, bot_user_id)), None)
    return (channel, str(found["ts"])) if found else None


def reply_exists(
    client: WebClient, channel: str, thread_ts: str, draft_id: int, move_id: int, bot_user_id: str
) -> bool:
    """Whether the writer's thread already has the reply about this move."""
    wanted = reply_metadata(draft_id, move_id)
    messages = _read(
        f"draft {draft_id}'s reply",
        lambda: client.conversations_replies(
            channel=channel, ts=thread_ts, limit=HISTORY_PAGE, include_all_metadata=True
        ),
    )
    return any(_ours(m, wanted, bot_user_id) for m in messages)
