"""What an exception from tweepy/requests means for a post: retry, uncertain, or failed for good.

The line that matters is whether the request may have reached X. X has no idempotency key, so
anything that may have reached it must never be blindly sent again. The verdicts are the network interface's
(bot.networks.base), re-exported here for the X folder's callers.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import requests
import tweepy

from bot.networks.base import Diagnosis, Verdict

__all__ = ["DUPLICATE_HINT", "DeleteStopped", "Diagnosis", "NotDeleted", "Verdict", "diagnose", "why_not_deleted"]
DUPLICATE_HINT = "duplicate content"


class NotDeleted(Exception):
    """X answered `deleted: false` for a post it still shows: it is up, and must not be counted as gone."""


class DeleteStopped(Exception):
    """A deletion X didn't do, said for a person (`str()`); the exception behind it is its `__cause__`."""


def diagnose(exc: BaseException, now: float | None = None) -> Diagnosis:
    now = time.time() if now is None else now
    if isinstance(exc, DeleteStopped):
        return Diagnosis(Verdict.FAILED, str(exc))
    if isinstance(exc, tweepy.TooManyRequests):
        return Diagnosis(Verdict.RETRY, "X rate limit reached", retry_at=_reset_time(exc.response, now))
    if isinstance(exc, tweepy.Forbidden) and any(DUPLICATE_HINT in m.lower() for m in exc.api_messages):
        return Diagnosis(Verdict.UNCERTAIN, "X says this text was already posted")
    if isinstance(exc, tweepy.Unauthorized):
        return Diagnosis(Verdict.FAILED, "X refused the keys (401): check the X keys in the settings")
    if isinstance(exc, tweepy.Forbidden):
        reason = f"X refused the post (403): {_messages(exc)} Check the X keys and the app's permissions."
        return Diagnosis(Verdict.FAILED, reason)
    if isinstance(exc, tweepy.TwitterServerError):
        return Diagnosis(Verdict.UNCERTAIN, f"X answered {exc.response.status_code}: the post may or may not be up")
    if isinstance(exc, tweepy.HTTPException) and exc.response.status_code == 402:
        return Diagnosis(Verdict.FAILED, "the X account is out of credits (402): top up, then retry")
    if isinstance(exc, tweepy.BadRequest):
        return Diagnosis(Verdict.FAILED, f"X rejected the post (400): {_messages(exc)}")
    if isinstance(exc, tweepy.HTTPException):
        return Diagnosis(Verdict.FAILED, f"X answered {exc.response.status_code}: {_messages(exc)}")
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError):
        return Diagnosis(Verdict.RETRY, "could not connect to X")
    if isinstance(exc, requests.ReadTimeout):
        return Diagnosis(Verdict.UNCERTAIN, "X did not answer in time: the post may or may not be up")
    if isinstance(exc, requests.ConnectionError):
        if _never_connected(exc):
            return Diagnosis(Verdict.RETRY, "could not connect to X")
        return Diagnosis(Verdict.UNCERTAIN, "the connection to X dropped: the post may or may not be up")
    return Diagnosis(Verdict.UNCERTAIN, f"unexpected error talking to X ({type(exc).__name__})")


def _never_connected(exc: requests.ConnectionError) -> bool:
    """A refused or unresolvable connection carries urllib3's NewConnectionError somewhere inside."""
    seen: BaseException | None = exc
    depth = 0
    while seen is not None and depth < 6:
        text = type(seen).__name__ + " " + str(seen)
        if "NewConnectionError" in text or "Connection refused" in text or "NameResolutionError" in text:
            return True
        seen = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else seen.__context__
        depth += 1
    return False


def _reset_time(response: requests.Response | None, now: float) -> float:
    """The latest reset among the windows X says are exhausted (15-minute, and the 24-hour caps)."""
    headers = response.headers if response is not None else {}
    resets = []
    for window in ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"):
        try:
            reset = float(headers.get(f"{window}-reset", ""))
        except ValueError:
            continue
        if reset > now and headers.get(f"{window}-remaining", "0") == "0":
            resets.append(reset)
    return max(resets, default=now + 60)


def _messages(exc: tweepy.HTTPException) -> str:
    return "; ".join(str(m) for m in exc.api_messages)[:300] or "no details given."


def why_not_deleted(exc: BaseException, now: float | None = None) -> str:
    """What stopped a deletion, for the card and the audit trail (the words differ from a post's: a 429 here is
    X's limit on deletions, and the time it lifts is what the person needs)."""
    if isinstance(exc, NotDeleted):
        return "X answered that it did not delete the post"
    if isinstance(exc, tweepy.TooManyRequests):
        retry_at = diagnose(exc, now).retry_at
        after = datetime.fromtimestamp(retry_at, tz=UTC).strftime("%H:%M UTC") if retry_at else "a few minutes"
        return f"X's limit on deletions was reached (429): Retry after {after}"
    if isinstance(exc, tweepy.Unauthorized):
        return "X refused the keys (401): check the X keys in the settings"
    if isinstance(exc, tweepy.Forbidden):
        messages = "; ".join(str(m) for m in exc.api_messages)[:200] or "no details given"
        return f"X refused to delete it (403): {messages}"
    if isinstance(exc, tweepy.HTTPException):
        return f"X answered {exc.response.status_code}"
    if isinstance(exc, requests.ReadTimeout):
        return "X did not answer in time"
    if isinstance(exc, requests.RequestException):
        return "could not reach X"
    return f"unexpected error talking to X ({type(exc).__name__})"
