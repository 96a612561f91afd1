"""X API v2 stand-in for an unpatched tweepy.Client (its session rewrites https://api.twitter.com here).

Implements the routes the app uses with X's real status codes and bodies, and the failures that matter for
an approval loop with no idempotency key: rate limits, outages, timeouts and lost answers after the post
was actually created (`record_anyway`). Text comes back as X stores it (every link twitter-text finds as a t.co
link, `&<>` HTML-escaped), and the timeline can lag behind the write (`lag_timeline`), as X's does.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from twitter_text import parse_tweet

from bot.networks.x.sandbox_media import MediaLibrary
from bot.networks.x.wire import (
    DUPLICATE,
    METRIC_NAMES,
    NOT_FOUND,
    ROUTE_LIMITS,
    TOO_LONG,
    WINDOW_SECONDS,
    Post,
    XRequest,
    as_x_shows,
    fault_body,
    fault_headers,
    invalid_request,
    not_found_error,
    problem,
    rate_headers,
    render,
    tweet_fields,
)
from bot.sandbox.http_base import Faults, Reply, Request, SandboxServer

__all__ = ["Post", "XRequest", "XSandbox"]

_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"/2/media/upload"), "POST /2/media/upload"),
    ("POST", re.compile(r"/2/media/metadata"), "POST /2/media/metadata"),
    ("POST", re.compile(r"/2/tweets"), "POST /2/tweets"),
    ("GET", re.compile(r"/2/tweets"), "GET /2/tweets"),
    ("GET", re.compile(r"/2/users/me"), "GET /2/users/me"),
    ("GET", re.compile(r"/2/users/([^/]+)/tweets"), "GET /2/users/:id/tweets"),
    ("GET", re.compile(r"/2/tweets/([^/]+)"), "GET /2/tweets/:id"),
    ("DELETE", re.compile(r"/2/tweets/([^/]+)"), "DELETE /2/tweets/:id"),
]
_OAUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')


class XSandbox(SandboxServer):
    """One X account (`username`, `user_id`) reachable with OAuth 1.0a user context."""

    name = "x-sandbox"
    ID_BASE = 1_990_000_000_000_000_000
    ID_STEP = 1 << 22  # snowflake-like: ids increase and look like real ones

    def __init__(
        self,
        consumer_key: str = "ck-test",
        username: str = "acmecoffee",
        user_id: str = "1500000000000000001",
        name: str = "Acme Coffee",
    ) -> None:
        super().__init__()
        self.consumer_key, self.username, self.user_id, self.display_name = consumer_key, username, user_id, name
        self.posts: list[Post] = []
        self.requests: list[XRequest] = []
        self._faults = Faults()
        self._issued = 0
        self._window: dict[str, tuple[float, int]] = {}
        self.media = MediaLibrary()
        self.timeline_lag = 0.0
        self.gone_answer = "deleted_false"

    def reset(self) -> None:
        """Forget posts, requests, faults and rate counters (ids keep increasing)."""
        with self._changed:
            self.posts.clear()
            self.requests.clear()
            self._faults.clear()
            self._window.clear()
            self.media.reset()
            self.timeline_lag = 0.0
            self.gone_answer = "deleted_false"
            self._changed.notify_all()

    # faults

    def fail(
        self,
        route: str = "POST /2/tweets",
        status: int = 429,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        times: int = 1,
        *,
        reset_in: float = 1,
        daily: str | None = None,
        daily_reset_in: float = 3600,
        record_anyway: bool = False,
        after: int = 0,
    ) -> None:
        """Answer the next `times` requests to `route` ("*" = any) with X's error for `status`.

        429 carries x-rate-limit-* (reset `reset_in` s from now); `daily="user"|"app"` adds the exhausted
        24-hour cap headers instead of an exhausted 15-minute window. `record_anyway` creates the post first.
        `after` lets that many requests to `route` through first (e.g. fail a thread's second part).
        """
        if daily is not None and daily not in ("user", "app"):
            raise ValueError("daily must be 'user' or 'app'")
        with self._lock:
            if after:
                self._faults.add(route, "pass", after)
            self._faults.add(
                route,
                "fail",
                times,
                status=status,
                headers=headers or {},
                body=body if body is not None else fault_body(status),
                record_anyway=record_anyway,
                reset_in=reset_in,
                daily=daily,
                daily_reset_in=daily_reset_in,
            )

    def hang(
        self,
        route: str = "POST /2/tweets",
        seconds: float = 5.0,
        times: int = 1,
        record_anyway: bool = True,
        *,
        after: int = 0,
    ) -> None:
        """Wait `seconds` before answering (a client read timeout); without record_anyway, answer 503.
        `after` lets that many requests to `route` through first (e.g. hang on a thread's second part)."""
        with self._lock:
            if after:
                self._faults.add(route, "pass", after)
            self._faults.add(route, "hang", times, seconds=seconds, record_anyway=record_anyway)

    def drop(self, route: str = "POST /2/tweets", times: int = 1, record_anyway: bool = True) -> None:
        """Read the request, then close the socket without answering (the answer is lost)."""
        with self._lock:
            self._faults.add(route, "drop", times, record_anyway=record_anyway)

    def lag_timeline(self, seconds: float) -> None:
        """Show a new post on the account's timeline only `seconds` after it was made, as X's timeline lags
        behind its writes (lookups by id see it at once)."""
        with self._lock:
            self.timeline_lag = seconds

    def answer_gone_with(self, how: str) -> None:
        """What `DELETE /2/tweets/:id` answers for a post that isn't there (deleted already, or never made):
        "deleted_false" (200 `{"data": {"deleted": false}}`, the default) or "not_found" (404, a problem body).
        X documents neither; docs/real-slack-and-x.md says why both are kept."""
        if how not in ("deleted_false", "not_found"):
            raise ValueError("how must be 'deleted_false' or 'not_found'")
        with self._lock:
            self.gone_answer = how

    def drop_post(self, post_id: str) -> None:
        """The account's owner deletes a post on x.com (no API request): gone from the timeline and lookups."""
        with self._changed:
            self._post(post_id).deleted = True
            self._changed.notify_all()

    def delete_requests(self) -> list[str]:
        """The post ids of every DELETE /2/tweets/:id received, in order (answered or not)."""
        with self._lock:
            return [r.path.rsplit("/", 1)[-1] for r in self.requests if r.route == "DELETE /2/tweets/:id"]

    def set_metrics(self, post_id: str, **metrics: int) -> None:
        """Set public_metrics (e.g. like_count=3) of a post."""
        unknown = set(metrics) - set(METRIC_NAMES)
        if unknown:
            raise ValueError(f"unknown metrics {sorted(unknown)}; known: {METRIC_NAMES}")
        with self._changed:
            self._post(post_id).metrics.update(metrics)
            self._changed.notify_all()

    # HTTP

    def handle(self, request: Request) -> Reply:
        route, action, param = self._route(request)
        try:
            body = request.json() if request.body and request.content_type != "multipart/form-data" else None
        except ValueError:
            body = None
        record = XRequest(request.method, request.path, route, request.query, dict(request.headers), body, request.at)
        with self._changed:
            self.requests.append(record)
            self._changed.notify_all()
        reply = self._respond(request, route, action, param)
        with self._changed:
            record.status = None if reply.drop else reply.status
            self._changed.notify_all()
        return reply

    def _route(self, request: Request) -> tuple[str, Callable[[Request, str], Reply] | None, str]:
        actions: dict[str, Callable[[Request, str], Reply]] = {
            "POST /2/tweets": self._create,
            "POST /2/media/upload": lambda request, _: self.media.upload(request),
            "POST /2/media/metadata": lambda request, _: self.media.metadata(request),
            "GET /2/users/me": self._me,
            "GET /2/users/:id/tweets": self._timeline,
            "GET /2/tweets/:id": self._lookup,
            "GET /2/tweets": self._lookup_many,
            "DELETE /2/tweets/:id": self._delete,
        }
        for method, pattern, route in _ROUTES:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                return route, actions[route], match.group(1) if match.groups() else ""
        return f"{request.method} {request.path}", None, ""

    def _respond(
        self, request: Request, route: str, action: Callable[[Request, str], Reply] | None, param: str
    ) -> Reply:
        if action is None:
            return Reply.of_json(problem(404, "Not Found Error", "Sorry, that page does not exist."), 404)
        if not self._authorized(request.headers.get("authorization", "")):
            return Reply.of_json(problem(401, "Unauthorized"), 401)
        with self._lock:
            fault = self._faults.take(route, "pass") or (
                self._faults.take(route, "drop") or self._faults.take(route, "hang") or self._faults.take(route, "fail")
            )
        if fault is None or fault.kind == "pass":
            return self._run(action, request, route, param)
        options = fault.options
        if fault.kind == "drop":
            if options["record_anyway"]:
                self._run(action, request, route, param)
            return Reply(drop=True)
        if fault.kind == "hang":
            reply = (
                self._run(action, request, route, param)
                if options["record_anyway"]
                else Reply.of_json(fault_body(503), 503)
            )
            return reply if self._pause(options["seconds"]) else Reply(drop=True)
        if options["record_anyway"]:
            self._run(action, request, route, param)
        return Reply.of_json(options["body"], options["status"], fault_headers(route, options))

    def _authorized(self, header: str) -> bool:
        """OAuth 1.0a user context with our consumer key (the signature itself is not verified)."""
        if not header.startswith("OAuth "):
            return False
        params = {key: unquote(value) for key, value in _OAUTH_PARAM.findall(header)}
        return params.get("oauth_consumer_key") == self.consumer_key and bool(params.get("oauth_token"))

    def _run(self, action: Callable[[Request, str], Reply], request: Request, route: str, param: str) -> Reply:
        with self._changed:
            reply = action(request, param)
            reply.headers.update(self._count(route))
            self._changed.notify_all()
        return reply

    def _count(self, route: str) -> dict[str, str]:
        limit = ROUTE_LIMITS.get(route, 100)
        started, used = self._window.get(route, (time.time(), 0))
        if time.time() - started >= WINDOW_SECONDS:
            started, used = time.time(), 0
        self._window[route] = (started, used + 1)
        return rate_headers(limit, limit - used - 1, started + WINDOW_SECONDS - time.time())

    # routes (called with the lock held)

    def _create(self, request: Request, _: str) -> Reply:
        try:
            body = request.json()
        except ValueError:
            return Reply.of_json(invalid_request("Request body is not valid JSON."), 400)
        if not isinstance(body, dict):
            return Reply.of_json(invalid_request("Request body must be a JSON object."), 400)
        text = body.get("text")
        media_ids = [str(m) for m in (body.get("media") or {}).get("media_ids") or []]
        reply_to = (body.get("reply") or {}).get("in_reply_to_tweet_id")
        if not isinstance(text, str | None):
            return Reply.of_json(invalid_request("`text` must be a string.", {"text": [str(text)]}), 400)
        if not (text or "").strip() and not media_ids:
            return Reply.of_json(
                invalid_request(
                    "Requires at least one of the following fields: text, media.media_ids.", {"text": [text or ""]}
                ),
                400,
            )
        refused = self.media.check_post(media_ids) if media_ids else None
        if refused is not None:
            return refused
        if text and not parse_tweet(text).valid:
            return Reply.of_json(invalid_request(TOO_LONG, {"text": [text]}), 400)
        if reply_to is not None and not self._live(str(reply_to)):
            message = f"The tweet you are replying to ({reply_to}) does not exist or is not visible to you."
            return Reply.of_json(invalid_request(message, {"reply.in_reply_to_tweet_id": [str(reply_to)]}), 400)
        if text and any(p.text == text for p in self.posts if not p.deleted):
            return Reply.of_json(problem(403, "Forbidden", DUPLICATE), 403)
        self._issued += 1
        post = Post(
            str(self.ID_BASE + self._issued * self.ID_STEP),
            text or "",
            str(reply_to) if reply_to is not None else None,
            datetime.now(UTC),
            time.perf_counter(),
            media_ids,
        )
        self.posts.append(post)
        shown = as_x_shows(post.text, post.id, media=bool(media_ids))  # as stored: t.co links, HTML-escaped
        return Reply.of_json({"data": {"id": post.id, "text": shown, "edit_history_tweet_ids": [post.id]}}, 201)

    def _me(self, request: Request, _: str) -> Reply:
        return Reply.of_json({"data": {"id": self.user_id, "name": self.display_name, "username": self.username}})

    def _timeline(self, request: Request, user_id: str) -> Reply:
        if user_id != self.user_id:
            return Reply.of_json(not_found_error("user", user_id))
        try:
            max_results = int(request.query.get("max_results", "10"))
            start = int(request.query.get("pagination_token", "sb0").removeprefix("sb"))
        except ValueError:
            return Reply.of_json(invalid_request("Invalid max_results or pagination_token."), 400)
        if not 5 <= max_results <= 100:
            return Reply.of_json(
                invalid_request(
                    f"The `max_results` query parameter value [{max_results}] is not between 5 and 100",
                    {"max_results": [str(max_results)]},
                ),
                400,
            )
        since, until = request.query.get("since_id"), request.query.get("until_id")
        shown_before = time.perf_counter() - self.timeline_lag
        posts = [
            p
            for p in reversed(self.posts)
            if not p.deleted
            and p.at <= shown_before
            and (not since or int(p.id) > int(since))
            and (not until or int(p.id) < int(until))
        ]
        page = posts[start : start + max_results]
        if not page:
            return Reply.of_json({"meta": {"result_count": 0}})
        fields = tweet_fields(request.query)
        meta: dict[str, Any] = {"result_count": len(page), "newest_id": page[0].id, "oldest_id": page[-1].id}
        if start + max_results < len(posts):
            meta["next_token"] = f"sb{start + max_results}"
        return Reply.of_json({"data": [self._render(p, fields) for p in page], "meta": meta})

    def _lookup(self, request: Request, post_id: str) -> Reply:
        if not post_id.isdigit():
            return Reply.of_json(invalid_request(f"The `id` query parameter value [{post_id}] is not valid"), 400)
        post = self._live(post_id)
        if post is None:
            return Reply.of_json(not_found_error("tweet", post_id))
        return Reply.of_json({"data": self._render(post, tweet_fields(request.query))})

    def _lookup_many(self, request: Request, _: str) -> Reply:
        """GET /2/tweets?ids=1,2,3 (up to 100): found posts in `data`, missing ones in `errors`."""
        ids = [i for i in request.query.get("ids", "").split(",") if i]
        if not ids or len(ids) > 100 or not all(i.isdigit() for i in ids):
            return Reply.of_json(invalid_request("The `ids` query parameter must hold 1 to 100 numeric ids"), 400)
        found = [(i, self._live(i)) for i in ids]
        body: dict[str, Any] = {}
        data = [self._render(post, tweet_fields(request.query)) for _, post in found if post is not None]
        if data:
            body["data"] = data
        errors = [not_found_error("tweet", i)["errors"][0] for i, post in found if post is None]
        if errors:
            body["errors"] = errors
        return Reply.of_json(body)

    def _delete(self, request: Request, post_id: str) -> Reply:
        """200 `{"data": {"deleted": true}}`; the post leaves the timeline and lookups at once."""
        if not post_id.isdigit():
            return Reply.of_json(invalid_request(f"The `id` query parameter value [{post_id}] is not valid"), 400)
        post = self._live(post_id)
        if post is not None:
            post.deleted = True
            return Reply.of_json({"data": {"deleted": True}})
        if self.gone_answer == "not_found":
            detail = f"Could not find tweet with id: [{post_id}]."
            return Reply.of_json(problem(404, "Not Found Error", detail, NOT_FOUND), 404)
        return Reply.of_json({"data": {"deleted": False}})

    def _live(self, post_id: str) -> Post | None:
        return next((p for p in self.posts if p.id == post_id and not p.deleted), None)

    def _post(self, post_id: str) -> Post:
        post = next((p for p in self.posts if p.id == post_id), None)
        if post is None:
            raise KeyError(f"no post {post_id}; posts: {[p.id for p in self.posts]}")
        return post

    def _render(self, post: Post, fields: set[str]) -> dict[str, Any]:
        root = post
        while root.in_reply_to and (parent := next((p for p in self.posts if p.id == root.in_reply_to), None)):
            root = parent
        return render(post, fields, self.user_id, root.id)

    # inspection

    def live_posts(self) -> list[Post]:
        with self._lock:
            return copy.deepcopy([p for p in self.posts if not p.deleted])

    def link_of(self, post: int | str | Post) -> str:
        """x.com link of a post given its index in `posts`, its id, or the Post."""
        with self._lock:
            found = self.posts[post] if isinstance(post, int) else post
        post_id = found.id if isinstance(found, Post) else found
        return f"https://x.com/{self.username}/status/{post_id}"

    def thread_of(self, post_id: str) -> list[Post]:
        """The post followed by its chain of replies (the first reply at each step)."""
        with self._lock:
            chain = [self._post(post_id)]
            while reply := next((p for p in self.posts if p.in_reply_to == chain[-1].id), None):
                chain.append(reply)
            return copy.deepcopy(chain)

    def wait_for_posts(self, n: int, timeout: float = 5.0) -> list[Post]:
        """Wait until at least `n` posts were created; returns all of them."""

        def enough() -> list[Post] | None:
            return copy.deepcopy(self.posts) if len(self.posts) >= n else None

        try:
            return self.wait_until(enough, timeout)
        except TimeoutError as error:
            raise TimeoutError(
                f"{error}; wanted {n} posts, have {len(self.posts)}; requests: "
                f"{[(r.route, r.status) for r in self.requests]}"
            ) from None
