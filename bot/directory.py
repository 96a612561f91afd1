"""People's names, for the attribution line. Cached: names rarely change and users.info is rate-limited."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)
TTL_S = 3600.0


class SlackDirectory:
    def __init__(self, client: WebClient, ttl_s: float = TTL_S) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def name(self, user_id: str) -> str:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(user_id)
        if hit and now - hit[0] < self.ttl_s:
            return hit[1]
        name = self._fetch(user_id)
        if name is None:
            return user_id  # not cached: the next call asks Slack again
        with self._lock:
            self._cache[user_id] = (now, name)
        return name

    def warm(self, user_ids: Iterable[str]) -> None:
        """Look people up ahead of time, so a decision recorded before the ack never waits on Slack."""
        for user_id in user_ids:
            self.name(user_id)

    def _fetch(self, user_id: str) -> str | None:
        try:
            user = self.client.users_info(user=user_id)["user"]
        except (SlackApiError, OSError, KeyError, TypeError) as exc:
            log.warning("users.info failed for %s (%s); using the id as the name for now", user_id, exc)
            return None
        profile = user.get("profile") or {}
        return (
            profile.get("real_name")
            or profile.get("display_name")
            or user.get("real_name")
            or user.get("name")
            or user_id
        )
