"""X through tweepy, unpatched: only the base URL is ours to choose (for the sandbox or a test double).

tweepy 4.17 hard-codes `https://api.twitter.com`; a requests.Session that rewrites that prefix is the
one seam it offers. Timeouts are set here too, so a hung X can't hold a publishing attempt forever.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
import tweepy

log = logging.getLogger(__name__)
TWEEPY_HOST = "https://api.twitter.com"
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 20.0
# The longest one X call can take before requests gives up on it: a publishing lease must outlive it, or another
# instance recovers a post whose holder is still waiting for X's answer.
LONGEST_X_CALL = timedelta(seconds=CONNECT_TIMEOUT_S + READ_TIMEOUT_S)


class RebasedSession(requests.Session):
    """The account's one session: every X call of every thread goes through it, on its pool of kept connections
    (urllib3's, thread-safe). It keeps no cookies (X's API doesn't need them), so the one thing of a Session
    that calls would otherwise share and mutate, its cookie jar, stays empty: requests' jar is iterated
    without a lock while another thread may be adding to it."""

    def __init__(self, base_url: str, timeout: tuple[float, float]) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith(TWEEPY_HOST):
            url = self.base_url + url[len(TWEEPY_HOST) :]
        kwargs.setdefault("timeout", self.timeout)
        return super().request(method, url, *args, **kwargs)


def _raise_like_tweepy(response: requests.Response) -> None:
    """The exception tweepy's BaseClient.request raises for this answer, so bot.networks.x.errors reads it alike."""
    status = response.status_code
    errors = {400: tweepy.BadRequest, 401: tweepy.Unauthorized, 403: tweepy.Forbidden, 404: tweepy.NotFound}
    if status in errors:
        raise errors[status](response)
    if status == 429:
        reset = response.headers.get("x-rate-limit-reset")
        raise tweepy.TooManyRequests(response, reset_time=int(reset) if reset and reset.isdigit() else None)
    if status >= 500:
        raise tweepy.TwitterServerError(response)
    if not 200 <= status < 300:
        raise tweepy.HTTPException(response)


class NotDeleted(Exception):
    """X answered `deleted: false` for a post it still shows: it is up, and must not be counted as gone."""


class XAccount:
    """The brand's X account: post one part, know the username for links."""

    def __init__(
        self,
        *,
        api_key: str,
        api_secret: str,
        access_token: str,
        access_token_secret: str,
        base_url: str = TWEEPY_HOST,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
    ) -> None:
        self.client = tweepy.Client(
            consumer_key=api_key,
            consumer_secret=api_secret,
            access_token=access_token,
            access_token_secret=access_token_secret,
        )
        self.client.session = RebasedSession(base_url, timeout)
        self._me: dict[str, str] | None = None
        self._lock = threading.Lock()

    def post(self, text: str, in_reply_to: str | None = None, media_ids: list[str] | None = None) -> str:
        response = self.client.create_tweet(
            text=text, in_reply_to_tweet_id=in_reply_to, media_ids=media_ids or None, user_auth=True
        )
        return str(response.data["id"])  # type: ignore[union-attr]

    def delete(self, post_id: str) -> bool:
        """`DELETE /2/tweets/:id` (`{"data": {"deleted": true}}`). True: X deleted it now. False: it was already
        gone: X answered 404, or `deleted: false` and a lookup finds no such post. `deleted: false` for a post X
        still has raises NotDeleted; any other answer raises tweepy's exceptions, as every X call does."""
        try:
            response = self.client.delete_tweet(post_id, user_auth=True)
        except tweepy.NotFound:
            return False
        if isinstance(response.data, dict) and response.data.get("deleted") is True:  # type: ignore[union-attr]
            return True
        if self.client.get_tweet(post_id, user_auth=True).data is None:  # type: ignore[union-attr]
            return False
        raise NotDeleted(post_id)

    def upload_media(self, data: bytes, mime: str, category: str) -> str:
        """`POST /2/media/upload` (multipart `media`, `media_category`): the media id, valid 24 hours.

        tweepy 4.17's Client can only send JSON bodies, so the multipart request is made here, signed by
        tweepy's own OAuth 1.0a handler with the same keys (the body isn't part of a multipart signature), on
        the same rebased session; non-2xx answers raise tweepy's exceptions, as every other X call does.
        """
        client = self.client
        auth = tweepy.OAuth1UserHandler(
            client.consumer_key, client.consumer_secret, client.access_token, client.access_token_secret
        ).apply_auth()
        files = {"media": ("media", data, mime)}
        with client.session.request(
            "POST",
            f"{TWEEPY_HOST}/2/media/upload",
            data={"media_category": category},
            files=files,
            auth=auth,
            headers={"User-Agent": client.user_agent},
        ) as response:
            _raise_like_tweepy(response)
            return str(response.json()["data"]["id"])

    def set_alt_text(self, media_id: str, text: str) -> None:
        """`POST /2/media/metadata`: a JSON body, so tweepy's own request path carries it."""
        body = {"id": media_id, "metadata": {"alt_text": {"text": text}}}
        self.client.request("POST", "/2/media/metadata", json=body, user_auth=True)

    def metrics(self, post_ids: list[str]) -> dict[str, dict[str, int]] | None:
        """Public metrics per post id, or None when X won't let this account read them (access level,
        credits, rate limit, outage): the digest then says "engagement unavailable" and goes on."""
        found: dict[str, dict[str, int]] = {}
        try:
            for start in range(0, len(post_ids), 100):
                chunk = post_ids[start : start + 100]
                response = self.client.get_tweets(ids=chunk, tweet_fields=["public_metrics"], user_auth=True)
                for tweet in response.data or []:  # type: ignore[union-attr]
                    found[str(tweet.id)] = dict(tweet.public_metrics or {})
        except (tweepy.TweepyException, requests.RequestException) as exc:
            log.info("engagement unavailable: %s", type(exc).__name__)
            return None
        return found

    def recent_posts(self, since: datetime, limit: int = 50) -> list[tuple[str, str]] | None:
        """(id, text) of the account's posts since `since`, newest first; None if X won't say."""
        try:
            response = self.client.get_users_tweets(
                self.me()["id"],
                max_results=max(5, min(100, limit)),
                start_time=since.astimezone(UTC).replace(microsecond=0),
                user_auth=True,
            )
        except (tweepy.TweepyException, requests.RequestException) as exc:
            log.info("recent posts unavailable: %s", type(exc).__name__)
            return None
        return [(str(t.id), str(t.text)) for t in response.data or []]  # type: ignore[union-attr]

    def me(self) -> dict[str, str]:
        with self._lock:
            if self._me is None:
                data = self.client.get_me(user_auth=True).data  # type: ignore[union-attr]
                self._me = {"id": str(data["id"]), "username": str(data["username"])}
            return self._me

    def link(self, post_id: str) -> str:
        return f"https://x.com/{self.me()['username']}/status/{post_id}"

    def known_link(self, post_id: str) -> str | None:
        """The link if the account's username is known already (no call to X), else None."""
        with self._lock:
            me = self._me
        return None if me is None else f"https://x.com/{me['username']}/status/{post_id}"

    def try_link(self, post_id: str) -> str | None:
        """The link, or None when X can't say the username now (the post is then recorded without it)."""
        try:
            return self.link(post_id)
        except (tweepy.TweepyException, requests.RequestException) as exc:
            log.warning("the account's username is unknown (%s): recorded without the post's link", exc)
            return None
