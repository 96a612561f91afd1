"""A message's life in the drafts channel, as Slack reports it, reduced to one of four moves.

Slack reports more than creations, edits and deletions, and not always under those names:
- deleting a message that has thread replies (every draft: we reply in its thread) is a `message_changed` whose
  `message` is Slackbot's *tombstone*, not a `message_deleted`; the tombstone's own deletion comes later;
- a link unfurl, a reply count going up, an attachment appearing are `message_changed` with no `edited`:
  nobody changed the text;
- Slackbot posts as `USLACKBOT` with no `bot_id` (a `/remind` firing);
- edits carry `message.edited.ts`, and deliveries arrive out of order and more than once, so edits are
  ordered by that stamp (`order_key`), never by arrival.

`classify` is pure: it reads only the event. Text is not read here (handlers/drafts.py reads it, in one place).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.approval.refs import slack_id, slack_ts

SLACKBOT = "USLACKBOT"
TOMBSTONE = "tombstone"
PERSONS_SUBTYPES = (None, "file_share")  # what a person's own top-level message can be


class Life(StrEnum):
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"


@dataclass(frozen=True)
class Move:
    """What happened to the message at `ts`. For CREATE and EDIT, `message` is the message as it now reads
    (the event itself, or `event.message`); an EDIT also has the stamp of the edit. DELETE carries whoever
    Slack names as the message's author, for the audit (may be None)."""

    life: Life
    ts: str
    message: dict[str, Any]
    edited_ts: str | None = None
    user: str | None = None


def classify(event: dict[str, Any]) -> Move | None:
    """The move a message event in the drafts channel makes, or None when it changes nothing of a draft."""
    match event.get("subtype"):  # literal patterns only: a subtype can be any JSON value, even an unhashable one
        case None | "file_share":
            return Move(Life.CREATE, event["ts"], event) if _persons_top_level(event) else None
        case "message_changed":
            return _changed(event.get("message"), event.get("previous_message"))
        case "message_deleted":
            return _deleted(slack_ts(event.get("deleted_ts")), event.get("previous_message"))
    return None


def _changed(message: object, previous: object) -> Move | None:
    if not isinstance(message, dict):
        return None
    if message.get("subtype") == TOMBSTONE:  # the message was deleted; its thread lives on under Slackbot
        ts = slack_ts(message.get("ts"))
        author = previous.get("user") if isinstance(previous, dict) else None
        return Move(Life.DELETE, ts, message, user=slack_id(author)) if ts else None
    if not _persons_top_level(message):
        return None
    edited = message.get("edited")
    edited_ts = slack_ts(edited.get("ts")) if isinstance(edited, dict) else None
    if edited_ts is None:  # an unfurl, an attachment, a reply count: the text is what it was
        return None
    return Move(Life.EDIT, message["ts"], message, edited_ts=edited_ts)


def _deleted(ts: str | None, previous: object) -> Move | None:
    if ts is None:
        return None
    if not isinstance(previous, dict):
        return Move(Life.DELETE, ts, {})
    if previous.get("bot_id") or _is_reply(previous, ts):
        return None  # a bot's message or a thread reply (ours, or a colleague's) went: no draft is affected
    return Move(Life.DELETE, ts, previous, user=slack_id(previous.get("user")))


def _persons_top_level(message: dict[str, Any]) -> bool:
    """A person's own message at the top of the channel: not a bot's, not Slackbot's, not a thread reply."""
    if message.get("subtype") not in PERSONS_SUBTYPES or message.get("bot_id"):
        return False
    user = slack_id(message.get("user"))
    ts = slack_ts(message.get("ts"))
    if user is None or user == SLACKBOT or ts is None:
        return False
    return not _is_reply(message, ts)


def _is_reply(message: dict[str, Any], ts: str) -> bool:
    thread_ts = message.get("thread_ts")
    return thread_ts is not None and thread_ts != ts


def order_key(ts: str) -> str:
    """A Slack ts as a string that sorts as the time it stands for, so the database can compare two edits.

    `ts` strings are seconds, a dot and a fraction (six digits today); comparing them as text goes wrong as soon
    as the lengths differ (`9.5` > `10.1`). Fixed widths make text order the numeric order: 16 + 1 + 15 = 32
    characters, the widths `refs.slack_ts` accepts.
    """
    seconds, _, fraction = ts.partition(".")
    return f"{int(seconds):016d}.{fraction.ljust(15, '0')[:15]}"
