"""Slack Web API stand-in for slack_sdk's `WebClient(base_url=sandbox.url)`.

Speaks the real wire format (POST /api/<method>, JSON or form bodies, Bearer auth, `ok:false` errors with
HTTP 200, 429 + Retry-After for rate limits) so the app's unpatched client code is what gets tested.
Every call is recorded; tests wait on conditions instead of sleeping.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections.abc import Callable
from typing import Any, Self, TypeVar

from bot.sandbox import slack_history
from bot.sandbox.http_base import Faults, Reply, Request, SandboxServer, wait_until
from bot.sandbox.slack_blocks import find_button
from bot.sandbox.slack_directory import MANIFEST_SCOPES, Channel, conversation_info, scope_headers
from bot.sandbox.slack_files import PREFIX as FILES_PREFIX
from bot.sandbox.slack_files import SlackFiles
from bot.sandbox.slack_state import (
    ApiCall,
    Ephemeral,
    Message,
    SlackError,
    User,
    View,
    Workspace,
    dm_channel_for,
)
from bot.sandbox.socket_mode import SocketModeSandbox

__all__ = ["ApiCall", "Ephemeral", "Message", "SlackSandbox", "View", "dm_channel_for", "find_button"]

T = TypeVar("T")

# Form bodies carry structured fields as JSON strings; decode them so recorded args look alike either way.
JSON_FIELDS = ("blocks", "attachments", "view", "metadata")
RESPONSE_URL_USES = 5

_METHODS: dict[str, Callable[[Workspace, dict[str, Any]], dict[str, Any]]] = {
    "chat.postMessage": Workspace.post_message,
    "chat.update": Workspace.update_message,
    "chat.postEphemeral": Workspace.post_ephemeral,
    "chat.getPermalink": Workspace.permalink,
    "conversations.open": Workspace.open_conversation,
    "conversations.info": conversation_info,
    "conversations.history": slack_history.history,
    "conversations.replies": slack_history.replies,
    "users.info": Workspace.user_info,
    "views.open": Workspace.open_view,
    "views.push": lambda workspace, args: workspace.open_view(args, push=True),
    "views.update": Workspace.update_view,
    "views.publish": Workspace.publish_view,
}
_OWN_METHODS = ("auth.test", "apps.connections.open")


class SlackSandbox(SandboxServer):
    """A one-workspace Slack: Web API over HTTP plus a Socket Mode server (`.socket`)."""

    name = "slack-sandbox"

    def __init__(
        self,
        bot_token: str = "xoxb-test",
        app_token: str = "xapp-test",
        team_id: str = "T0ACME",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        *,
        app_id: str = "A0APP",
        team_name: str = "Acme",
        team_domain: str = "acme",
        bot_name: str = "countersign",
        trigger_ttl: float | None = 3.0,
        enterprise_id: str | None = None,
        scopes: tuple[str, ...] = MANIFEST_SCOPES,
    ) -> None:
        super().__init__()
        self.bot_token, self.app_token = bot_token, app_token
        self.team_id, self.team_name, self.team_domain = team_id, team_name, team_domain
        self.bot_user_id, self.bot_id, self.bot_name = bot_user_id, bot_id, bot_name
        # Enterprise Grid: the organisation this workspace belongs to (auth.test says so); None: a plain workspace.
        self.enterprise_id = enterprise_id
        self.workspace = Workspace(team_id, bot_user_id, bot_id, app_id, team_domain, trigger_ttl)
        self.workspace.scopes = tuple(scopes)
        self.socket = SocketModeSandbox(app_id=app_id)
        self.calls: list[ApiCall] = []
        self._faults = Faults()
        self._response_url_uses: dict[str, int] = {}
        self.files = SlackFiles(bot_token, team_id)
        self.add_user(bot_user_id, bot_name, is_bot=True)

    # lifecycle

    @property
    def url(self) -> str:
        """The base URL slack_sdk expects (ends with /api/)."""
        return f"http://127.0.0.1:{self.port}/api/"

    @property
    def response_url_base(self) -> str:
        """Prefix for response_url values that land in this sandbox (see SlackDriver)."""
        return f"http://127.0.0.1:{self.port}/hooks/"

    def start(self) -> Self:
        self.socket.start()
        started = super().start()
        self.files.base = f"http://127.0.0.1:{self.port}"
        return started

    def stop(self) -> None:
        super().stop()
        self.socket.stop()

    def reset(self) -> None:
        """Forget calls, messages, views and faults; keep users and configuration."""
        with self._changed:
            self.calls.clear()
            self.workspace.reset()
            self._faults.clear()
            self._response_url_uses.clear()
            self.files.reset()
            self._changed.notify_all()
        self.socket.reset()

    # configuration and faults

    def add_user(
        self,
        id: str,
        name: str,
        real_name: str | None = None,
        display_name: str | None = None,
        team_id: str | None = None,
        is_bot: bool = False,
        enterprise_id: str | None = None,
        deleted: bool = False,
    ) -> None:
        """Add a user for users.info (team_id defaults to this workspace's; differ for Slack Connect or another
        workspace of the same Grid organisation). `enterprise_id` defaults to this workspace's organisation
        for its own users."""
        team = team_id or self.team_id
        if enterprise_id is None and team == self.team_id:
            enterprise_id = self.enterprise_id
        with self._lock:
            self.workspace.users[id] = User(
                id, name, real_name or name, display_name or name, team, is_bot, enterprise_id, deleted
            )

    def add_file(self, name: str, data: bytes, mimetype: str | None = None) -> dict[str, Any]:
        """A file a writer uploaded: returns the `files[]` entry to attach to a message (see `files`)."""
        return self.files.add(name, data, mimetype)

    def fail(
        self, method: str, error: str = "ratelimited", status: int = 429, retry_after: int = 1, times: int = 1
    ) -> None:
        """Answer the next `times` calls to `method` ("*" = any) with an error (429 adds Retry-After)."""
        with self._lock:
            self._faults.add(method, "fail", times, error=error, status=status, retry_after=retry_after)

    def reset_after(self, method: str, times: int = 1) -> None:
        """Handle the next `times` calls to `method` (the message is posted, the call recorded as answered),
        then reset the connection instead of answering: a network fault after Slack did the work."""
        with self._lock:
            self._faults.add(method, "reset_after", times)

    def delay(self, method: str, seconds: float, times: int = 1) -> None:
        """Hold the next `times` calls to `method` for `seconds` before handling them."""
        with self._lock:
            self._faults.add(method, "delay", times, seconds=seconds)

    def lose_answer(self, method: str, hang: float, times: int = 1) -> None:
        """The next `times` calls to `method` take effect (the message is posted), but the answer never comes:
        held `hang` seconds, then the connection closed, so a client with a shorter timeout times out first.
        (`reset_after` closes it at once.)"""
        with self._lock:
            self._faults.add(method, "lose", times, seconds=hang)

    def remove_bot_from(self, channel: str) -> None:
        """The bot is not a member of `channel`: chat.postMessage there answers `not_in_channel`."""
        with self._lock:
            self.workspace.not_a_member.add(channel)

    def add_channel(self, id: str, name: str, *, private: bool = False, member: bool = True) -> None:
        """Declare a channel for conversations.info (undeclared ids are channel_not_found there)."""
        with self._lock:
            self.workspace.channels[id] = Channel(id, name, private)
            (self.workspace.not_a_member.discard if member else self.workspace.not_a_member.add)(id)

    def set_scopes(self, *scopes: str) -> None:
        """The bot token's scopes from now on (`x-oauth-scopes`; conversations.info enforces its own)."""
        with self._lock:
            self.workspace.scopes = scopes

    def invite_bot(self, channel: str) -> None:
        """`/invite @Countersign` in `channel`."""
        with self._lock:
            self.workspace.not_a_member.discard(channel)

    # HTTP

    def handle(self, request: Request) -> Reply:
        if request.path.startswith("/hooks/"):
            return self._response_url(request)
        if request.path.startswith(FILES_PREFIX):
            return self.files.serve(request)
        method = request.path.removeprefix("/api/") if request.path.startswith("/api/") else ""
        try:
            args = _parse_args(request)
        except ValueError:
            return Reply.of_json({"ok": False, "error": "invalid_json"})
        token = _bearer(request.headers.get("authorization", "")) or str(args.pop("token", "") or "")
        args.pop("token", None)
        call = ApiCall(method or request.path, args, dict(request.headers), request.at, request.path)
        with self._changed:
            self.calls.append(call)
            delay = self._faults.take(method, "delay")
            self._changed.notify_all()
        if delay is not None and not self._pause(delay.options["seconds"]):
            return Reply(drop=True)
        with self._changed:
            reply = self._answer(method, args, token)
            call.status, call.response = reply.status, json.loads(reply.body)
            reset = self._faults.take(method, "reset_after") is not None
            lost = None if reset else self._faults.take(method, "lose")
            self._changed.notify_all()
        if lost is not None:
            self._pause(lost.options["seconds"])
        return Reply(drop=True) if reset or lost is not None else reply

    def _answer(self, method: str, args: dict[str, Any], token: str) -> Reply:
        fault = self._faults.take(method, "fail")
        if fault is not None:
            status = fault.options["status"]
            headers = {"Retry-After": str(fault.options["retry_after"])} if status == 429 else {}
            return Reply.of_json({"ok": False, "error": fault.options["error"]}, status, headers)
        if method not in _METHODS and method not in _OWN_METHODS:
            return Reply.of_json({"ok": False, "error": "unknown_method", "req_method": method})
        expected = self.app_token if method == "apps.connections.open" else self.bot_token
        if not token:
            return Reply.of_json({"ok": False, "error": "not_authed"})
        if token != expected:
            wrong_kind = token in (self.app_token, self.bot_token)
            return Reply.of_json({"ok": False, "error": "not_allowed_token_type" if wrong_kind else "invalid_auth"})
        headers = scope_headers(method, self.workspace.scopes) if expected == self.bot_token else {}
        try:
            if method == "auth.test":
                result = self._auth_test()
            elif method == "apps.connections.open":
                result = {"url": self.socket.url}
            else:
                result = _METHODS[method](self.workspace, args)
        except SlackError as error:
            return Reply.of_json({"ok": False, "error": error.error, **error.extra}, headers=headers)
        return Reply.of_json({"ok": True, **result}, headers=headers)

    def _auth_test(self) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
            **({"enterprise_id": self.enterprise_id} if self.enterprise_id else {}),
        }

    def _response_url(self, request: Request) -> Reply:
        """response_url posts (Bolt's respond()): recorded as method "response_url", 5 uses per URL."""
        try:
            body = request.json() if request.content_type == "application/json" else request.form()
        except ValueError:
            return Reply.of_json({"ok": False, "error": "invalid_payload"}, 400)
        call = ApiCall(
            "response_url",
            body if isinstance(body, dict) else {"body": body},
            dict(request.headers),
            request.at,
            request.path,
        )
        with self._changed:
            self.calls.append(call)
            uses = self._response_url_uses[request.path] = self._response_url_uses.get(request.path, 0) + 1
            reply = (
                Reply.of_json({"ok": False, "error": "used_url"}, 404)
                if uses > RESPONSE_URL_USES
                else Reply.of_json({"ok": True})
            )
            call.status, call.response = reply.status, json.loads(reply.body)
            self._changed.notify_all()
        return reply

    # inspection (copies, so tests never see a message change under them)

    def calls_to(self, method: str) -> list[ApiCall]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def messages(self, channel: str | None = None) -> list[Message]:
        with self._lock:
            found = [m for m in self.workspace.messages.values() if channel is None or m.channel == channel]
            return copy.deepcopy(sorted(found, key=lambda m: m.ts))

    def message(self, channel: str, ts: str) -> Message | None:
        with self._lock:
            found = self.workspace.messages.get((channel, ts))
            return copy.deepcopy(found)

    def thread(self, channel: str, thread_ts: str) -> list[Message]:
        """Replies in a thread, oldest first (the parent excluded)."""
        return [m for m in self.messages(channel) if m.thread_ts == thread_ts and m.ts != thread_ts]

    def replies_of(self, channel: str, ts: str) -> list[tuple[str, str]]:
        """(user, ts) of each reply to the message at `ts`: with any, Slack reports its deletion as a tombstone."""
        return [(m.user, m.ts) for m in self.thread(channel, ts)]

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        with self._lock:
            return copy.deepcopy([e for e in self.workspace.ephemerals if user is None or e.user == user])

    @property
    def views(self) -> list[View]:
        """Modals opened or pushed, in order, with later views.update calls applied."""
        with self._lock:
            return copy.deepcopy([self.workspace.views[i] for i in self.workspace.modal_order])

    def view(self, view_id: str) -> View | None:
        with self._lock:
            return copy.deepcopy(self.workspace.views.get(view_id))

    def home(self, user: str) -> View | None:
        """The Home tab last published for `user`."""
        with self._lock:
            view_id = self.workspace.homes.get(user)
            return copy.deepcopy(self.workspace.views[view_id]) if view_id else None

    # waiting

    def wait_for(self, predicate: Callable[[SlackSandbox], T | None], timeout: float = 5.0) -> T:
        """Return the first truthy `predicate(self)`, re-checked on every change; TimeoutError lists calls."""
        return wait_until(self._changed, lambda: predicate(self), timeout, self.describe_calls)

    def wait_for_call(
        self,
        method: str,
        match: Callable[[ApiCall], bool] | None = None,
        timeout: float = 5.0,
        count: int = 1,
    ) -> ApiCall:
        """Wait until `count` calls to `method` (matching `match`) were answered; returns the count-th."""

        def found() -> ApiCall | None:
            hits = [
                c for c in self.calls if c.method == method and c.response is not None and (match is None or match(c))
            ]
            return hits[count - 1] if len(hits) >= count else None

        return self.wait_for(lambda _: found(), timeout)

    def describe_calls(self) -> str:
        with self._lock:
            if not self.calls:
                return "; no Slack API calls were recorded"
            lines = [_summary(call) for call in self.calls]
        return "; recorded Slack API calls:\n  " + "\n  ".join(lines)


def _summary(call: ApiCall) -> str:
    interesting = {
        k: v
        for k, v in call.args.items()
        if k in ("channel", "ts", "user", "user_id", "view_id", "thread_ts", "trigger_id", "users")
    }
    text = call.args.get("text")
    if isinstance(text, str):
        interesting["text"] = text if len(text) <= 60 else text[:57] + "..."
    outcome = (
        "pending"
        if call.response is None
        else ("ok" if call.response.get("ok") else f"error={call.response.get('error')}")
    )
    return f"{call.method} {interesting} -> {call.status} {outcome}"


def _bearer(header: str) -> str:
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _parse_args(request: Request) -> dict[str, Any]:
    args: dict[str, Any] = dict(request.query)
    if request.body:
        if request.content_type == "application/json":
            body = request.json()
            if isinstance(body, dict):
                args.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data", ""):
            args.update(request.form())
    for key in JSON_FIELDS:
        value = args.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            # Invalid JSON stays a raw string so the test can see what was sent.
            with contextlib.suppress(ValueError):
                args[key] = json.loads(value)
    return args
