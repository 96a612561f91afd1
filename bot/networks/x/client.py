"""X through tweepy, unpatched, behind the network interface (bot.networks.base.Account): only the base URL is ours
to choose (for the sandbox or a test double).

tweepy 4.17 hard-codes `https://api.twitter.com`; a requests.Session that rewrites that prefix is the
one seam it offers. Timeouts are set here too, so a hung X can't hold a publishing attempt forever.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from http.cookiejar import DefaultCookiePolicy
from typing import Any

import requests
import tweepy

from bot.networks.base import Check, Diagnosis, MediaLimits, Network, Posted, TextRules
from bot.networks.x import errors
from bot.networks.x.errors import DeleteStopped, NotDeleted
from bot.networks.x.links import status_id
from bot.networks.x.match import comparable, comparable_from_x
from bot.networks.x.rules import MEDIA, RULES

log = logging.getLogger(__name__)
__all__ = ["LONGEST_X_CALL", "DeleteStopped", "NotDeleted", "XAccount"]
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


KEYS = "X_API_KEY, X_API_SECRET, X_ACCESS_TOKEN and X_ACCESS_TOKEN_SECRET"


class XAccount:
    """The brand's X account (bot.networks.base.Account): post a part, look for one, delete, read metrics.

    `network` is X; a test may label a second X account as another network to run two deliveries side by side.
    """

    def __init__(
        self,
        *,
        api_key: str,
        api_secret: str,
        access_token: str,
        access_token_secret: str,
        base_url: str = TWEEPY_HOST,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
        network: Network = Network.X,
    ) -> None:
        self.network = network
        self.client = tweepy.Client(
            consumer_key=api_key,
            consumer_secret=api_secret,
            access_token=access_token,
            access_token_secret=access_token_secret,
        )
        self.client.session = RebasedSession(base_url, timeout)
        self._me: dict[str, str] | None = None
        self._lock = threading.Lock()

    # -- what a post may be --------------------------------------------------------------------

    def rules(self) -> TextRules:
        return RULES

    def media_limits(self) -> MediaLimits:
        return MEDIA

    def new_key(self) -> str:
        """X has no idempotency key: the key is only ours (stored with the attempt, never sent)."""
        return uuid.uuid4().hex

    # -- posting -------------------------------------------------------------------------------

    def post(self, text: str, *, key: str = "", reply_to: str | None = None, media: Sequence[str] = ()) -> Posted:
        """`POST /2/tweets`. `key` is not sent: X has nothing to send it in (bot.networks.x.errors says what an
        uncertain answer means then). The link is given when the username is known without a call."""
        response = self.client.create_tweet(
            text=text, in_reply_to_tweet_id=reply_to, media_ids=list(media) or None, user_auth=True
        )
        post_id = str(response.data["id"])  # type: ignore[union-attr]
        return Posted(post_id, self._known_link(post_id))

    def find(self, key: str, text: str, since: datetime) -> str | bool | None:
        """The newest of the account's posts since `since` whose text is `text` as X shows it (bot.networks.x.match;
        a post with media is recognised by its attachments), False if none is, None if X won't say. False is not
        final on X: its timeline lags behind its writes, so the caller looks again a few times."""
        timeline = self._timeline(since)
        if timeline is None:
            return None
        expected = comparable(text)
        found = (pid for pid, shown, media in timeline if comparable_from_x(shown, media=media) == expected)
        return next(found, False)

    def upload_media(self, data: bytes, mime: str, alt: str | None) -> str:
        """The media id (valid 24 hours), with its alt text set when there is one."""
        media_id = self.upload(data, mime, "tweet_gif" if mime == "image/gif" else "tweet_image")
        if alt:
            self.set_alt_text(media_id, alt)
        return media_id

    def upload(self, data: bytes, mime: str, category: str) -> str:
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

    # -- after posting -------------------------------------------------------------------------

    def delete(self, post_id: str) -> bool:
        """`DELETE /2/tweets/:id` (`{"data": {"deleted": true}}`). True: X deleted it now. False: it was already
        gone: X answered 404, or `deleted: false` and a lookup finds no such post. Anything else raises
        DeleteStopped, saying why for a person (X's own exception is its cause)."""
        try:
            return self._delete(post_id)
        except Exception as exc:
            raise DeleteStopped(errors.why_not_deleted(exc)) from exc

    def _delete(self, post_id: str) -> bool:
        try:
            response = self.client.delete_tweet(post_id, user_auth=True)
        except tweepy.NotFound:
            return False
        if isinstance(response.data, dict) and response.data.get("deleted") is True:  # type: ignore[union-attr]
            return True
        if self.client.get_tweet(post_id, user_auth=True).data is None:  # type: ignore[union-attr]
            return False
        raise NotDeleted(post_id)

    def metrics(self, post_ids: Sequence[str]) -> dict[str, dict[str, int]] | None:
        """Public metrics per post id, or None when X won't let this account read them (access level,
        credits, rate limit, outage): the digest then says "engagement unavailable" and goes on."""
        found: dict[str, dict[str, int]] = {}
        ids = list(post_ids)
        try:
            for start in range(0, len(ids), 100):
                chunk = ids[start : start + 100]
                response = self.client.get_tweets(ids=chunk, tweet_fields=["public_metrics"], user_auth=True)
                for tweet in response.data or []:  # type: ignore[union-attr]
                    found[str(tweet.id)] = dict(tweet.public_metrics or {})
        except (tweepy.TweepyException, requests.RequestException) as exc:
            log.info("engagement unavailable: %s", type(exc).__name__)
            return None
        return found

    def recent_posts(self, since: datetime, limit: int = 50) -> list[tuple[str, str]] | None:
        """(id, text) of the account's posts since `since`, newest first; None if X won't say."""
        timeline = self._timeline(since, limit)
        return None if timeline is None else [(pid, text) for pid, text, _ in timeline]

    def _timeline(self, since: datetime, limit: int = 50) -> list[tuple[str, str, bool]] | None:
        """(id, text as shown, has media) of the account's posts since `since`, newest first; None if X won't say."""
        try:
            response = self.client.get_users_tweets(
                self.me()["id"],
                max_results=max(5, min(100, limit)),
                start_time=since.astimezone(UTC).replace(microsecond=0),
                tweet_fields=["attachments"],
                user_auth=True,
            )
        except (tweepy.TweepyException, requests.RequestException) as exc:
            log.info("recent posts unavailable: %s", type(exc).__name__)
            return None
        return [(str(t.id), str(t.text), bool((t.attachments or {}).get("media_keys"))) for t in response.data or []]  # type: ignore[union-attr]

    def me(self) -> dict[str, str]:
        with self._lock:
            if self._me is None:
                data = self.client.get_me(user_auth=True).data  # type: ignore[union-attr]
                self._me = {"id": str(data["id"]), "username": str(data["username"])}
            return self._me

    def link(self, post_id: str) -> str | None:
        """The post's link, or None when X can't say the username now (the post is then recorded without it)."""
        try:
            return f"https://x.com/{self.me()['username']}/status/{post_id}"
        except (tweepy.TweepyException, requests.RequestException) as exc:
            log.warning("the account's username is unknown (%s): recorded without the post's link", exc)
            return None

    def post_id_from_link(self, link: str) -> str | None:
        return status_id(link)

    def _known_link(self, post_id: str) -> str | None:
        """The link if the account's username is known already (no call to X), else None."""
        with self._lock:
            me = self._me
        return None if me is None else f"https://x.com/{me['username']}/status/{post_id}"

    def diagnose(self, exc: BaseException) -> Diagnosis:
        return errors.diagnose(exc)

    def check(self) -> list[Check]:
        """The keys are good (`GET /2/users/me` answers) and say which account posts."""
        try:
            me = self.me()
        except tweepy.Unauthorized:
            return [Check("X keys", False, f"X refused the keys (401): check {KEYS}")]
        except Exception as exc:  # one sentence for the operator, never a traceback
            return [Check("X keys", False, errors.diagnose(exc).reason)]
        return [Check(f"X keys (posting as @{me['username']})", True)]
