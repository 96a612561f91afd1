"""What X API v2 answers look like: problem bodies, rate-limit headers and tweet rendering.

Kept separate from the server so the exact bodies tweepy parses (`detail`, `errors[].message`) and the
headers the app reads (`x-rate-limit-reset`, the 24-hour caps) are defined in one place.
"""

from __future__ import annotations

import hashlib
import math
import string
import time
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from typing import Any

from twitter_text import extract_urls_with_indices

INVALID_REQUEST = "https://api.twitter.com/2/problems/invalid-request"
NOT_FOUND = "https://api.twitter.com/2/problems/resource-not-found"
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
TOO_LONG = (
    "Your Tweet text is too long. For more information on how X determines text length see "
    "https://github.com/twitter/twitter-text."
)

# Per-15-minute limits reported in x-rate-limit-limit (informational; use fail() to enforce one).
ROUTE_LIMITS = {
    "POST /2/tweets": 100,
    "DELETE /2/tweets/:id": 50,
    "GET /2/tweets/:id": 900,
    "GET /2/users/me": 75,
    "GET /2/users/:id/tweets": 900,
}
WINDOW_SECONDS = 900
TCO = "https://t.co/"
_TCO_ALPHABET = string.ascii_letters + string.digits
_ESCAPED = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
METRIC_NAMES = ("retweet_count", "reply_count", "like_count", "quote_count", "bookmark_count", "impression_count")


@dataclass
class Post:
    """A post the account made (kept after deletion with `deleted=True`, so attempts stay countable)."""

    id: str
    text: str
    in_reply_to: str | None
    created_at: datetime
    at: float
    media_ids: list[str] = field(default_factory=list)
    deleted: bool = False
    metrics: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METRIC_NAMES, 0))


@dataclass
class XRequest:
    """One request as received; `status` is filled once answered (None if dropped)."""

    method: str
    path: str
    route: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any
    at: float
    status: int | None = None


def problem(
    status: int, title: str | None = None, detail: str | None = None, type_: str = "about:blank"
) -> dict[str, Any]:
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return {"title": title or phrase, "detail": detail or title or phrase, "type": type_, "status": status}


def invalid_request(message: str, parameters: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """X's 400 body: tweepy reads `errors[].message` into api_messages."""
    error: dict[str, Any] = {"message": message}
    if parameters:
        error["parameters"] = parameters
    return {
        "errors": [error],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": INVALID_REQUEST,
    }


def not_found_error(resource: str, value: str) -> dict[str, Any]:
    """Lookups of missing resources answer 200 with `errors` (tweepy returns data=None)."""
    return {
        "errors": [
            {
                "value": value,
                "detail": f"Could not find {resource} with id: [{value}].",
                "title": "Not Found Error",
                "resource_type": resource,
                "parameter": "id",
                "resource_id": value,
                "type": NOT_FOUND,
            }
        ]
    }


def fault_body(status: int) -> dict[str, Any]:
    """Default bodies of injected failures, as X sends them."""
    if status == 402:
        return problem(
            402,
            "Payment Required",
            "Your enrolled account does not have any credits to fulfill this request.",
            "https://api.twitter.com/2/problems/credits",
        )
    if status == 429:
        return problem(429, "Too Many Requests")
    if status >= 500:
        return problem(status, "Service Unavailable")
    return problem(status)


def _epoch_after(seconds: float) -> str:
    """Epoch seconds rounded up, so a reset announced `seconds` from now is never sooner than that."""
    return str(math.ceil(time.time() + seconds))


def rate_headers(limit: int, remaining: int, reset_in: float) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(max(remaining, 0)),
        "x-rate-limit-reset": _epoch_after(reset_in),
    }


def daily_headers(scope: str, reset_in: float, limit: int | None = None) -> dict[str, str]:
    """The 24-hour cap headers (`scope` "user" or "app") X adds when a daily limit is exhausted."""
    if scope not in ("user", "app"):
        raise ValueError("daily must be 'user' or 'app'")
    cap = limit if limit is not None else (17 if scope == "user" else 10_000)
    prefix = f"x-{scope}-limit-24hour"
    return {f"{prefix}-limit": str(cap), f"{prefix}-remaining": "0", f"{prefix}-reset": _epoch_after(reset_in)}


def iso(moment: datetime) -> str:
    """X's timestamp format (millisecond precision, Z suffix), which tweepy's parser requires."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def tco(post_id: str, n: int) -> str:
    """A t.co link as X makes them (10 characters of letters and digits), stable per post and link."""
    digest = hashlib.sha256(f"{post_id}:{n}".encode()).digest()
    return TCO + "".join(_TCO_ALPHABET[b % len(_TCO_ALPHABET)] for b in digest[:10])


def as_x_shows(text: str, post_id: str, *, media: bool = False) -> str:
    """The text as X hands it back: every link twitter-text finds (`northwind.coffee` as well as `https://…`)
    becomes a t.co link, and `&`, `<`, `>` come back HTML-escaped. A post with media ends with one more t.co link,
    after a space, to its photos (one link however many there are; `entities.urls` lists it once per photo)."""
    out: list[str] = []
    at, n = 0, 0
    for n, found in enumerate(extract_urls_with_indices(text), start=1):
        start, end = found["indices"]
        out.append(_escape(text[at:start]))
        out.append(tco(post_id, n - 1))
        at = end
    out.append(_escape(text[at:]))
    if media:
        out.append(f" {tco(post_id, n)}" if text else tco(post_id, n))
    return "".join(out)


def _escape(text: str) -> str:
    return "".join(_ESCAPED.get(c, c) for c in text)


def render(post: Post, fields: set[str], author_id: str, conversation_id: str) -> dict[str, Any]:
    """A tweet object with the default fields plus those requested through tweet.fields."""
    shown = as_x_shows(post.text, post.id, media=bool(post.media_ids))
    data: dict[str, Any] = {"id": post.id, "text": shown, "edit_history_tweet_ids": [post.id]}
    if "created_at" in fields:
        data["created_at"] = iso(post.created_at)
    if "author_id" in fields:
        data["author_id"] = author_id
    if "conversation_id" in fields:
        data["conversation_id"] = conversation_id
    if "public_metrics" in fields:
        data["public_metrics"] = dict(post.metrics)
    if post.in_reply_to:
        if "in_reply_to_user_id" in fields:
            data["in_reply_to_user_id"] = author_id
        if "referenced_tweets" in fields:
            data["referenced_tweets"] = [{"type": "replied_to", "id": post.in_reply_to}]
    if post.media_ids and "attachments" in fields:
        data["attachments"] = {"media_keys": [f"3_{m}" for m in post.media_ids]}
    return data


def fault_headers(route: str, options: dict[str, Any]) -> dict[str, str]:
    """Rate-limit headers computed when an injected fault is served, so resets are relative to the answer."""
    headers: dict[str, str] = {}
    if options["status"] == 429:
        limit = ROUTE_LIMITS.get(route, 100)
        headers.update(rate_headers(limit, limit - 1 if options["daily"] else 0, options["reset_in"]))
        if options["daily"]:
            headers.update(daily_headers(options["daily"], options["daily_reset_in"]))
    headers.update(options["headers"])
    return headers


def tweet_fields(query: dict[str, str]) -> set[str]:
    """The fields a request asked for with `tweet.fields`."""
    return {f.strip() for f in query.get("tweet.fields", "").split(",") if f.strip()}
