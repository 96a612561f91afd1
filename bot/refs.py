"""Small typed values parsed from Slack payloads: who acts, and which draft version a button means."""

from __future__ import annotations

import re
from dataclasses import dataclass

_REF = re.compile(r"([0-9]{1,18}):([0-9]{1,9})")


class BadRef(ValueError):
    """A button value or modal metadata that isn't ours (tampered, truncated or from elsewhere)."""


@dataclass(frozen=True)
class CardRef:
    """`draft_id:version` — all a button carries; the owner decides on exactly that version."""

    draft_id: int
    version: int

    @classmethod
    def parse(cls, value: object) -> CardRef:
        match = _REF.fullmatch(value) if isinstance(value, str) else None
        if not match:
            raise BadRef(f"not a card reference: {str(value)[:40]!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def __str__(self) -> str:
        return f"{self.draft_id}:{self.version}"


@dataclass(frozen=True)
class Actor:
    """A Slack user as the payload names them. `team_id` is the user's own organisation."""

    user_id: str
    team_id: str

    @classmethod
    def from_body(cls, body: dict) -> Actor:
        user = body.get("user") or {}
        if not isinstance(user, dict):
            raise BadRef("payload has no user")
        team = body.get("team")
        user_id = user.get("id")
        team_id = user.get("team_id") or (team.get("id") if isinstance(team, dict) else None)
        if not isinstance(user_id, str) or not isinstance(team_id, str):
            raise BadRef("payload has no user or team id")
        return cls(user_id, team_id)


@dataclass(frozen=True)
class IncomingMessage:
    """A message in the drafts channel, reduced to what intake needs."""

    channel: str
    ts: str
    user: str
    text: str
    has_files: bool = False
    event_id: str | None = None
