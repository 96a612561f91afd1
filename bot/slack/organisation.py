"""Who belongs to the install's organisation, when the payload alone can't tell (Enterprise Grid).

On Grid, an approver's own workspace can be another workspace of the same organisation, and a click's payload
names the *host's* enterprise even for a Slack Connect guest. So when a user's workspace isn't the install's and
the install is on Grid, their organisation is read from users.info (`enterprise_user.enterprise_id`), cached like
names. If Slack can't say, the enterprise stays unknown and the user is treated as another organisation: a
refusal that says why is better than a stranger's approval.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.approval.policy import Policy
from bot.approval.refs import Actor, slack_id

log = logging.getLogger(__name__)
TTL_S = 3600.0


class Organisation:
    def __init__(self, client: WebClient, policy: Policy, ttl_s: float = TTL_S) -> None:
        self.client = client
        self.policy = policy
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def resolve(self, actor: Actor) -> Actor:
        """`actor` with their enterprise filled in when it decides whether they are of this organisation."""
        if actor.enterprise_id or self.policy.enterprise_id is None or actor.team_id == self.policy.team_id:
            return actor
        enterprise = self._enterprise_of(actor.user_id)
        return replace(actor, enterprise_id=enterprise) if enterprise else actor

    def _enterprise_of(self, user_id: str) -> str | None:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(user_id)
        if hit and now - hit[0] < self.ttl_s:
            return hit[1]
        try:
            user = self.client.users_info(user=user_id)["user"]
        except (SlackApiError, OSError, KeyError, TypeError) as exc:
            log.warning("users.info failed for %s (%s); their organisation is unknown for now", user_id, exc)
            return None
        grid = user.get("enterprise_user") if isinstance(user, dict) else None
        enterprise = slack_id(grid.get("enterprise_id")) if isinstance(grid, dict) else None
        with self._lock:
            self._cache[user_id] = (now, enterprise)
        return enterprise
