"""What the Slack stand-in remembers (messages, views, users) and the Web API methods that change it.

Kept apart from the HTTP layer so the semantics (DM channel ids, one-shot trigger ids, view hashes,
edit history) can be read in one place. Callers hold the sandbox lock.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.sandbox.slack_blocks import MESSAGE_BLOCK_LIMIT, block_errors, view_errors

if TYPE_CHECKING:
    from bot.sandbox.slack_directory import Channel


class SlackError(Exception):
    """An `ok: false` answer; `extra` adds fields such as response_metadata."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


@dataclass
class ApiCall:
    """One Web API call as received (recorded on arrival; `response` is filled once answered)."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float
    path: str = ""
    status: int | None = None
    response: dict[str, Any] | None = None


@dataclass
class MessageVersion:
    text: str
    blocks: list[dict[str, Any]]
    at: float


@dataclass
class Message:
    """A posted message with chat.update applied; `history` holds the replaced versions, oldest first."""

    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None = None
    history: list[MessageVersion] = field(default_factory=list)
    user: str = ""
    bot_id: str = ""
    metadata: dict[str, Any] | None = None

    def as_payload(self) -> dict[str, Any]:
        """The message object Slack embeds in events and block_actions payloads."""
        payload: dict[str, Any] = {
            "type": "message",
            "user": self.user,
            "bot_id": self.bot_id,
            "ts": self.ts,
            "text": self.text,
            "blocks": copy.deepcopy(self.blocks),
        }
        if self.thread_ts:
            payload["thread_ts"] = self.thread_ts
        return payload


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    thread_ts: str | None
    message_ts: str


@dataclass
class View:
    """A modal or Home tab as the app last sent it; `history` holds earlier versions of `view`."""

    id: str
    type: str
    hash: str
    view: dict[str, Any]
    user: str | None = None
    trigger_id: str | None = None
    previous_view_id: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return self.view.get("blocks") or []

    @property
    def callback_id(self) -> str:
        return self.view.get("callback_id", "")

    @property
    def private_metadata(self) -> str:
        return self.view.get("private_metadata", "")


@dataclass
class User:
    id: str
    name: str
    real_name: str
    display_name: str
    team_id: str
    is_bot: bool = False
    enterprise_id: str | None = None  # Enterprise Grid: users.info then carries `enterprise_user`
    deleted: bool = False  # deactivated: users.info still answers, with `deleted: true`

    def as_payload(self) -> dict[str, Any]:
        profile = {
            "real_name": self.real_name,
            "display_name": self.display_name,
            "real_name_normalized": self.real_name,
            "display_name_normalized": self.display_name,
        }
        payload = {
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": self.deleted,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "profile": profile,
        }
        if self.enterprise_id:
            payload["enterprise_user"] = {
                "id": self.id,
                "enterprise_id": self.enterprise_id,
                "enterprise_name": self.enterprise_id,
                "is_admin": False,
                "is_owner": False,
                "teams": [self.team_id],
            }
        return payload


def dm_channel_for(user_id: str) -> str:
    """Slack posts to a user id in the app's DM; the sandbox names that DM D + the user id's suffix."""
    return "D" + user_id[1:]


def _is_user_id(value: str) -> bool:
    return len(value) > 1 and value[0] in "UW" and value[1:].isalnum() and value.upper() == value


class Workspace:
    """State and semantics of the Web API methods the app uses."""

    TS_BASE = 1_763_900_000_000_000  # microseconds; ts strings increase strictly and sort as strings

    def __init__(
        self, team_id: str, bot_user_id: str, bot_id: str, app_id: str, domain: str, trigger_ttl: float | None
    ) -> None:
        self.team_id, self.bot_user_id, self.bot_id, self.app_id = team_id, bot_user_id, bot_id, app_id
        self.domain = domain
        self.trigger_ttl = trigger_ttl
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}  # declared for conversations.info (slack_directory)
        self.scopes: tuple[str, ...] = ()  # the bot token's scopes, set by SlackSandbox
        self.reset()

    def reset(self) -> None:
        self.messages: dict[tuple[str, str], Message] = {}
        self.ephemerals: list[Ephemeral] = []
        self.views: dict[str, View] = {}
        self.modal_order: list[str] = []
        self.homes: dict[str, str] = {}
        self.used_triggers: set[str] = set()
        self.not_a_member: set[str] = set()  # channels the bot was never invited to (or was removed from)
        self._ts = self.TS_BASE
        self._counter = 0

    def next_ts(self) -> str:
        self._ts += 100
        return f"{self._ts // 1_000_000}.{self._ts % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}0SB{self._counter:06d}"

    def _new_hash(self) -> str:
        self._counter += 1
        return f"{self.next_ts()}.h{self._counter:08x}"

    # chat.*

    def post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if not channel:
            raise SlackError("channel_not_found")
        if _is_user_id(channel):
            channel = dm_channel_for(channel)
        if channel in self.not_a_member:  # chat:write without chat:write.public, as the manifest asks
            raise SlackError("not_in_channel")
        text, blocks = args.get("text"), args.get("blocks")
        if not text and not blocks and not args.get("attachments"):
            raise SlackError("no_text")
        self._check_blocks(blocks)
        thread_ts = args.get("thread_ts") or None
        message = Message(
            channel,
            self.next_ts(),
            text or "",
            blocks or [],
            thread_ts,
            user=self.bot_user_id,
            bot_id=self.bot_id,
            metadata=args.get("metadata"),
        )
        self.messages[(channel, message.ts)] = message
        payload = message.as_payload()
        payload["team"] = self.team_id
        return {"channel": channel, "ts": message.ts, "message": payload}

    def update_message(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._existing(args.get("channel"), args.get("ts"))
        if "blocks" in args:
            self._check_blocks(args["blocks"])
        message.history.append(MessageVersion(message.text, message.blocks, time.perf_counter()))
        # Slack keeps fields that are left out of chat.update; an explicit empty list clears blocks.
        if "text" in args:
            message.text = args["text"] or ""
        if "blocks" in args:
            message.blocks = args["blocks"] or []
        return {"channel": message.channel, "ts": message.ts, "text": message.text, "message": message.as_payload()}

    def post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel, user = str(args.get("channel") or ""), str(args.get("user") or "")
        if not channel or _is_user_id(channel):
            # Unlike chat.postMessage, an ephemeral needs a conversation the user is in: a user id is not one.
            raise SlackError("channel_not_found")
        if not user:
            raise SlackError("user_not_found")
        if not args.get("text") and not args.get("blocks"):
            raise SlackError("no_text")
        self._check_blocks(args.get("blocks"))
        ephemeral = Ephemeral(
            channel, user, args.get("text") or "", args.get("blocks") or [], args.get("thread_ts"), self.next_ts()
        )
        self.ephemerals.append(ephemeral)
        return {"message_ts": ephemeral.message_ts}

    def permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        message = self._existing(args.get("channel"), args.get("message_ts"))
        link = f"https://{self.domain}.slack.com/archives/{message.channel}/p{message.ts.replace('.', '')}"
        if message.thread_ts and message.thread_ts != message.ts:
            link += f"?thread_ts={message.thread_ts}&cid={message.channel}"
        return {"channel": message.channel, "permalink": link}

    def _existing(self, channel: Any, ts: Any) -> Message:
        channel = str(channel or "")
        if not channel or _is_user_id(channel):
            # chat.update/getPermalink need the DM's channel id, not the user id (Slack's docs insist).
            raise SlackError("channel_not_found")
        message = self.messages.get((channel, str(ts or "")))
        if message is None:
            raise SlackError("message_not_found")
        return message

    def _check_blocks(self, blocks: Any) -> None:
        if blocks is None:
            return
        errors = block_errors(blocks, MESSAGE_BLOCK_LIMIT)
        if errors:
            raise SlackError(
                "invalid_blocks", errors=errors, response_metadata={"messages": [f"[ERROR] {e}" for e in errors]}
            )

    # conversations.* / users.*

    def open_conversation(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            return {"channel": {"id": args["channel"]}, "no_op": True, "already_open": True}
        users = args.get("users") or ""
        ids = [u.strip() for u in (users if isinstance(users, list) else str(users).split(",")) if u.strip()]
        if not ids:
            raise SlackError("users_list_not_supplied")
        if len(ids) == 1:
            return {"channel": {"id": dm_channel_for(ids[0])}, "no_op": True, "already_open": True}
        return {"channel": {"id": "G" + "".join(sorted(i[1:] for i in ids))[:20]}}

    def user_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user") or ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user.as_payload()}

    # views.*

    def _check_view(self, view: Any) -> dict[str, Any]:
        errors = view_errors(view)
        if errors:
            raise SlackError("invalid_arguments", response_metadata={"messages": [f"[ERROR] {e}" for e in errors]})
        return copy.deepcopy(view)

    def _use_trigger(self, trigger_id: Any) -> str:
        trigger = str(trigger_id or "")
        if not trigger:
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: trigger_id"]}
            )
        if trigger in self.used_triggers or trigger.startswith("expired"):
            raise SlackError("expired_trigger_id")
        issued = _issued_at(trigger)
        if self.trigger_ttl is not None and issued is not None and time.time() - issued > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        self.used_triggers.add(trigger)
        return trigger

    def open_view(self, args: dict[str, Any], push: bool = False) -> dict[str, Any]:
        trigger = self._use_trigger(args.get("trigger_id"))
        body = self._check_view(args.get("view"))
        previous = self.modal_order[-1] if push and self.modal_order else None
        view = View(
            self._next_id("V"),
            body.get("type", "modal"),
            self._new_hash(),
            body,
            trigger_id=trigger,
            previous_view_id=previous,
        )
        self.views[view.id] = view
        self.modal_order.append(view.id)
        return {"view": self.view_payload(view)}

    def update_view(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            view_id = next(
                (v.id for v in self.views.values() if v.view.get("external_id") == args["external_id"]), None
            )
        view = self.views.get(str(view_id or ""))
        if view is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != view.hash:
            raise SlackError("hash_conflict")
        body = self._check_view(args.get("view"))
        view.history.append(view.view)
        view.view, view.hash = body, self._new_hash()
        return {"view": self.view_payload(view)}

    def publish_view(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user_id") or "")
        if not user:
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: user_id"]}
            )
        body = self._check_view(args.get("view"))
        if body.get("type") != "home":
            raise SlackError(
                "invalid_arguments", response_metadata={"messages": ["[ERROR] must be home [json-pointer:/view/type]"]}
            )
        existing = self.views.get(self.homes.get(user, ""))
        if existing is not None and args.get("hash") and args["hash"] != existing.hash:
            raise SlackError("hash_conflict")
        if existing is None:
            existing = View(self._next_id("V"), "home", self._new_hash(), body, user=user)
            self.views[existing.id] = existing
            self.homes[user] = existing.id
        else:
            existing.history.append(existing.view)
            existing.view, existing.hash = body, self._new_hash()
        return {"view": self.view_payload(existing)}

    def view_payload(self, view: View) -> dict[str, Any]:
        payload = copy.deepcopy(view.view)
        payload.update(
            {
                "id": view.id,
                "team_id": self.team_id,
                "type": view.type,
                "hash": view.hash,
                "state": {"values": {}},
                "previous_view_id": view.previous_view_id,
                "root_view_id": view.id,
                "app_id": self.app_id,
                "bot_id": self.bot_id,
            }
        )
        payload.setdefault("private_metadata", "")
        payload.setdefault("callback_id", "")
        return payload


def _issued_at(trigger_id: str) -> float | None:
    """Driver-made trigger ids start with the issue time in ms, so the 3-second validity can be enforced."""
    head = trigger_id.split(".", 1)[0]
    if head.isdigit() and len(head) == 13:
        return int(head) / 1000
    return None
