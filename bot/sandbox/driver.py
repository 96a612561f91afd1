"""What Slack sends into the app over HTTP: signed events, button clicks, modal submissions, commands.

The bodies follow the shapes Slack really sends (JSON for events, `payload=` forms for interactivity, plain
forms for slash commands) and are signed like Slack signs them, so Bolt's request verification stays on in
tests. Every sender can forge, age or omit the signature to test that refusal path too.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import requests

from bot.sandbox import slack_events as events
from bot.sandbox.slack_blocks import find_button
from bot.sandbox.slack_events import channel_type
from bot.sandbox.slack_state import Message, View

__all__ = ["SlackDriver", "channel_type"]


class SlackDriver:
    """Sends Slack's requests to the app's /slack/events endpoint."""

    TS_BASE = 1_763_800_000_000_000  # microseconds; generated message ts values increase strictly

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        team_id: str = "T0ACME",
        api_app_id: str = "A0APP",
        bot_user_id: str = "U0BOT",
        *,
        team_domain: str = "acme",
        response_url_base: str | None = None,
        timeout: float = 10.0,
        replies_of: Callable[[str, str], list[tuple[str, str]]] | None = None,
        enterprise_id: str | None = None,
    ) -> None:
        """`replies_of(channel, ts)`: a message's thread replies as (user, ts) (`SlackSandbox.replies_of`)."""
        self.app_url = app_url
        self.replies_of = replies_of
        self.signing_secret = signing_secret
        self.team_id, self.api_app_id, self.bot_user_id = team_id, api_app_id, bot_user_id
        self.team_domain = team_domain
        # Enterprise Grid: the organisation of the workspace the app is installed in (None: a plain workspace).
        self.enterprise_id = enterprise_id
        self.response_url_base = response_url_base
        self.timeout = timeout
        self._lock = threading.Lock()
        self._ts = self.TS_BASE
        self._ids = itertools.count(1)

    # identifiers

    def next_ts(self) -> str:
        with self._lock:
            self._ts += 100
            value = self._ts
        return f"{value // 1_000_000}.{value % 1_000_000:06d}"

    def new_trigger_id(self) -> str:
        """Starts with the issue time in ms, which the Slack sandbox uses to expire it after 3 s."""
        return f"{int(time.time() * 1000)}.{next(self._ids)}.{secrets.token_hex(16)}"

    def new_event_id(self) -> str:
        return f"Ev{secrets.token_hex(5).upper()}"

    def response_url(self, kind: str = "commands") -> str:
        path = f"{kind}/{self.team_id}/{next(self._ids)}/{secrets.token_hex(12)}"
        if self.response_url_base:
            return self.response_url_base.rstrip("/") + "/" + path
        return f"https://hooks.slack.com/{path}"

    # signing and sending

    def sign(self, body: bytes, timestamp: int | None = None) -> dict[str, str]:
        """Slack's v0 signature headers for `body`."""
        stamp = int(time.time()) if timestamp is None else timestamp
        base = f"v0:{stamp}:".encode() + body
        digest = hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()
        return {"x-slack-signature": f"v0={digest}", "x-slack-request-timestamp": str(stamp)}

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
        signed: bool = True,
    ) -> requests.Response:
        """Send raw bytes; the other senders build Slack's bodies and end up here."""
        sent = {"Content-Type": content_type}
        if signed:
            sent.update(self.sign(body, timestamp))
            if signature is not None:
                sent["x-slack-signature"] = signature
        sent.update(headers or {})
        return requests.post(self.app_url, data=body, headers=sent, timeout=self.timeout)

    def _post_json(self, payload: dict[str, Any], **send: Any) -> requests.Response:
        return self.post(json.dumps(payload).encode(), "application/json", **send)

    def _post_form(self, fields: dict[str, str], **send: Any) -> requests.Response:
        return self.post(urlencode(fields).encode(), "application/x-www-form-urlencoded", **send)

    def _post_payload(self, payload: dict[str, Any], **send: Any) -> requests.Response:
        return self._post_form({"payload": json.dumps(payload)}, **send)

    # Events API

    def envelope_for_event(self, event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        """The event_callback body; also the `payload` of a Socket Mode events_api envelope."""
        return events.event_callback(
            event, event_id or self.new_event_id(), self.team_id, self.api_app_id, self.bot_user_id, self.enterprise_id
        )

    def event(
        self,
        event: dict[str, Any],
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        **send: Any,
    ) -> requests.Response:
        """Deliver one event; pass the same event_id with retry_num to replay a retry."""
        extra = dict(send.pop("headers", None) or {})
        if retry_num is not None:
            extra.update({"x-slack-retry-num": str(retry_num), "x-slack-retry-reason": retry_reason})
        return self._post_json(self.envelope_for_event(event, event_id), headers=extra, **send)

    def url_verification(self, challenge: str = "sandbox-challenge", **send: Any) -> requests.Response:
        return self._post_json({"token": "legacy", "challenge": challenge, "type": "url_verification"}, **send)

    def message_event(
        self,
        user: str,
        text: str,
        channel: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        files: list[dict[str, Any]] | None = None,
        bot_id: str | None = None,
        blocks: events.Blocks = True,
        **fields: Any,
    ) -> dict[str, Any]:
        """A message event as Slack shapes it (file_share subtype when files are attached); `blocks`: see
        `slack_events.with_blocks` (built from `text` by default, as a person's Slack client sends them)."""
        return events.message_event(
            user, text, channel, ts or self.next_ts(), self.team_id, thread_ts, files, bot_id, blocks, **fields
        )

    def message(
        self,
        user: str,
        text: str,
        channel: str,
        ts: str | None = None,
        thread_ts: str | None = None,
        files: list[dict[str, Any]] | None = None,
        bot_id: str | None = None,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        blocks: events.Blocks = True,
        **fields: Any,
    ) -> tuple[str, requests.Response]:
        """Post a message into a channel; extra `fields` go into the event. Returns (ts, response)."""
        event = self.message_event(user, text, channel, ts, thread_ts, files, bot_id, blocks, **fields)
        response = self.event(
            event, event_id, retry_num, timestamp=timestamp, signature=signature, headers=headers, signed=signed
        )
        return event["ts"], response

    def edit_event(
        self,
        user: str,
        channel: str,
        ts: str,
        new_text: str,
        old_text: str,
        thread_ts: str | None = None,
        blocks: events.Blocks = True,
    ) -> dict[str, Any]:
        """A message_changed event stamped now (`message.edited.ts`), to send later or out of order. A message
        with thread replies (a draft we answered) says so, before and after the edit, as in Slack."""
        event = events.message_changed(
            user, channel, ts, new_text, old_text, self.next_ts(), self.team_id, thread_ts, blocks
        )
        replies = self.replies_of(channel, ts) if self.replies_of and not thread_ts else []
        if replies:
            for message in (event["message"], event["previous_message"]):
                message.update(events.thread_fields(ts, replies))
        return event

    def edit_message(
        self,
        user: str,
        channel: str,
        ts: str,
        new_text: str,
        old_text: str,
        thread_ts: str | None = None,
        blocks: events.Blocks = True,
        **send: Any,
    ) -> requests.Response:
        """A message_changed event: new text in `message`, old in `previous_message`."""
        return self.event(self.edit_event(user, channel, ts, new_text, old_text, thread_ts, blocks), **send)

    def delete_event(self, channel: str, ts: str, old_text: str, user: str) -> dict[str, Any]:
        """What Slack sends when the message at `ts` is deleted: `message_deleted`, or, when the message has
        thread replies (every draft has ours), a `message_changed` that turns it into a tombstone."""
        replies = self.replies_of(channel, ts) if self.replies_of else []
        if replies:
            return events.message_tombstoned(channel, ts, old_text, user, replies, self.next_ts(), self.team_id)
        return events.message_deleted(channel, ts, old_text, user, self.next_ts())

    def delete_message(self, channel: str, ts: str, old_text: str, user: str, **send: Any) -> requests.Response:
        return self.event(self.delete_event(channel, ts, old_text, user), **send)

    def delete_tombstone(self, channel: str, ts: str, **send: Any) -> requests.Response:
        """The tombstone of a deleted thread parent goes too: `message_deleted` with it as `previous_message`."""
        replies = self.replies_of(channel, ts) if self.replies_of else []
        return self.event(events.tombstone_deleted(channel, ts, replies, self.next_ts()), **send)

    def unfurl(self, user: str, channel: str, ts: str, text: str, url: str, **send: Any) -> requests.Response:
        """Slack attaches a link preview to the message at `ts`: same text, `attachments`, no `edited`."""
        return self.event(events.message_unfurled(user, channel, ts, text, url, self.next_ts(), self.team_id), **send)

    def slackbot_message(self, text: str, channel: str, **send: Any) -> tuple[str, requests.Response]:
        """Slackbot posts in the channel (a `/remind` firing). Returns (ts, response)."""
        event = events.slackbot_message(text, channel, self.next_ts(), self.team_id)
        return event["ts"], self.event(event, **send)

    def app_home_opened(
        self, user: str, tab: str = "home", view: dict[str, Any] | None = None, **send: Any
    ) -> requests.Response:
        return self.event(events.app_home_opened(user, self.next_ts(), tab, view), **send)

    # interactivity

    def _grid(self, team_id: str | None = None) -> dict[str, Any]:
        """What an interactive payload says of the host's organisation: `enterprise` and `team.enterprise_id` on
        Grid (also when a Slack Connect guest of another organisation clicks), `enterprise: null` otherwise."""
        team: dict[str, Any] = {"id": team_id or self.team_id, "domain": self.team_domain}
        if not self.enterprise_id:
            return {"team": team, "enterprise": None, "is_enterprise_install": False}
        team.update(enterprise_id=self.enterprise_id, enterprise_name=self.enterprise_id)
        enterprise = {"id": self.enterprise_id, "name": self.enterprise_id}
        return {"team": team, "enterprise": enterprise, "is_enterprise_install": False}

    def _user(self, user: str, user_team_id: str | None) -> dict[str, Any]:
        name = user.lower()
        return {"id": user, "username": name, "name": name, "team_id": user_team_id or self.team_id}

    def block_action(
        self,
        action: dict[str, Any],
        user: str,
        team_id: str | None = None,
        user_team_id: str | None = None,
        container: dict[str, Any] | None = None,
        channel: str | None = None,
        message: dict[str, Any] | None = None,
        view: dict[str, Any] | None = None,
        trigger_id: str | None = None,
        **send: Any,
    ) -> requests.Response:
        """A block_actions payload for one action (a button unless the action says otherwise)."""
        team = team_id or self.team_id
        full_action = {"type": "button", "action_ts": self.next_ts(), **action}
        if isinstance(full_action.get("text"), str):
            full_action["text"] = {"type": "plain_text", "text": full_action["text"], "emoji": True}
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user, user_team_id or team),
            "api_app_id": self.api_app_id,
            "token": "legacy",
            "container": container or {},
            "trigger_id": trigger_id or self.new_trigger_id(),
            **self._grid(team),
            "state": {"values": {}},
            "actions": [full_action],
        }
        if channel:
            name = "directmessage" if channel.startswith("D") else channel
            payload["channel"] = {"id": channel, "name": name}
        if message is not None:
            payload["message"] = message
            payload["response_url"] = self.response_url("actions")
        if view is not None:
            payload["view"] = view
        return self._post_payload(payload, **send)

    def click(
        self,
        message_or_blocks: Message | dict[str, Any] | list[dict[str, Any]],
        label: str,
        user: str,
        user_team_id: str | None = None,
        channel_id: str | None = None,
        message_ts: str | None = None,
        **send: Any,
    ) -> requests.Response:
        """Click the button labelled `label` in a message the app posted (as recorded by SlackSandbox)."""
        button = find_button(message_or_blocks, label)
        if isinstance(message_or_blocks, Message):
            message = message_or_blocks.as_payload()
            channel_id = channel_id or message_or_blocks.channel
        elif isinstance(message_or_blocks, dict):
            message = dict(message_or_blocks)
            channel_id = channel_id or message.get("channel")
        else:
            message = {"type": "message", "text": "", "blocks": message_or_blocks, "bot_id": None}
        message_ts = message_ts or message.get("ts")
        if not channel_id or not message_ts:
            raise ValueError("click() needs channel_id and message_ts when given bare blocks")
        message.setdefault("ts", message_ts)
        container = {"type": "message", "message_ts": message_ts, "channel_id": channel_id, "is_ephemeral": False}
        return self.block_action(
            button, user, user_team_id=user_team_id, container=container, channel=channel_id, message=message, **send
        )

    def click_in_view(
        self,
        view_blocks: View | list[dict[str, Any]],
        label: str,
        user: str,
        view_id: str | None = None,
        user_team_id: str | None = None,
        **send: Any,
    ) -> requests.Response:
        """Click a button in the App Home or a modal (container type "view")."""
        button = find_button(view_blocks, label)
        if isinstance(view_blocks, View):
            view = {**view_blocks.view, "id": view_blocks.id, "hash": view_blocks.hash, "type": view_blocks.type}
            view_id = view_id or view_blocks.id
        else:
            view = {
                "id": view_id,
                "type": "home",
                "blocks": view_blocks,
                "callback_id": "",
                "private_metadata": "",
                "hash": "",
            }
        if not view_id:
            raise ValueError("click_in_view() needs view_id when given bare blocks")
        view.update({"team_id": self.team_id, "app_id": self.api_app_id, "state": {"values": {}}})
        return self.block_action(
            button, user, user_team_id=user_team_id, container={"type": "view", "view_id": view_id}, view=view, **send
        )

    def submit_view(
        self,
        callback_id: str,
        private_metadata: str,
        values: dict[str, dict[str, Any]],
        user: str,
        user_team_id: str | None = None,
        view_id: str | None = None,
        hash: str | None = None,
        blocks: list[dict[str, Any]] | None = None,
        **send: Any,
    ) -> requests.Response:
        """A view_submission of the inputs' values; the response may carry response_action JSON.

        Each value is stated as Slack states its element (found in `blocks`): a `datetimepicker` gives
        `selected_date_time` (epoch seconds, an int, or null), anything else a plain_text_input's `value`."""
        view_id = view_id or f"V0SUB{next(self._ids):05d}"
        kinds = {
            (block.get("block_id"), block["element"].get("action_id")): block["element"].get("type")
            for block in blocks or []
            if block.get("type") == "input" and isinstance(block.get("element"), dict)
        }

        def stated(block_id: str, action_id: str, value: Any) -> dict[str, Any]:
            if kinds.get((block_id, action_id)) == "datetimepicker":
                return {"type": "datetimepicker", "selected_date_time": value}
            return {"type": "plain_text_input", "value": value}

        state = {
            block_id: {action_id: stated(block_id, action_id, value) for action_id, value in actions.items()}
            for block_id, actions in values.items()
        }
        payload = {
            "type": "view_submission",
            "user": self._user(user, user_team_id),
            "api_app_id": self.api_app_id,
            "token": "legacy",
            "trigger_id": self.new_trigger_id(),
            "view": {
                "id": view_id,
                "team_id": self.team_id,
                "type": "modal",
                "callback_id": callback_id,
                "private_metadata": private_metadata,
                "hash": hash or f"{self.next_ts()}.sub",
                "blocks": blocks or [],
                "state": {"values": state},
                "root_view_id": view_id,
                "previous_view_id": None,
                "app_id": self.api_app_id,
                "bot_id": None,
                "title": {"type": "plain_text", "text": "Edit"},
            },
            "response_urls": [],
            **self._grid(),
        }
        return self._post_payload(payload, **send)

    def command(
        self,
        text: str,
        user: str,
        channel: str = "C0DRAFTS",
        command: str = "/countersign",
        channel_name: str | None = None,
        trigger_id: str | None = None,
        user_team_id: str | None = None,
        user_enterprise_id: str | None = None,
        **send: Any,
    ) -> requests.Response:
        """A slash command as Slack posts it (plain form fields). Its `team_id` and `enterprise_id` are those
        of the workspace the person used it from: `user_team_id` / `user_enterprise_id` for a Slack Connect
        guest (their own organisation) or a Grid user of another workspace of this one."""
        team = user_team_id or self.team_id
        enterprise = user_enterprise_id if user_team_id else (user_enterprise_id or self.enterprise_id)
        grid = {"enterprise_id": enterprise, "enterprise_name": enterprise} if enterprise else {}
        fields = {
            "token": "legacy",
            **grid,
            "team_id": team,
            "team_domain": self.team_domain,
            "channel_id": channel,
            "channel_name": channel_name or ("directmessage" if channel.startswith("D") else "drafts"),
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self.response_url("commands"),
            "trigger_id": trigger_id or self.new_trigger_id(),
        }
        return self._post_form(fields, **send)
