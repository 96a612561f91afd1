"""A Bluesky PDS stand-in for the unpatched atproto SDK: XRPC over loopback HTTP, one account, its posts.

What the real PDS answers (bluesky-social/atproto packages/pds), modelled here:
- `createSession` with the handle (or DID) and the app password; a wrong one: 401 `AuthenticationRequired`
  "Invalid identifier or password". The session carries a `didDoc` whose PDS endpoint is this server, so the SDK
  keeps talking here. `refreshSession` rotates the refresh token (the old one then answers `ExpiredToken`
  "Token has been revoked"). The SDK refreshes by itself 15 minutes before the access token's `exp`.
- `createRecord` at an rkey that holds a record already: the repo's MST throws a plain error, so the PDS answers
  500 "Internal Server Error", nothing more. `deleteRecord` of a record that isn't there is a no-op: 200 `{}`
  (no `commit`); one that was there answers `{"commit": {cid, rev}}`. `getRecord` of a missing one: 400
  `RecordNotFound` "Could not locate record: <uri>".
- `uploadBlob` over the upload limit: 413 `PayloadTooLarge` "request entity too large". The stored mime type is
  sniffed from the bytes.
- 429 `RateLimitExceeded` "Rate Limit Exceeded" with `RateLimit-Limit/-Remaining/-Reset` (epoch seconds)
  /`-Policy` and `Retry-After`; writes count against `repo-write-hour` as they go.
- `app.bsky.*` reads (getPosts, getAuthorFeed, getProfile) are the AppView's, proxied by the PDS; here they read
  the same store at once (the real AppView lags a little behind the repo).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.networks.bluesky.sandbox_auth import SessionsMixin
from bot.networks.bluesky.sandbox_views import post_view, profile_view
from bot.networks.bluesky.sandbox_wire import (
    INTERNAL,
    POST,
    SERVICE_DID,
    blob_cid,
    check_rkey,
    invalid,
    record_cid,
    sniff_mime,
    validate_post,
    xrpc_error,
)
from bot.networks.bluesky.tid import new_tid
from bot.sandbox.http_base import Faults, Reply, Request, SandboxServer

PUBLIC = {
    "com.atproto.server.createSession",
    "com.atproto.server.describeServer",
    "com.atproto.identity.resolveHandle",
    "com.atproto.repo.getRecord",
}
WRITE_LIMIT, WRITE_WINDOW = 5000, 3600  # repo-write-hour: 5000 points an hour, a create costs 3


@dataclass
class Record:
    collection: str
    rkey: str
    uri: str
    cid: str
    value: dict[str, Any]
    indexed_at: str
    deleted: bool = False
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(("like", "repost", "reply", "quote"), 0))

    @property
    def text(self) -> str:
        return str(self.value.get("text", ""))


@dataclass
class XrpcRequest:
    method: str
    nsid: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    at: float
    status: int | None = None


class BlueskySandbox(SessionsMixin, SandboxServer):
    name = "bluesky-sandbox"

    def __init__(
        self,
        handle: str = "acme.bsky.social",
        app_password: str = "abcd-efgh-ijkl-mnop",
        did: str = "did:plc:acmecoffee4sandbox000000",
        display_name: str = "Acme Coffee",
    ) -> None:
        super().__init__()
        self.user_handle, self.app_password, self.did, self.display_name = handle, app_password, did, display_name
        # handle → DID of other accounts (mentions resolve to them); the account's own handle here points it elsewhere
        self.others: dict[str, str] = {}
        self.records: dict[tuple[str, str], Record] = {}
        self.blobs: dict[str, dict[str, Any]] = {}
        self.requests: list[XrpcRequest] = []
        self.access_ttl, self.refresh_ttl = 7200.0, 90 * 86400.0
        self.upload_limit = 5 * 1024 * 1024
        self._init_sessions()
        self._faults = Faults()
        self._rev = 0

    def reset(self) -> None:
        with self._changed:
            self.records.clear()
            self.blobs.clear()
            self.requests.clear()
            self.others.clear()
            self._faults.clear()
            self._dead_access.clear()
            self.access_ttl, self.refresh_ttl = 7200.0, 90 * 86400.0
            self.upload_limit = 5 * 1024 * 1024
            self._changed.notify_all()

    # knobs

    def add_account(self, handle: str, did: str) -> None:
        with self._lock:
            self.others[handle] = did

    def fail(
        self,
        route: str = "com.atproto.repo.createRecord",
        status: int = 500,
        times: int = 1,
        error: str | None = None,
        message: str | None = None,
        headers: dict[str, str] | None = None,
        record_anyway: bool = False,
        after: int = 0,
    ) -> None:
        """Answer `status` with an XRPC error body `times` times; `record_anyway` does the work first (a 500
        after the record was created); `after`: once that many requests went through (a thread's later part)."""
        body = dict(INTERNAL) if status >= 500 and error is None else {"error": error or "InvalidRequest"}
        if message is not None or status < 500:
            body["message"] = message or body["error"]
        with self._lock:
            if after:
                self._faults.add(route, "pass", after)
            self._faults.add(
                route, "fail", times, status=status, body=body, headers=headers or {}, record_anyway=record_anyway
            )

    def rate_limit(
        self,
        route: str = "com.atproto.repo.createRecord",
        times: int = 1,
        reset_in: float = 120,
        limit: int = WRITE_LIMIT,
    ) -> None:
        reset = int(time.time() + reset_in)
        headers = {
            "RateLimit-Limit": str(limit),
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": f"{limit};w={WRITE_WINDOW}",
            "Retry-After": str(int(reset_in)),
        }
        self.fail(route, 429, times, "RateLimitExceeded", "Rate Limit Exceeded", headers)

    def hang(
        self,
        route: str = "com.atproto.repo.createRecord",
        seconds: float = 30,
        times: int = 1,
        record_anyway: bool = True,
    ) -> None:
        with self._lock:
            self._faults.add(route, "hang", times, seconds=seconds, record_anyway=record_anyway)

    def drop(self, route: str = "com.atproto.repo.createRecord", times: int = 1, record_anyway: bool = True) -> None:
        with self._lock:
            self._faults.add(route, "drop", times, record_anyway=record_anyway)

    def set_counts(self, rkey: str, **counts: int) -> None:
        with self._changed:
            self.records[(POST, rkey)].counts.update(counts)

    def remove(self, rkey: str) -> None:
        """The owner deletes the post in the app (no request here)."""
        with self._changed:
            self.records[(POST, rkey)].deleted = True

    # inspection

    def posts(self) -> list[Record]:
        """The account's live posts, oldest first, as recorded (text, facets, embed, reply in `value`)."""
        with self._lock:
            return copy.deepcopy([r for r in self.records.values() if r.collection == POST and not r.deleted])

    def calls(self, nsid: str) -> list[XrpcRequest]:
        with self._lock:
            return [r for r in self.requests if r.nsid == nsid]

    # HTTP

    def handle(self, request: Request) -> Reply:
        nsid = request.path.removeprefix("/xrpc/")
        query = request.queries
        body: Any = None
        if request.content_type == "application/json":
            try:
                body = request.json()
            except ValueError:
                body = None
        record = XrpcRequest(request.method, nsid, query, dict(request.headers), body, request.at)
        with self._changed:
            self.requests.append(record)
            self._changed.notify_all()
        reply = self._respond(request, nsid, query, body)
        with self._changed:
            record.status = None if reply.drop else reply.status
            self._changed.notify_all()
        return reply

    def _respond(self, request: Request, nsid: str, query: dict[str, list[str]], body: Any) -> Reply:
        action = self._routes().get((request.method, nsid))
        if action is None:
            return xrpc_error(501, "MethodNotImplemented", "Method Not Implemented")
        if nsid == "com.atproto.server.refreshSession":
            refused = self._check_refresh(request)
        elif nsid not in PUBLIC:
            refused = self._check_access(request)
        else:
            refused = None
        if refused is not None:
            return refused
        with self._lock:
            fault = self._faults.take(nsid, "pass") or (
                self._faults.take(nsid, "drop") or self._faults.take(nsid, "hang") or self._faults.take(nsid, "fail")
            )

        def run() -> Reply:
            with self._changed:
                reply = action(request, query, body)
                self._changed.notify_all()
                return reply

        if fault is None or fault.kind == "pass":
            return run()
        options = fault.options
        done = run() if options.get("record_anyway") else None
        if fault.kind == "drop":
            return Reply(drop=True)
        if fault.kind == "hang":  # the work done (or not) first, the answer late
            reply = done or xrpc_error(503, "NotEnoughResources", "Not Enough Resources")
            return reply if self._pause(options["seconds"]) else Reply(drop=True)
        return Reply.of_json(options["body"], options["status"], options["headers"])

    def _routes(self) -> dict[tuple[str, str], Callable[[Request, dict[str, list[str]], Any], Reply]]:
        return {
            ("POST", "com.atproto.server.createSession"): self._create_session,
            ("POST", "com.atproto.server.refreshSession"): lambda r, q, b: self._session_reply(),
            ("GET", "com.atproto.server.getSession"): lambda r, q, b: Reply.of_json(self._session_body()),
            ("GET", "com.atproto.server.describeServer"): self._describe,
            ("POST", "com.atproto.repo.createRecord"): self._create_record,
            ("GET", "com.atproto.repo.getRecord"): self._get_record,
            ("POST", "com.atproto.repo.deleteRecord"): self._delete_record,
            ("POST", "com.atproto.repo.uploadBlob"): self._upload_blob,
            ("GET", "com.atproto.identity.resolveHandle"): self._resolve_handle,
            ("GET", "app.bsky.actor.getProfile"): self._get_profile,
            ("GET", "app.bsky.feed.getPosts"): self._get_posts,
            ("GET", "app.bsky.feed.getAuthorFeed"): self._author_feed,
        }

    # server.* (called with the lock held)

    def _describe(self, request: Request, query: dict[str, list[str]], body: Any) -> Reply:
        return Reply.of_json(
            {"did": SERVICE_DID, "availableUserDomains": [".bsky.social"], "inviteCodeRequired": False, "links": {}}
        )

    # repo.*

    def _create_record(self, request: Request, query: dict[str, list[str]], body: Any) -> Reply:
        if not isinstance(body, dict):
            return invalid("Request body must be a JSON object")
        if body.get("repo") not in (self.did, self.user_handle):
            return xrpc_error(401, "AuthenticationRequired", "Authentication Required")
        collection, rkey, value = body.get("collection"), body.get("rkey"), body.get("record")
        if collection == POST:
            refused = check_rkey(rkey) or validate_post(value, self.blobs)
            if refused is not None:
                return refused
        rkey = rkey or new_tid()
        if (collection, rkey) in self.records:
            return Reply.of_json(INTERNAL, 500)  # the MST throws "There is already a value at key: …"
        uri = f"at://{self.did}/{collection}/{rkey}"
        record = Record(collection, rkey, uri, record_cid(value), copy.deepcopy(value), _now())
        self.records[(collection, rkey)] = record
        return Reply.of_json(
            {"uri": uri, "cid": record.cid, "commit": self._commit(), "validationStatus": "valid"},
            headers=self._write_headers(),
        )

    def _get_record(self, request: Request, query: dict[str, list[str]], body: Any) -> Reply:
        repo, collection, rkey = (query.get(k, [""])[0] for k in ("repo", "collection", "rkey"))
        if repo not in (self.did, self.user_handle):
            return invalid("Could not locate record")
        uri = f"at://{self.did}/{collection}/{rkey}"
        record = self.records.get((collection, rkey))
        if record is None or record.deleted:
            return invalid(f"Could not locate record: {uri}", "RecordNotFound")
        return Reply.of_json({"uri": uri, "cid": record.cid, "value": record.value})

    def _delete_record(self, request: Request, query: dict[str, list[str]], body: Any) -> Reply:
        if not isinstance(body, dict) or body.get("repo") not in (self.did, self.user_handle):
            return xrpc_error(401, "AuthenticationRequired", "Authentication Required")
        record = self.records.get((body.get("collection"), body.get("rkey")))
        if record is None or record.deleted:
            return Reply.of_json({})  # no-op if the record already doesn't exist
        record.deleted = True
        return Reply.of_json({"commit": self._commit()}, headers=self._write_headers())

    def _upload_blob(self, request: Request, query: dict[str, list[str]], body: Any) -> Reply:
        data = request.body
        if len(data) > self.upload_limit:
            return xrpc_error(413, "PayloadTooLarge", "request entity too large")
        mime = sniff_mime(data, request.content_type)
        cid = blob_cid(data)
        self.blobs[cid] = {"mimeType": mime, "size": len(data), "data": data}
        return Reply.of_json({"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(data)}})

    def _resolve_handle(self, request: Request, query: dict[str, list[str]], body: Any) -> Reply:
        handle = query.get("handle", [""])[0].lower()
        did = self.others.get(handle) or (self.did if handle == self.user_handle else None)
        if did is None:
            return invalid("Unable to resolve handle")
        return Reply.of_json({"did": did})

    # app.bsky.* (the AppView's, proxied)

    def _get_profile(self, request: Request, query: dict[str, list[str]], body: Any) -> Reply:
        actor = query.get("actor", [""])[0]
        if actor not in (self.did, self.user_handle):
            return invalid("Profile not found")
        posts = sum(1 for r in self.records.values() if r.collection == POST and not r.deleted)
        return Reply.of_json(profile_view(self.did, self.user_handle, self.display_name, posts))

    def _get_posts(self, request: Request, query: dict[str, list[str]], body: Any) -> Reply:
        uris = query.get("uris", [])
        if len(uris) > 25:
            return invalid(f"Invalid app.bsky.feed.getPosts params: array too big (maximum 25, got {len(uris)})")
        found = [self._by_uri(u) for u in uris]
        return Reply.of_json({"posts": [self._view(r) for r in found if r is not None]})

    def _author_feed(self, request: Request, query: dict[str, list[str]], body: Any) -> Reply:
        if query.get("actor", [""])[0] not in (self.did, self.user_handle):
            return invalid("Profile not found")
        limit = int(query.get("limit", ["50"])[0])
        posts = sorted(
            (r for r in self.records.values() if r.collection == POST and not r.deleted),
            key=lambda r: r.rkey,
            reverse=True,
        )
        cursor = query.get("cursor", [""])[0]
        if cursor:
            posts = [r for r in posts if r.rkey < cursor]
        page = posts[:limit]
        out: dict[str, Any] = {"feed": [{"post": self._view(r)} for r in page]}
        if len(posts) > limit:
            out["cursor"] = page[-1].rkey
        return Reply.of_json(out)

    def _by_uri(self, uri: str) -> Record | None:
        collection, _, rkey = uri.removeprefix(f"at://{self.did}/").partition("/")
        record = self.records.get((collection, rkey))
        return record if record is not None and not record.deleted and uri.startswith(f"at://{self.did}/") else None

    def _view(self, record: Record) -> dict[str, Any]:
        return post_view(
            record.uri,
            record.cid,
            record.value,
            record.indexed_at,
            record.counts,
            {"did": self.did, "handle": self.user_handle, "displayName": self.display_name},
            self.url,
        )

    # bookkeeping

    def _commit(self) -> dict[str, str]:
        self._rev += 1
        return {"cid": record_cid({"rev": self._rev, "did": self.did}), "rev": new_tid()}

    def _write_headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(WRITE_LIMIT),
            "RateLimit-Remaining": str(WRITE_LIMIT - 3),
            "RateLimit-Reset": str(int(time.time()) + WRITE_WINDOW),
            "RateLimit-Policy": f"{WRITE_LIMIT};w={WRITE_WINDOW}",
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
