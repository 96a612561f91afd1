"""People's names, for the attribution line. Cached: names rarely change and users.info is rate-limited.

A name is public: it signs a post on X. So when Slack fails to answer for a name we knew, the name we knew is
used (stale-while-error) rather than the person's Slack id, and Slack is asked again a little later.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)
TTL_S = 3600.0
RETRY_AFTER_ERROR_S = 60.0  # a stale name is used this long before Slack is asked again


class SlackDirectory:
    def __init__(
        self, client: WebClient, ttl_s: float = TTL_S, retry_after_error_s: float = RETRY_AFTER_ERROR_S
    ) -> None:
        self.client = client
        self.ttl_s = ttl_s
        self.retry_after_error_s = retry_after_error_s
        self._cache: dict[str, tuple[float, str]] = {}  # user id -> (when Slack last answered, name)
        self._retry_at: dict[str, float] = {}  # user id -> not before, after users.info failed
        self._lock = threading.Lock()

    def name(self, user_id: str) -> str:
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(user_id)
            waiting = self._retry_at.get(user_id, 0.0) > now
        if hit and (now - hit[0] < self.ttl_s or waiting):
            return hit[1]
        name = self._fetch(user_id)
        if name is None:
            if hit is None:
                return user_id  # never known: the next call asks Slack again
            with self._lock:
                self._retry_at[user_id] = now + self.retry_after_error_s
            log.warning(
                "users.info failed for %s; using the name Slack gave %.0f min ago", user_id, (now - hit[0]) / 60
            )
            return hit[1]
        with self._lock:
            self._cache[user_id] = (now, name)
            self._retry_at.pop(user_id, None)
        return name

    def warm(self, user_ids: Iterable[str]) -> None:
        """Look people up ahead of time, so a decision recorded before the ack never waits on Slack."""
        for user_id in user_ids:
            self.name(user_id)

    def _fetch(self, user_id: str) -> str | None:
        try:
            user = self.client.users_info(user=user_id)["user"]
        except (SlackApiError, OSError, KeyError, TypeError) as exc:
            log.warning("users.info failed for %s (%s)", user_id, exc)
            return None
        profile = user.get("profile") or {}
        return (
            profile.get("real_name")
            or profile.get("display_name")
            or user.get("real_name")
            or user.get("name")
            or user_id
        )
