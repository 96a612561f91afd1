"""A Mastodon instance on loopback, for an unpatched Mastodon.py (`api_base_url` pointed here).

What it models of the real server (mastodon/mastodon: Api::V1::StatusesController, PostStatusService,
StatusLengthValidator, Api::V2::MediaController, Api::V1::MediaController, Api::BaseController):
- Bearer tokens with scopes: a bad token is 401 `{"error":"The access token is invalid"}`, a missing scope 403
  `{"error":"This action is outside the authorized scopes"}` (`write` covers `write:statuses`, `write:media`).
- `POST /api/v1/statuses` as form fields (`media_ids[]` repeated) or JSON. `Idempotency-Key`: the same key on the
  same account within the hour answers the same status and posts nothing (the status deleted since: 404). Over
  the instance's limit (counted as the server counts) 422 `Validation failed: Text character limit of N exceeded`;
  a reply to a missing status 404; media still processing 422 `Cannot attach files that have not finished…`.
- `content` is HTML rendered as Mastodon renders plain text (sandbox_html); DELETE answers the status with `text`.
- `POST /api/v2/media`: 200 with a `url` for a small file, 202 with `url: null` for one over `large_over` bytes,
  processed after `processing_polls` polls of `GET /api/v1/media/:id` (206 until then, 200 after) or
  `processing_seconds`; `PUT /api/v1/media/:id` sets the description.
- `GET /api/v2/instance` and `/api/v1/instance` (trailing slash too, as Mastodon.py asks) with the configured
  limits; X-RateLimit-Limit/Remaining/Reset (ISO 8601) on every authenticated answer, 429 `Too many requests`.
- Faults as XSandbox's: `fail`, `hang`, `drop`, each optionally after doing the work (`record_anyway`), so a lost
  answer after the status was created can be replayed with the same key.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.networks.mastodon.sandbox_forms import MastodonRequest, Upload, parse_body
from bot.networks.mastodon.sandbox_routes import Routes
from bot.networks.mastodon.sandbox_wire import (
    BAD_TOKEN,
    NOT_FOUND,
    OUT_OF_SCOPE,
    TEMPORARY,
    TOO_MANY_REQUESTS,
    Media,
    Status,
)
from bot.sandbox.http_base import Faults, Reply, Request, SandboxServer

__all__ = ["MastodonRequest", "MastodonSandbox", "Media", "Status"]

_ROUTES: list[tuple[str, re.Pattern[str], str, str | None]] = [
    ("GET", re.compile(r"/api/v2/instance"), "GET /api/v2/instance", None),
    ("GET", re.compile(r"/api/v1/instance"), "GET /api/v1/instance", None),
    (
        "GET",
        re.compile(r"/api/v1/accounts/verify_credentials"),
        "GET /api/v1/accounts/verify_credentials",
        "read:accounts",
    ),
    ("GET", re.compile(r"/api/v1/accounts/([^/]+)/statuses"), "GET /api/v1/accounts/:id/statuses", "read:statuses"),
    ("POST", re.compile(r"/api/v1/statuses"), "POST /api/v1/statuses", "write:statuses"),
    ("GET", re.compile(r"/api/v1/statuses/([^/]+)"), "GET /api/v1/statuses/:id", "read:statuses"),
    ("DELETE", re.compile(r"/api/v1/statuses/([^/]+)"), "DELETE /api/v1/statuses/:id", "write:statuses"),
    ("POST", re.compile(r"/api/v2/media"), "POST /api/v2/media", "write:media"),
    ("GET", re.compile(r"/api/v1/media/([^/]+)"), "GET /api/v1/media/:id", "write:media"),
    ("PUT", re.compile(r"/api/v1/media/([^/]+)"), "PUT /api/v1/media/:id", "write:media"),
]
_FAULT_ERRORS = {429: TOO_MANY_REQUESTS, 500: "We're sorry, but something went wrong on our end.", 503: TEMPORARY}


class MastodonSandbox(Routes, SandboxServer):
    """One account (`username` on `domain`) reachable with `token`; the instance's limits are settable."""

    name = "mastodon-sandbox"
    WINDOW_SECONDS = 300  # Mastodon's API limit: 300 requests per 5 minutes per token

    def __init__(
        self,
        token: str = "token-test",
        username: str = "acmecoffee",
        domain: str = "social.example.com",
        max_characters: int = 500,
        account_id: str = "109000000000000001",
    ) -> None:
        super().__init__()
        self.username, self.domain, self.account_id = username, domain, account_id
        self.tokens: dict[str, set[str]] = {token: {"read", "write"}}
        self.limits: dict[str, Any] = {
            "max_characters": max_characters,
            "max_media_attachments": 4,
            "characters_reserved_per_url": 23,
            "image_size_limit": 16 * 1024 * 1024,
            "description_limit": 1500,
            "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4"],
        }
        self.has_v2_instance = True
        self.statuses: list[Status] = []
        self.media: dict[str, Media] = {}
        self.requests: list[MastodonRequest] = []
        self.large_over = 64 * 1024
        self.processing_polls, self.processing_seconds, self.processing_fails = 2, 30.0, False
        self._faults = Faults()
        self._keys: dict[tuple[str, str], tuple[str, float]] = {}
        self._sequence = 0
        self._window: dict[str, tuple[float, int]] = {}

    # configuration and faults

    def reset(self) -> None:
        with self._changed:
            self.statuses.clear()
            self.media.clear()
            self.requests.clear()
            self._faults.clear()
            self._keys.clear()
            self._window.clear()
            self._changed.notify_all()

    def add_token(self, token: str, scopes: set[str]) -> None:
        with self._lock:
            self.tokens[token] = set(scopes)

    def set_limits(self, **limits: Any) -> None:
        unknown = set(limits) - set(self.limits)
        if unknown:
            raise ValueError(f"unknown limits {sorted(unknown)}; known: {sorted(self.limits)}")
        with self._lock:
            self.limits.update(limits)

    def media_processing(
        self, polls: int = 2, seconds: float = 30.0, fails: bool = False, large_over: int = 65536
    ) -> None:
        """Uploads over `large_over` bytes answer 202 and are processed after `polls` GETs or `seconds`;
        `fails`: processing fails (GET answers 422 `Error processing thumbnail…`)."""
        with self._lock:
            self.processing_polls, self.processing_seconds = polls, seconds
            self.processing_fails, self.large_over = fails, large_over

    def fail(
        self,
        route: str = "POST /api/v1/statuses",
        status: int = 500,
        times: int = 1,
        *,
        body: dict[str, Any] | None = None,
        reset_in: float = 60,
        record_anyway: bool = False,
        after: int = 0,
    ) -> None:
        """Answer the next `times` requests to `route` ("*" = any) with `status` and Mastodon's `{"error": …}`;
        a 429 carries X-RateLimit-Reset `reset_in` s ahead. `record_anyway` does the work first."""
        error = body if body is not None else {"error": _FAULT_ERRORS.get(status, f"Error {status}")}
        with self._lock:
            if after:
                self._faults.add(route, "pass", after)
            self._faults.add(
                route, "fail", times, status=status, body=error, reset_in=reset_in, record_anyway=record_anyway
            )

    def hang(
        self, route: str = "POST /api/v1/statuses", seconds: float = 5.0, times: int = 1, record_anyway: bool = True
    ) -> None:
        """Wait `seconds` before answering (a client read timeout); without record_anyway, then answer 503."""
        with self._lock:
            self._faults.add(route, "hang", times, seconds=seconds, record_anyway=record_anyway)

    def drop(self, route: str = "POST /api/v1/statuses", times: int = 1, record_anyway: bool = True) -> None:
        """Read the request, (do the work,) close the socket without an answer."""
        with self._lock:
            self._faults.add(route, "drop", times, record_anyway=record_anyway)

    def set_counts(self, status_id: str, **counts: int) -> None:
        """favourites_count=…, reblogs_count=…, replies_count=… of a status."""
        with self._changed:
            status = self._status(status_id, live_only=False)
            for name, value in counts.items():
                if name not in ("favourites_count", "reblogs_count", "replies_count"):
                    raise ValueError(f"unknown count {name}")
                setattr(status, name, value)
            self._changed.notify_all()

    # inspection

    def live_statuses(self) -> list[Status]:
        with self._lock:
            return copy.deepcopy([s for s in self.statuses if not s.deleted])

    def requests_to(self, route: str) -> list[MastodonRequest]:
        with self._lock:
            return [r for r in self.requests if r.route == route]

    def link_of(self, status_id: str) -> str:
        return f"https://{self.domain}/@{self.username}/{status_id}"

    # HTTP

    def handle(self, request: Request) -> Reply:
        route, action, param, scope = self._route(request)
        upload = parse_body(request)
        record = MastodonRequest(request.method, request.path, route, dict(request.headers), upload.fields, request.at)
        with self._changed:
            self.requests.append(record)
            self._changed.notify_all()
        reply = self._respond(request, upload, route, action, param, scope)
        with self._changed:
            record.status = None if reply.drop else reply.status
            self._changed.notify_all()
        return reply

    def _route(self, request: Request) -> tuple[str, Callable[..., Reply] | None, str, str | None]:
        path = request.path.rstrip("/") or "/"
        for method, pattern, route, scope in _ROUTES:
            match = pattern.fullmatch(path)
            if match and method == request.method:
                action = getattr(self, "_" + route.split(" ", 1)[1].strip("/").replace("/", "_").replace(":", ""))
                return route, action, match.group(1) if match.groups() else "", scope
        return f"{request.method} {path}", None, "", None

    def _respond(
        self,
        request: Request,
        upload: Upload,
        route: str,
        action: Callable[..., Reply] | None,
        param: str,
        scope: str | None,
    ) -> Reply:
        if action is None:
            return Reply.of_json({"error": NOT_FOUND}, 404)
        token = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if scope is not None:
            with self._lock:
                scopes = self.tokens.get(token)
            if scopes is None:
                return Reply.of_json({"error": BAD_TOKEN}, 401)
            if not (
                {scope, scope.split(":")[0]} & scopes or (route.endswith("verify_credentials") and "profile" in scopes)
            ):
                return Reply.of_json({"error": OUT_OF_SCOPE}, 403)
        with self._lock:
            fault = self._faults.take(route, "pass") or (
                self._faults.take(route, "drop") or self._faults.take(route, "hang") or self._faults.take(route, "fail")
            )
        run = lambda: self._run(action, request, upload, param, token if scope else None)  # noqa: E731
        if fault is None or fault.kind == "pass":
            return run()
        options = fault.options
        if fault.kind == "drop":
            if options["record_anyway"]:
                run()
            return Reply(drop=True)
        if fault.kind == "hang":
            reply = run() if options["record_anyway"] else Reply.of_json({"error": TEMPORARY}, 503)
            return reply if self._pause(options["seconds"]) else Reply(drop=True)
        if options["record_anyway"]:
            run()
        headers = self._limit_headers(token, options["reset_in"], exhausted=True) if options["status"] == 429 else {}
        return Reply.of_json(options["body"], options["status"], headers)

    def _run(
        self, action: Callable[..., Reply], request: Request, upload: Upload, param: str, token: str | None
    ) -> Reply:
        with self._changed:
            reply = action(request, upload, param)
            if token is not None:
                reply.headers.update(self._count(token))
            self._changed.notify_all()
        return reply

    def _count(self, token: str) -> dict[str, str]:
        started, used = self._window.get(token, (time.time(), 0))
        if time.time() - started >= self.WINDOW_SECONDS:
            started, used = time.time(), 0
        self._window[token] = (started, used + 1)
        return self._limit_headers(token, started + self.WINDOW_SECONDS - time.time(), remaining=300 - used - 1)

    def _limit_headers(
        self, token: str, reset_in: float, *, exhausted: bool = False, remaining: int = 0
    ) -> dict[str, str]:
        reset = datetime.now(UTC) + timedelta(seconds=reset_in)
        return {
            "X-RateLimit-Limit": "300",
            "X-RateLimit-Remaining": "0" if exhausted else str(max(0, remaining)),
            "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
