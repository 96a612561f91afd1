"""`countersign doctor`'s Slack checks: the bot token, its scopes, the drafts channels, the approvers.

Each check asks Slack one question and turns every answer, error or lost connection into a `Check` with the fix a
person can carry out. Facts about Slack they rely on:
- `auth.test` names the workspace and the bot; a bad token answers `invalid_auth`, `token_revoked`, `not_authed`,
  `account_inactive` or `token_expired`, an app-level token `not_allowed_token_type`.
- every answer to a bot call carries `x-oauth-scopes` (comma-separated), which slack_sdk exposes as
  `SlackResponse.headers` (header names as sent: Slack sends them lower-case).
- `conversations.info` needs `channels:read` / `groups:read`, which the manifest doesn't ask for (the app never
  needs them). Without them it answers `missing_scope`, and the channel is checked with `conversations.history`
  (limit 1) instead, on the scopes the app reads drafts with: `not_in_channel` for a public channel the bot is not
  in, `channel_not_found` for a private one or a wrong id.
- `users.info` answers `user_not_found` for an id of no one visible, and a deactivated user with `deleted: true`;
  a Slack Connect user from another organisation has that organisation's `team_id`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.networks.base import Check

# The bot scopes manifest.yml asks for (tests/unit/test_doctor_render.py holds this to the manifest): the image
# ships without the manifest, so the list lives here.
REQUIRED_SCOPES = (
    "channels:history",
    "groups:history",
    "chat:write",
    "commands",
    "files:read",
    "im:history",
    "im:write",
    "users:read",
)
BAD_TOKEN = {"invalid_auth", "token_revoked", "not_authed", "account_inactive", "token_expired"}
TOKEN_FIX = (
    "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…) from its OAuth & Permissions page; "
    "reinstall the app if it was revoked"
)
APP_NAME = "@Countersign"


@dataclass(frozen=True)
class Bot:
    """Who the token is: from auth.test."""

    team_id: str
    team: str
    user_id: str
    user: str


def _error(exc: Exception) -> str:
    """Slack's error code, or the transport's reason (a refused connection, a timeout) in one line."""
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error") or f"HTTP {exc.response.status_code}")
    return f"{type(exc).__name__}: {exc}".splitlines()[0]


def _call(call: Callable[[], Any]) -> tuple[Any, str | None]:
    """(response, None) or (None, error code or reason): never raises."""
    try:
        return call(), None
    except Exception as exc:
        return None, _error(exc)


def check_token(client: WebClient, expected_team: str | None) -> tuple[list[Check], Bot | None]:
    """The token works, is for the expected workspace, and carries every scope the app needs."""
    response, error = _call(client.auth_test)
    if error in BAD_TOKEN:
        return [Check(f"Slack rejected the bot token ({error})", False, TOKEN_FIX)], None
    if error == "not_allowed_token_type":
        fix = "SLACK_BOT_TOKEN holds another kind of token (an app-level xapp-… one?): " + TOKEN_FIX
        return [Check("Slack refused the bot token: not a bot token", False, fix)], None
    if error is not None:
        fix = f"check the network, and SLACK_API_URL if set (now {client.base_url})"
        return [Check(f"could not ask Slack who the bot is: {error}", False, fix)], None
    bot = Bot(response["team_id"], response.get("team", ""), response["user_id"], response.get("user", ""))
    checks = [Check(f"Slack bot token works: @{bot.user} in {bot.team} ({bot.team_id})", True)]
    if expected_team and expected_team != bot.team_id:
        fix = f"set SLACK_BOT_TOKEN to the token of the app installed in {expected_team}"
        checks.append(Check(f"the token is for workspace {bot.team_id}, not {expected_team}", False, fix))
    return checks + scope_checks(_header(response.headers, "x-oauth-scopes")), bot


def _header(headers: Any, name: str) -> str | None:
    for key, value in dict(headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def scope_checks(granted_header: str | None) -> list[Check]:
    if granted_header is None:
        fix = "Slack always sends x-oauth-scopes: check SLACK_API_URL points at Slack's Web API"
        return [Check("Slack did not say which scopes the bot token has", False, fix)]
    granted = {scope.strip() for scope in granted_header.split(",") if scope.strip()}
    missing = [scope for scope in REQUIRED_SCOPES if scope not in granted]
    if not missing:
        return [Check(f"the bot token has the {len(REQUIRED_SCOPES)} scopes the app needs", True)]
    fix = "add it under Bot Token Scopes in the app's OAuth & Permissions page and reinstall the app"
    return [Check(f"the bot token lacks the scope {scope}", False, fix) for scope in missing]


def check_channel(client: WebClient, channel: str) -> Check:
    """The bot is in the drafts channel, so it hears drafts and may answer in their threads."""
    response, error = _call(lambda: client.conversations_info(channel=channel))
    if error == "missing_scope":
        return _check_channel_by_reading(client, channel)
    if error == "channel_not_found":
        return _not_found(channel)
    if error is not None:
        return Check(f"could not look up drafts channel {channel}: {error}", False, _retry_fix(error))
    info = response["channel"]
    name = f"#{info.get('name') or channel}"
    if info.get("is_archived"):
        return Check(f"drafts channel {name} is archived", False, "unarchive it, or give the brand another channel")
    if not info.get("is_member"):
        fix = f"invite {APP_NAME} to {name} (type /invite {APP_NAME} in the channel)"
        return Check(f"{APP_NAME} is not in drafts channel {name}", False, fix)
    return Check(f"{APP_NAME} is in drafts channel {name}", True)


def _check_channel_by_reading(client: WebClient, channel: str) -> Check:
    _, error = _call(lambda: client.conversations_history(channel=channel, limit=1))
    if error is None:
        return Check(f"{APP_NAME} is in drafts channel {channel}", True)
    if error == "not_in_channel":
        fix = f"invite {APP_NAME} to the channel {channel} (type /invite {APP_NAME} in it)"
        return Check(f"{APP_NAME} is not in drafts channel {channel}", False, fix)
    if error == "channel_not_found":
        return _not_found(channel)
    return Check(f"could not read drafts channel {channel}: {error}", False, _retry_fix(error))


def _not_found(channel: str) -> Check:
    fix = (
        "check the channel id in the brand's config (the channel's details show it at the bottom); "
        f"if it is a private channel, invite {APP_NAME} to it"
    )
    return Check(f"Slack knows no drafts channel {channel} that the bot can see", False, fix)


def _retry_fix(error: str) -> str:
    if error in BAD_TOKEN:
        return TOKEN_FIX
    if error == "missing_scope":
        return "add the scope Slack names under Bot Token Scopes in the app's OAuth & Permissions page and reinstall"
    return "run doctor again; if it persists, check the network and Slack's status page"


def check_approver(client: WebClient, user: str, team_id: str) -> Check:
    """The approver can click Approve: a live human member of this workspace (the policy checks the team id)."""
    response, error = _call(lambda: client.users_info(user=user))
    if error == "user_not_found":
        fix = "check the brand's approvers: each is a member ID (profile → ⋮ → Copy member ID)"
        return Check(f"approver {user} is not a user of this workspace", False, fix)
    if error is not None:
        return Check(f"could not look up approver {user}: {error}", False, _retry_fix(error))
    info = response["user"]
    who = f"approver {info.get('real_name') or info.get('name') or user} ({user})"
    if info.get("deleted"):
        return Check(f"{who} is deactivated", False, "replace them in the brand's approvers")
    if info.get("is_bot"):
        return Check(f"{who} is a bot, which can't approve", False, "replace it in the brand's approvers")
    if info.get("team_id") and info["team_id"] != team_id:
        fix = f"approvers must be members of this workspace ({team_id}); name one of its members instead"
        return Check(f"{who} belongs to another workspace ({info['team_id']})", False, fix)
    return Check(f"{who} is a member of this workspace", True)
