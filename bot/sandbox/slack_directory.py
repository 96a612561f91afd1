"""Channels and token scopes on the Slack stand-in: what `countersign doctor` asks Slack about.

What real Slack does that this models:
- Every answer to a call made with a valid token carries `x-oauth-scopes`, the token's scopes comma-separated
  without spaces; a method that needs a scope also sends `x-accepted-oauth-scopes`, the scopes any one of which
  would do (python-slack-sdk's uploading-files tutorial logs both). auth.test needs no scope, so it gets only the
  first (our reading; Slack's docs don't list its headers).
- A call without the scope the conversation needs answers `ok: false, error: missing_scope` with `needed` (the
  scope for that kind of conversation) and `provided` (the token's scopes).
- conversations.info needs `channels:read` for a public channel and `groups:read` for a private one. A bot sees a
  public channel it is not in (`is_member: false`) but a private one only once invited: until then, and for an id
  that names nothing, it answers `channel_not_found`.
- conversations.history in a channel the bot is not in: `not_in_channel` for a public one, `channel_not_found`
  for a private one (see slack_history).
Channels the tests never declare stay as lenient as before (posts and history work), so only conversations.info,
which the app never called before, refuses an undeclared id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.sandbox.slack_state import SlackError, Workspace

# The bot scopes manifest.yml asks for: what a token of a freshly installed app carries (tests/unit checks).
MANIFEST_SCOPES = (
    "channels:history",
    "groups:history",
    "chat:write",
    "commands",
    "files:read",
    "im:history",
    "im:write",
    "users:read",
)

_HISTORY = ("channels:history", "groups:history", "im:history", "mpim:history")
ACCEPTED_SCOPES: dict[str, tuple[str, ...]] = {
    "chat.postMessage": ("chat:write",),
    "chat.update": ("chat:write",),
    "chat.postEphemeral": ("chat:write",),
    "conversations.info": ("channels:read", "groups:read", "im:read", "mpim:read"),
    "conversations.history": _HISTORY,
    "conversations.replies": _HISTORY,
    "conversations.open": ("channels:manage", "groups:write", "im:write", "mpim:write"),
    "users.info": ("users:read",),
}


@dataclass
class Channel:
    """A channel the test declared (`SlackSandbox.add_channel`); membership lives in `Workspace.not_a_member`."""

    id: str
    name: str
    is_private: bool = False
    is_archived: bool = False

    def as_payload(self, team_id: str, is_member: bool) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_general": False,
            "is_shared": False,
            "is_ext_shared": False,
            "is_org_shared": False,
            "context_team_id": team_id,
            "shared_team_ids": [team_id],
            "is_member": is_member,
        }


def scope_headers(method: str, scopes: tuple[str, ...]) -> dict[str, str]:
    headers = {"x-oauth-scopes": ",".join(scopes)}
    if method in ACCEPTED_SCOPES:
        headers["x-accepted-oauth-scopes"] = ",".join(ACCEPTED_SCOPES[method])
    return headers


def _need(workspace: Workspace, scope: str) -> None:
    if scope not in workspace.scopes:
        raise SlackError("missing_scope", needed=scope, provided=",".join(workspace.scopes))


def conversation_info(workspace: Workspace, args: dict[str, Any]) -> dict[str, Any]:
    channel_id = str(args.get("channel") or "")
    channel = workspace.channels.get(channel_id)
    _need(workspace, "groups:read" if channel is not None and channel.is_private else "channels:read")
    is_member = channel_id not in workspace.not_a_member
    if channel is None or (channel.is_private and not is_member):
        raise SlackError("channel_not_found")
    return {"channel": channel.as_payload(workspace.team_id, is_member)}


def membership(workspace: Workspace, channel_id: str) -> None:
    """What reading a channel the bot is not in answers (conversations.history / replies)."""
    if channel_id not in workspace.not_a_member:
        return
    channel = workspace.channels.get(channel_id)
    raise SlackError("channel_not_found" if channel is not None and channel.is_private else "not_in_channel")
