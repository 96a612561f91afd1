"""A brand's Mastodon account through Mastodon.py 2.x, unpatched, with an access token, on any instance.

How Mastodon.py is set up, and why:
- `version_check_mode="created"` with `mastodon_version` pinned: with the default ("none") and no version,
  `media_post` still asks `verify_minimum_version("3.1.4", cached=True)`, which fetches `/api/v1/instance` and
  `/api/v2/instance` first, and again on every upload if that fetch ever failed, then falls back to the old
  `/api/v1/media` as if the server were 1.0. Pinned, no call is spent on versions and uploads go to `/api/v2/media`;
  "created" refuses only endpoints newer than the pin, and we use none (4.0 brought `/api/v2/instance`).
- `ratelimit_method="throw"`: the default "wait" sleeps inside the call (up to 5 minutes, not thread-safe); we
  want the 429 as an exception the publisher can schedule around. Mastodon.py's exception drops the answer, so
  our session keeps the last answer's headers per thread and the 429 is re-raised as `RateLimited` with
  `X-RateLimit-Reset`.
- Our own `requests.Session` (no cookies kept, so nothing mutable is shared between threads) and a
  (connect, read) timeout, so a hung instance can't hold a publishing attempt.
- Uploads don't use Mastodon.py's `synchronous=True`: it polls `GET /api/v1/media/:id` every 5 s with no end and
  turns every error into "Attachment could not be processed". We poll with a deadline and keep the real error.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from http.cookiejar import DefaultCookiePolicy
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from mastodon import Mastodon, MastodonError, MastodonNotFoundError, MastodonRatelimitError

from bot.networks.base import Check, Diagnosis, MediaLimits, Network, Posted
from bot.networks.mastodon.content import same_text
from bot.networks.mastodon.errors import MediaNotReady, RateLimited, diagnose
from bot.networks.mastodon.text_rules import MastodonTextRules, default_rules, rules_from_instance

log = logging.getLogger(__name__)
T = TypeVar("T")
PINNED_VERSION = "4.0.0"
CONNECT_TIMEOUT_S, READ_TIMEOUT_S = 5.0, 20.0
CLOCK_SLACK = timedelta(minutes=2)  # the instance's clock may run behind ours
PAGE = 40  # the most /api/v1/accounts/:id/statuses gives at once
# A status's link as the web app copies it (`/@user/<id>`), or its ActivityPub uri (`/users/user/statuses/<id>`).
_STATUS_LINK = re.compile(
    r"https?://([^/\s@]+)/(?:@([A-Za-z0-9_]{1,30})|users/([A-Za-z0-9_]{1,30})/statuses)/([0-9]{1,20})(?:[/?#]\S*)?"
)


class _Session(requests.Session):
    """The account's one session; remembers, per thread, the headers of the last answer it got."""

    def __init__(self) -> None:
        super().__init__()
        self.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self.last = threading.local()

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        self.last.headers = {}
        response = super().request(method, url, *args, **kwargs)
        self.last.headers = response.headers
        return response


