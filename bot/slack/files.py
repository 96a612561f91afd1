"""Reading a writer's files from Slack: `url_private` with the bot token, and nothing else gets the token.

Slack answers a request without a valid `Authorization: Bearer xoxb-…` (or without the `files:read` scope) with
its HTML sign-in page and status 200, so a 200 proves nothing: the bytes are checked by content afterwards
(bot.intake.media_rules.detect), and an HTML answer is reported as "Slack wouldn't give us the file". A deleted file
answers 404. The token is sent only to Slack's own hosts (`https://files.slack.com`, `*.slack.com`) or to the host of
`SLACK_API_URL` (the sandbox):
a `url_private` pointing anywhere else is refused unread, so a forged payload can't harvest the token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests

log = logging.getLogger(__name__)
SLACK_FILE_HOSTS = frozenset({"files.slack.com"})
TIMEOUT = (5.0, 30.0)


class FileUnavailable(Exception):
    """The file's bytes can't be had. `gone` when Slack says it no longer exists (deleted)."""

    def __init__(self, reason: str, *, gone: bool = False, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.gone = gone
        self.permanent = permanent or gone  # a person must act (scope, address); else worth another try


@dataclass
class SlackFiles:
    token: str
    api_url: str = "https://slack.com/api/"
    max_bytes: int = 15 * 1024 * 1024

    def _allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        own = urlsplit(self.api_url)
        host = parts.hostname or ""
        if parts.scheme == "https" and (host in SLACK_FILE_HOSTS or host.endswith(".slack.com")):
            return True
        return bool(parts.hostname) and (parts.scheme, parts.netloc) == (own.scheme, own.netloc)

    def download(self, url: str) -> bytes:
        """The file's bytes, at most `max_bytes` + 1 of them (the caller refuses anything that long)."""
        if not url or not self._allowed(url):
            raise FileUnavailable("the file's address isn't Slack's", permanent=True)
        headers = {"Authorization": f"Bearer {self.token}"}
        try:
            with requests.get(url, headers=headers, timeout=TIMEOUT, stream=True, allow_redirects=False) as response:
                if response.status_code in (404, 410):
                    raise FileUnavailable("the file was deleted from Slack", gone=True)
                if response.status_code != 200:
                    raise FileUnavailable(f"Slack answered {response.status_code} for the file")
                data = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    data += chunk
                    if len(data) > self.max_bytes:
                        break
                kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        except requests.RequestException as exc:
            raise FileUnavailable(f"Slack unreachable ({type(exc).__name__})") from None
        if kind == "text/html" and bytes(data[:200]).lstrip().lower().startswith((b"<!doctype html", b"<html")):
            # Slack's sign-in page: the token or the files:read scope is missing.
            raise FileUnavailable(
                "Slack answered its sign-in page instead of the file (is `files:read` granted?)", permanent=True
            )
        return bytes(data)
