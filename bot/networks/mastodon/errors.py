"""What an exception from a Mastodon call means for the post: send again, look first, or a person must act.

Mastodon.py 2.x raises (mastodon/internals.py `__api_request`):
- `MastodonNetworkError("Could not complete request: …")` for anything requests raised (refused connection,
  connect or read timeout, dropped connection), raised inside the `except`, so the requests exception is its
  `__context__`;
- `MastodonRatelimitError("Hit rate limit.")` for a 429 in "throw" mode, without the response: the account
  re-raises it as `RateLimited` carrying the answer's `X-RateLimit-Reset` (an ISO 8601 time);
- by status: 401 `MastodonUnauthorizedError`, 404 `MastodonNotFoundError`, 500/502/503/504 the
  `MastodonServerError` subclasses (other 5xx the base), anything else `MastodonAPIError`; `args` are
  ("Mastodon API returned error", status, reason, the body's `error`).

Why a lost answer is RETRY here, not UNCERTAIN as on X: a status create carries an `Idempotency-Key`, and Mastodon
(PostStatusService#with_idempotency) keeps key → status for an hour under a per-key lock, answering the same
status for the same key. Sending again with the SAME key within the hour cannot post twice. The other calls are
safe to repeat by nature (an upload only leaves an unattached file, which the instance removes after a day).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import requests
from mastodon import (
    MastodonAPIError,
    MastodonError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonNotFoundError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
    MastodonVersionError,
)

from bot.networks.base import Diagnosis, Verdict

SAME_KEY_IS_SAFE = "sending again with the same Idempotency-Key within the hour cannot post twice"
NOT_PROCESSED_HINT = "not finished processing"


class RateLimited(MastodonRatelimitError):
    """A 429, with the instance's `X-RateLimit-Reset` (ISO 8601) that Mastodon.py's own exception drops."""

    def __init__(self, reset: str | None) -> None:
        super().__init__("Hit rate limit.", reset)
        self.reset = reset


class MediaNotReady(MastodonError):
    """The instance was still processing an upload when we stopped waiting for it."""

    def __init__(self, media_id: str, waited: float) -> None:
        super().__init__(f"media {media_id} still processing after {waited:.0f}s")
        self.media_id, self.waited = media_id, waited


def diagnose(exc: BaseException, token_env: str | None = None, now: float | None = None) -> Diagnosis:
    now = time.time() if now is None else now
    if isinstance(exc, MastodonRatelimitError):
        reset = _reset_time(getattr(exc, "reset", None))
        return Diagnosis(Verdict.RETRY, "Mastodon rate limit reached", retry_at=reset if reset > now else now + 60)
    if isinstance(exc, MediaNotReady):
        return Diagnosis(Verdict.RETRY, f"the instance is still processing the image ({exc})", retry_at=now + 30)
    if isinstance(exc, MastodonNetworkError):
        return _network(exc)
    if isinstance(exc, MastodonUnauthorizedError):
        return Diagnosis(Verdict.FAILED, f"the instance refused the access token (401): {token_fix(token_env)}")
    if isinstance(exc, MastodonServerError):
        return Diagnosis(Verdict.RETRY, f"the instance answered {_status(exc)}: {SAME_KEY_IS_SAFE}")
    if isinstance(exc, MastodonNotFoundError):
        return Diagnosis(Verdict.FAILED, f"the instance answered 404: {_message(exc)}")
    if isinstance(exc, MastodonAPIError):
        return _refused(exc, token_env, now)
    if isinstance(exc, MastodonIllegalArgumentError | MastodonVersionError):
        return Diagnosis(Verdict.FAILED, f"Mastodon.py refused the call before sending it ({exc}): report this")
    return Diagnosis(Verdict.UNCERTAIN, f"unexpected error talking to Mastodon ({type(exc).__name__})")


def token_fix(token_env: str | None) -> str:
    where = f"set it in {token_env}" if token_env else "set it in the brand's Mastodon settings"
    return (
        "create a new access token (Preferences → Development → New application, scopes write:statuses, "
        f"write:media and read) and {where}"
    )


def _network(exc: MastodonNetworkError) -> Diagnosis:
    cause = _requests_cause(exc)
    if isinstance(cause, requests.ConnectTimeout) or (
        isinstance(cause, requests.ConnectionError) and _never_connected(cause)
    ):
        return Diagnosis(Verdict.RETRY, "could not connect to the Mastodon instance")
    if isinstance(cause, requests.ReadTimeout):
        return Diagnosis(Verdict.RETRY, f"the instance did not answer in time; {SAME_KEY_IS_SAFE}")
    return Diagnosis(Verdict.RETRY, f"the connection to the instance dropped; {SAME_KEY_IS_SAFE}")


def _refused(exc: MastodonAPIError, token_env: str | None, now: float) -> Diagnosis:
    status, message = _status(exc), _message(exc)
    if status == 403:
        fix = (
            f"the token lacks a scope: {token_fix(token_env)}"
            if "scope" in message.lower()
            else "check the account on the instance (suspended, disabled or unconfirmed?)"
        )
        return Diagnosis(Verdict.FAILED, f"the instance refused (403): {message} — {fix}")
    if status == 422 and NOT_PROCESSED_HINT in message.lower():
        return Diagnosis(Verdict.RETRY, f"the instance is still processing the image: {message}", retry_at=now + 5)
    if isinstance(status, int) and 400 <= status < 500:
        return Diagnosis(Verdict.FAILED, f"the instance refused the post ({status}): {message}")
    return Diagnosis(Verdict.UNCERTAIN, f"unexpected answer from the instance ({status}): {message}")


def _status(exc: MastodonAPIError) -> int | str:
    return exc.args[1] if len(exc.args) > 1 else "?"


def _message(exc: MastodonAPIError) -> str:
    detail = exc.args[3] if len(exc.args) > 3 and exc.args[3] else None
    return str(detail or (exc.args[0] if exc.args else "no details given"))[:300]


def _requests_cause(exc: BaseException) -> BaseException | None:
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None or isinstance(seen, requests.RequestException):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _never_connected(exc: requests.ConnectionError) -> bool:
    """A refused or unresolvable connection carries urllib3's NewConnectionError (or NameResolutionError)."""
    seen: object = exc
    for _ in range(6):
        text = f"{type(seen).__name__} {seen}"
        if "NewConnectionError" in text or "Connection refused" in text or "NameResolutionError" in text:
            return True
        nxt = getattr(seen, "reason", None) or (seen.args[0] if getattr(seen, "args", None) else None)
        if not isinstance(nxt, BaseException):
            return False
        seen = nxt
    return False


def _reset_time(header: str | None) -> float:
    if not header:
        return 0.0
    try:
        moment = datetime.fromisoformat(header.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    except ValueError:
        try:
            return float(header)  # GoToSocial and others send epoch seconds
        except ValueError:
            return 0.0
