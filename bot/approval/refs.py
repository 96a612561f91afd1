"""Small typed values parsed from Slack payloads: who acts, and which draft version a button means."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.intake.media_rules import MediaItem, MediaRefusal
from bot.networks.base import Network
from bot.slack.text import Refusal

_REF = re.compile(r"([0-9]{1,18}):([0-9]{1,9})(?::([a-z]{1,16}))?")
# What Slack puts in these fields. Anything else didn't come from Slack, and would reach users.info (a form body
# that can't carry a lone surrogate) or a 32-character database column: it is treated as absent.
_SLACK_ID = re.compile(r"[A-Z0-9]{2,32}")  # U0OWNER, W0GUEST, T0ACME, C0DRAFTS
_SLACK_TS = re.compile(r"[0-9]{1,16}\.[0-9]{1,15}")  # 1763800000.000100
_EVENT_ID = re.compile(r"[A-Za-z0-9]{1,64}")  # Ev0123ABCD
# JSON can carry `\ud800` alone, though no keyboard can type it; it can't be stored, counted or sent on.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class BadRef(ValueError):
    """A button value or modal metadata that isn't ours (tampered, truncated or from elsewhere)."""


@dataclass(frozen=True)
class CardRef:
    """`draft_id:version` — all a decision button carries; the owner decides on exactly that version. A button about
    one network of a version that went to several (Retry Mastodon) carries it too: `draft_id:version:network`, and
    then moves only that network's delivery. Without one, a move is about every network, as it always was."""

    draft_id: int
    version: int
    network: Network | None = None

    def __post_init__(self) -> None:
        if self.network is not None and self.network not in Network.__members__.values():
            raise BadRef(f"not a network: {str(self.network)[:20]!r}")
        if self.network is not None:
            object.__setattr__(self, "network", Network(self.network))

    @classmethod
    def parse(cls, value: object) -> CardRef:
        match = _REF.fullmatch(value) if isinstance(value, str) else None
        if not match:
            raise BadRef(f"not a card reference: {str(value)[:40]!r}")
        return cls(int(match.group(1)), int(match.group(2)), match.group(3))  # type: ignore[arg-type]

    def __str__(self) -> str:
        base = f"{self.draft_id}:{self.version}"
        return f"{base}:{self.network.value}" if self.network is not None else base

    def of(self, network: str) -> CardRef:
        """The same version, about `network` alone (the value of that network's buttons)."""
        return CardRef(self.draft_id, self.version, Network(network))


@dataclass(frozen=True)
class Actor:
    """A Slack user as the payload names them. `team_id` is the user's own workspace; `enterprise_id` their
    Enterprise Grid organisation, when known (a Grid user's workspace can be another of the same organisation)."""

    user_id: str
    team_id: str
    enterprise_id: str | None = None

    @classmethod
    def from_body(cls, body: dict) -> Actor:
        """The clicker. Their enterprise is read only where the payload says it of *them*: `user.enterprise_id`,
        or the payload's `enterprise` when the user belongs to the payload's `team` — a Slack Connect guest's
        click carries the host's enterprise and team, with their own `user.team_id`."""
        user = body.get("user") or {}
        if not isinstance(user, dict):
            raise BadRef("payload has no user")
        team = body.get("team") if isinstance(body.get("team"), dict) else {}
        user_id = user.get("id")
        team_id = user.get("team_id") or team.get("id")
        if slack_id(user_id) is None or slack_id(team_id) is None:
            raise BadRef("payload has no user or team id")
        enterprise_id = slack_id(user.get("enterprise_id"))
        if enterprise_id is None and team_id == team.get("id"):
            enterprise = body.get("enterprise")
            enterprise_id = slack_id(enterprise.get("id") if isinstance(enterprise, dict) else None) or slack_id(
                team.get("enterprise_id")
            )
        return cls(user_id, team_id, enterprise_id)


@dataclass(frozen=True)
class IncomingMessage:
    """A message in the drafts channel, reduced to what intake needs."""

    channel: str
    ts: str
    user: str
    text: str
    has_files: bool = False
    event_id: str | None = None
    refusals: tuple[Refusal, ...] = ()  # what in it can't go to X (bot.slack.text): it is refused, named
    edited_ts: str | None = None  # for an edit: Slack's `message.edited.ts`, which orders the edits
    media: tuple[MediaItem, ...] = ()  # its images, read and hashed before the workflow (bot.intake.media_intake)
    media_refusals: tuple[MediaRefusal, ...] = ()  # what X would refuse: the draft is refused, files named
    media_dropped: tuple[MediaRefusal, ...] = ()  # files that aren't images: left out, the writer told


def slack_id(value: object) -> str | None:
    """A user, team or channel id as Slack writes them, or None."""
    return value if isinstance(value, str) and _SLACK_ID.fullmatch(value) else None


def slack_ts(value: object) -> str | None:
    """A message timestamp (`1763800000.000100`), or None."""
    return value if isinstance(value, str) and _SLACK_TS.fullmatch(value) else None


def slack_event_id(value: object) -> str | None:
    """An Events API `event_id`, or None (then the event is simply not deduplicated)."""
    return value if isinstance(value, str) and _EVENT_ID.fullmatch(value) else None


def slack_text(value: object) -> str | None:
    """Text a person typed, or None if the field isn't text. Lone surrogates become U+FFFD, as a decoder would."""
    return _LONE_SURROGATE.sub("\ufffd", value) if isinstance(value, str) else None


def envelope_problem(body: object) -> str | None:
    """Why Bolt itself can't read this payload, or None.

    Bolt's matchers and argument injection index into `event`, `actions[0]` and `view` without checking their
    types, so a payload with those malformed raises inside Bolt before any listener (or error handler) can run.
    """
    if not isinstance(body, dict):
        return "the body is not an object"
    if "event" in body and not isinstance(body["event"], dict):
        return "`event` is not an object"
    kind = body.get("type")
    if kind == "block_actions":
        actions = body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else None
        if not isinstance(first, dict) or not isinstance(first.get("action_id"), str):
            return "`actions[0].action_id` is missing"
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id"), str) or "type" not in view:
            return "`view.callback_id` or `view.type` is missing"
    return None
