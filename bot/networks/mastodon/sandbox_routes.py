"""The stand-in's routes: what each Mastodon endpoint answers (see sandbox.py for the sources and the quirks).
Called by MastodonSandbox with its lock held; the state they read and change is the server's."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from bot.networks.mastodon.sandbox_forms import Upload, as_list, as_text
from bot.networks.mastodon.sandbox_wire import (
    NOT_FOUND,
    NOT_PROCESSED,
    PROCESSING_ERROR,
    REPLY_NOT_FOUND,
    Media,
    Status,
    account_json,
    instance_v1,
    instance_v2,
    snowflake,
    status_json,
)
from bot.networks.mastodon.text_rules import status_length
from bot.sandbox.http_base import Reply, Request


class Routes:
    """One method per route, named for its path (`GET /api/v1/statuses/:id` → `_api_v1_statuses_id`)."""

    IDEMPOTENCY_SECONDS = 3600  # Mastodon keeps key → status this long (redis setex 3_600)
    username: str
    domain: str
    account_id: str
    limits: dict[str, Any]
    has_v2_instance: bool
    statuses: list[Status]
    media: dict[str, Media]
    large_over: int
    processing_polls: int
    processing_seconds: float
    processing_fails: bool
    _keys: dict[tuple[str, str], tuple[str, float]]
    _sequence: int

    def _api_v2_instance(self, request: Request, upload: Upload, _: str) -> Reply:
        if not self.has_v2_instance:
            return Reply.of_json({"error": NOT_FOUND}, 404)
        return Reply.of_json(instance_v2(self.domain, self.limits))

    def _api_v1_instance(self, request: Request, upload: Upload, _: str) -> Reply:
        return Reply.of_json(instance_v1(self.domain, self.limits))

    def _api_v1_accounts_verify_credentials(self, request: Request, upload: Upload, _: str) -> Reply:
        return Reply.of_json(self._account(source=True))

    def _api_v1_accounts_id_statuses(self, request: Request, upload: Upload, account_id: str) -> Reply:
        if account_id != self.account_id:
            return Reply.of_json({"error": NOT_FOUND}, 404)
        query = request.query
        try:
            limit = min(40, max(1, int(query.get("limit") or 20)))
        except ValueError:
            limit = 20
        max_id, since_id, min_id = (
            int(query[k]) if query.get(k, "").isdigit() else None for k in ("max_id", "since_id", "min_id")
        )
        truthy = {"1", "true", "True"}
        shown = [
            s
            for s in reversed(self.statuses)
            if not s.deleted
            and (max_id is None or int(s.id) < max_id)
            and (since_id is None or int(s.id) > since_id)
            and (min_id is None or int(s.id) > min_id)
            and not (query.get("exclude_replies") in truthy and s.in_reply_to_id)
        ]
        page = shown[-limit:] if min_id is not None else shown[:limit]
        headers = {}
        if page:
            base = f"https://{self.domain}/api/v1/accounts/{self.account_id}/statuses"
            older, newer = f"{base}?limit={limit}&max_id={page[-1].id}", f"{base}?limit={limit}&min_id={page[0].id}"
            headers["Link"] = f'<{older}>; rel="next", <{newer}>; rel="prev"'
        body = [self._status_json(s) for s in page]
        return Reply.of_json(body, 200, headers)

    def _api_v1_statuses(self, request: Request, upload: Upload, _: str) -> Reply:
        fields = upload.fields
        key = request.headers.get("idempotency-key")
        if key:
            seen = self._keys.get((self.account_id, key))
            if seen and time.time() - seen[1] < self.IDEMPOTENCY_SECONDS:
                duplicate = self._status(seen[0], live_only=False)
                if duplicate.deleted:
                    return Reply.of_json({"error": NOT_FOUND}, 404)
                return Reply.of_json(self._status_json(duplicate))
        reply_to = as_text(fields.get("in_reply_to_id")) or None
        parent = self._status(reply_to) if reply_to else None
        if reply_to and parent is None:
            return Reply.of_json({"error": REPLY_NOT_FOUND}, 404)
        media_ids = [str(m) for m in as_list(fields.get("media_ids"))]
        refused = self._check_media(media_ids)
        if refused is not None:
            return refused
        text = (as_text(fields.get("status")) or "").strip(" \t\n\v\f\r\0")
        if not text.strip() and not media_ids:
            return Reply.of_json({"error": "Validation failed: Text can't be blank"}, 422)
        limit = int(self.limits["max_characters"])
        if (
            status_length(
                text, int(self.limits["characters_reserved_per_url"]), as_text(fields.get("spoiler_text")) or ""
            )
            > limit
        ):
            return Reply.of_json({"error": f"Validation failed: Text character limit of {limit} exceeded"}, 422)
        self._sequence += 1
        status = Status(
            id=snowflake(self._sequence),
            text=text,
            account_id=self.account_id,
            created_at=datetime.now(UTC),
            in_reply_to_id=parent.id if parent else None,
            in_reply_to_account_id=parent.account_id if parent else None,
            media_ids=media_ids,
            visibility=as_text(fields.get("visibility")) or "public",
            spoiler_text=as_text(fields.get("spoiler_text")) or "",
            sensitive=as_text(fields.get("sensitive")) in ("1", "true", "True"),
            idempotency_key=key,
        )
        self.statuses.append(status)
        for media_id in media_ids:
            self.media[media_id].status_id = status.id
        if parent is not None:
            parent.replies_count += 1
        if key:
            self._keys[(self.account_id, key)] = (status.id, time.time())
        return Reply.of_json(self._status_json(status))

    def _check_media(self, media_ids: list[str]) -> Reply | None:
        if len(media_ids) > int(self.limits["max_media_attachments"]):
            return Reply.of_json(
                {"error": f"Cannot attach more than {self.limits['max_media_attachments']} files."}, 422
            )
        missing = [m for m in media_ids if m not in self.media or self.media[m].status_id is not None]
        if missing:
            return Reply.of_json({"error": f"Media {', '.join(missing)} not found or already attached"}, 422)
        if any(not self.media[m].processed() for m in media_ids):
            return Reply.of_json({"error": NOT_PROCESSED}, 422)
        return None

    def _api_v1_statuses_id(self, request: Request, upload: Upload, status_id: str) -> Reply:
        status = self._status(status_id)
        if status is None:
            return Reply.of_json({"error": NOT_FOUND}, 404)
        if request.method == "DELETE":
            status.deleted = True
            return Reply.of_json(self._status_json(status, with_source=True))
        return Reply.of_json(self._status_json(status))

    def _api_v2_media(self, request: Request, upload: Upload, _: str) -> Reply:
        if upload.file is None:
            return Reply.of_json({"error": "param is missing or the value is empty: file"}, 400)
        mime, data = upload.file
        if mime not in self.limits["supported_mime_types"]:
            return Reply.of_json({"error": "Validation failed: File content type is invalid, File is invalid"}, 422)
        if len(data) > int(self.limits["image_size_limit"]):
            megabytes = int(self.limits["image_size_limit"]) // (1024 * 1024)
            return Reply.of_json({"error": f"Validation failed: File file size must be less than {megabytes} MB"}, 422)
        large = len(data) > self.large_over
        self._sequence += 1
        media = Media(
            id=snowflake(self._sequence),
            mime=mime,
            size=len(data),
            description=as_text(upload.fields.get("description")),
            polls_left=self.processing_polls if large else 0,
            ready_at=time.monotonic() + (self.processing_seconds if large else 0),
            failed=large and self.processing_fails,
        )
        self.media[media.id] = media
        return Reply.of_json(media.as_json(self.domain), 202 if large and not media.processed() else 200)

    def _api_v1_media_id(self, request: Request, upload: Upload, media_id: str) -> Reply:
        media = self.media.get(media_id)
        if media is None or media.status_id is not None:
            return Reply.of_json({"error": NOT_FOUND}, 404)
        if media.failed:
            return Reply.of_json({"error": PROCESSING_ERROR}, 422)
        if request.method == "PUT" and "description" in upload.fields:
            media.description = as_text(upload.fields["description"])
        elif request.method == "GET" and media.polls_left > 0:
            media.polls_left -= 1
        return Reply.of_json(media.as_json(self.domain), 200 if media.processed() else 206)

    def _account(self, *, source: bool = False) -> dict[str, Any]:
        count = sum(1 for s in self.statuses if not s.deleted)
        return account_json(self.account_id, self.username, self.domain, count, source=source)

    def _status_json(self, status: Status, *, with_source: bool = False) -> dict[str, Any]:
        media = [self.media[m] for m in status.media_ids if m in self.media]
        return status_json(status, self._account(), media, self.domain, with_source=with_source)

    def _status(self, status_id: str, *, live_only: bool = True) -> Any:
        found = next((s for s in self.statuses if s.id == status_id and not (live_only and s.deleted)), None)
        if found is None and not live_only:
            raise KeyError(f"no status {status_id}; statuses: {[s.id for s in self.statuses]}")
        return found