class MastodonAccount:
    """Implements bot.networks.base.Account for one account on one instance. Thread-safe."""

    network = Network.MASTODON

    def __init__(
        self,
        instance_url: str,
        access_token: str,
        timeout: float | tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
        token_env: str | None = None,
        *,
        media_wait: float = 60.0,
        poll_interval: float = 1.0,
    ) -> None:
        self.token_env = token_env
        self.media_wait, self.poll_interval = media_wait, poll_interval
        self._session = _Session()
        self.api = Mastodon(
            access_token=access_token,
            api_base_url=instance_url,
            request_timeout=timeout,
            ratelimit_method="throw",
            version_check_mode="created",
            mastodon_version=PINNED_VERSION,
            session=self._session,
            user_agent="Countersign",
        )
        self.instance_url = self.api.api_base_url
        self._lock = threading.Lock()
        self._limits: tuple[MastodonTextRules, MediaLimits] | None = None
        self._me: dict[str, str] | None = None
        self._links: dict[str, str] = {}

    # compose

    def rules(self) -> MastodonTextRules:
        return self._instance_limits()[0]

    def media_limits(self) -> MediaLimits:
        return self._instance_limits()[1]

    def _instance_limits(self) -> tuple[MastodonTextRules, MediaLimits]:
        """Read once from `/api/v2/instance` (or `/api/v1/instance` where there is no v2) and kept; while the
        instance can't be read, a stock Mastodon's limits, not kept, so the next call tries again."""
        with self._lock:
            if self._limits is not None:
                return self._limits
            try:
                try:
                    info = self._call(self.api.instance_v2)
                except MastodonNotFoundError:
                    info = self._call(self.api.instance_v1)
            except MastodonError as exc:
                log.warning("could not read %s's limits (%s): counting as a stock Mastodon", self.instance_url, exc)
                return default_rules()
            self._limits = rules_from_instance(dict(info))
            return self._limits

    def new_key(self) -> str:
        return secrets.token_urlsafe(24)

    # publish

    def upload_media(self, data: bytes, mime: str, alt: str | None) -> str:
        """`POST /api/v2/media` with the alt text as `description`. A large file is answered 202 with `url: null`
        while the instance processes it, and a status naming it would be refused (422) until then, so wait for it:
        poll `GET /api/v1/media/:id` (206 while processing) until it has a url, or raise MediaNotReady."""
        media = self._call(self.api.media_post, data, mime_type=mime, description=alt)
        media_id, started, delay = str(media["id"]), time.monotonic(), self.poll_interval
        while media.get("url") is None:
            waited = time.monotonic() - started
            if waited + delay > self.media_wait:
                raise MediaNotReady(media_id, waited)
            time.sleep(delay)
            delay = min(delay * 1.5, 5.0)
            media = self._call(self.api.media, media_id)
        return media_id

    def post(self, text: str, *, key: str, reply_to: str | None = None, media: Sequence[str] = ()) -> Posted:
        """`POST /api/v1/statuses` with `Idempotency-Key: key`: the same key within the hour is the same status."""
        status = self._call(
            self.api.status_post, text, in_reply_to_id=reply_to, media_ids=list(media) or None, idempotency_key=key
        )
        post_id, link = str(status["id"]), status.get("url")
        if link:
            with self._lock:
                self._links[post_id] = str(link)
        return Posted(post_id, str(link) if link else None)

    def find(self, key: str, text: str, since: datetime) -> str | bool | None:
        """The account's statuses since `since`, newest first, compared by text (their HTML `content` read back).
        Mastodon has no read by Idempotency-Key (only a create with it, which could post), so `key` is unused."""
        cutoff = (since if since.tzinfo else since.replace(tzinfo=UTC)) - CLOCK_SLACK
        try:
            account_id = self._account()["id"]
            page = self._call(self.api.account_statuses, account_id, exclude_reblogs=True, limit=PAGE)
            for _ in range(5):
                for status in page:
                    if _aware(status["created_at"]) < cutoff:
                        return False
                    if same_text(status.get("content") or "", text):
                        return str(status["id"])
                if len(page) < PAGE:
                    return False
                page = self._call(self.api.fetch_next, page)
                if not page:
                    return False
        except (MastodonError, KeyError, TypeError) as exc:
            log.info("recent statuses unavailable: %s", type(exc).__name__)
            return None
        return None  # more statuses since then than we read: can't say

    def delete(self, post_id: str) -> bool:
        """`DELETE /api/v1/statuses/:id`; 404 (gone already, or never ours) is False."""
        try:
            self._call(self.api.status_delete, post_id)
        except MastodonNotFoundError:
            return False
        with self._lock:
            self._links.pop(post_id, None)
        return True

    def metrics(self, post_ids: Sequence[str]) -> dict[str, dict[str, int]] | None:
        """Per status, in X's names (base.Account.metrics): favourites, reblogs and replies counts. A status that is
        gone is left out; None when the instance won't say."""
        found: dict[str, dict[str, int]] = {}
        try:
            for post_id in post_ids:
                try:
                    status = self._call(self.api.status, post_id)
                except MastodonNotFoundError:
                    continue
                found[post_id] = {
                    "like_count": int(status.get("favourites_count") or 0),
                    "retweet_count": int(status.get("reblogs_count") or 0),
                    "reply_count": int(status.get("replies_count") or 0),
                }
        except MastodonError as exc:
            log.info("engagement unavailable: %s", type(exc).__name__)
            return None
        return found

    def link(self, post_id: str) -> str | None:
        """The status's `url`: as the instance answered it, else the account's profile url and the id (how
        Mastodon builds a local status's url), or None if the account can't be read now."""
        with self._lock:
            known = self._links.get(post_id)
        if known:
            return known
        try:
            return f"{self._account()['url'].rstrip('/')}/{post_id}"
        except MastodonError:
            return None

    def post_id_from_link(self, link: str) -> str | None:
        """The status id in a link to one of this account's statuses on its own instance; None for anything else.
        Another instance shows our status under its own id (`/@user@domain/<its id>`), and another account's status
        can't be a part of our thread. Reads the account once (its `url` names the instance's public domain, which
        may differ from the API's)."""
        match = _STATUS_LINK.fullmatch(link.strip().strip("<>"))
        if match is None:
            return None
        host, user, status_id = match.group(1).lower(), match.group(2) or match.group(3), match.group(4)
        me = self._account()
        ours = {urlsplit(self.instance_url).netloc.lower(), urlsplit(me["url"]).netloc.lower()}
        return status_id if host in ours and user.lower() == me["acct"].lower() else None

    def diagnose(self, exc: BaseException) -> Diagnosis:
        return diagnose(exc, self.token_env)

    def check(self) -> list[Check]:
        from bot.networks.mastodon.doctor import run_checks

        return run_checks(self)

    # plumbing

    def _account(self) -> dict[str, str]:
        with self._lock:
            if self._me is not None:
                return self._me
        me = self._call(self.api.account_verify_credentials)
        account = {"id": str(me["id"]), "acct": str(me["acct"]), "url": str(me["url"])}
        with self._lock:
            self._me = account
        return account

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except RateLimited:
            raise
        except MastodonRatelimitError as exc:
            headers = getattr(self._session.last, "headers", None) or {}
            raise RateLimited(headers.get("X-RateLimit-Reset")) from exc


def _aware(moment: Any) -> datetime:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
