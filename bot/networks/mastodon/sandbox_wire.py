"""The stand-in's records and the JSON Mastodon sends for them (REST::StatusSerializer, MediaAttachmentSerializer,
InstanceSerializer v1/v2, CredentialAccountSerializer), trimmed to the fields a client reads, ids as strings."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.networks.mastodon.sandbox_html import render

NOT_FOUND = "Record not found"
BAD_TOKEN = "The access token is invalid"
OUT_OF_SCOPE = "This action is outside the authorized scopes"
NOT_PROCESSED = "Cannot attach files that have not finished processing. Try again in a moment!"
REPLY_NOT_FOUND = "The post you are trying to reply to does not appear to exist."
PROCESSING_ERROR = "Error processing thumbnail for uploaded media"
TOO_MANY_REQUESTS = "Too many requests"
TEMPORARY = "There was a temporary problem serving your request, please try again"


def iso(moment: datetime) -> str:
    """Mastodon's timestamps: UTC, milliseconds, `Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def snowflake(sequence: int) -> str:
    """Mastodon's ids: milliseconds since the epoch shifted left 16 bits, plus a sequence: they grow with time."""
    return str((int(time.time() * 1000) << 16) + (sequence & 0xFFFF))


@dataclass
class Media:
    id: str
    mime: str
    size: int
    description: str | None
    polls_left: int  # GETs still answered 206 (0: processed)
    ready_at: float  # or processed once this time passes
    status_id: str | None = None
    failed: bool = False

    def processed(self) -> bool:
        return not self.failed and (self.polls_left <= 0 or time.monotonic() >= self.ready_at)

    def as_json(self, domain: str) -> dict[str, Any]:
        done = self.processed()
        url = f"https://{domain}/system/media_attachments/files/{self.id}/original/image.png"
        return {
            "id": self.id,
            "type": "image" if self.mime.startswith("image/") else "unknown",
            "url": url if done else None,
            "preview_url": url.replace("original", "small"),
            "remote_url": None,
            "text_url": None,
            "meta": {"original": {"width": 1, "height": 1, "size": "1x1", "aspect": 1.0}} if done else {},
            "description": self.description,
            "blurhash": None,
        }


@dataclass
class Status:
    id: str
    text: str
    account_id: str
    created_at: datetime
    in_reply_to_id: str | None = None
    in_reply_to_account_id: str | None = None
    media_ids: list[str] = field(default_factory=list)
    visibility: str = "public"
    spoiler_text: str = ""
    sensitive: bool = False
    language: str | None = "en"
    idempotency_key: str | None = None
    deleted: bool = False
    favourites_count: int = 0
    reblogs_count: int = 0
    replies_count: int = 0


def account_json(account_id: str, username: str, domain: str, statuses: int, *, source: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": account_id,
        "username": username,
        "acct": username,
        "display_name": username.title(),
        "locked": False,
        "bot": False,
        "created_at": "2022-11-01T00:00:00.000Z",
        "note": "",
        "url": f"https://{domain}/@{username}",
        "uri": f"https://{domain}/users/{username}",
        "avatar": f"https://{domain}/avatars/original/missing.png",
        "header": f"https://{domain}/headers/original/missing.png",
        "followers_count": 0,
        "following_count": 0,
        "statuses_count": statuses,
        "last_status_at": None,
        "emojis": [],
        "fields": [],
    }
    if source:
        body["source"] = {"privacy": "public", "sensitive": False, "language": "en", "note": "", "fields": []}
    return body


def status_json(
    status: Status, account: dict[str, Any], media: list[Media], domain: str, *, with_source: bool = False
) -> dict[str, Any]:
    username = account["username"]
    body: dict[str, Any] = {
        "id": status.id,
        "created_at": iso(status.created_at),
        "in_reply_to_id": status.in_reply_to_id,
        "in_reply_to_account_id": status.in_reply_to_account_id,
        "sensitive": status.sensitive,
        "spoiler_text": status.spoiler_text,
        "visibility": status.visibility,
        "language": status.language,
        "uri": f"https://{domain}/users/{username}/statuses/{status.id}",
        "url": f"https://{domain}/@{username}/{status.id}",
        "replies_count": status.replies_count,
        "reblogs_count": status.reblogs_count,
        "favourites_count": status.favourites_count,
        "edited_at": None,
        "content": render(status.text, domain),
        "reblog": None,
        "application": {"name": "Countersign", "website": None},
        "account": account,
        "media_attachments": [m.as_json(domain) for m in media],
        "mentions": [],
        "tags": [],
        "emojis": [],
        "card": None,
        "poll": None,
    }
    if with_source:  # DELETE answers the source, for "delete and redraft"
        body["text"] = status.text
    return body


def instance_v2(domain: str, limits: dict[str, Any]) -> dict[str, Any]:
    return {
        "domain": domain,
        "title": "Sandbox social",
        "version": "4.3.2",
        "source_url": "https://github.com/mastodon/mastodon",
        "description": "A loopback stand-in for a Mastodon instance.",
        "api_versions": {"mastodon": 2},
        "configuration": {
            "urls": {"streaming": f"wss://{domain}"},
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": {
                "max_characters": limits["max_characters"],
                "max_media_attachments": limits["max_media_attachments"],
                "characters_reserved_per_url": limits["characters_reserved_per_url"],
            },
            "media_attachments": {
                "supported_mime_types": limits["supported_mime_types"],
                "description_limit": limits["description_limit"],
                "image_size_limit": limits["image_size_limit"],
                "image_matrix_limit": 33177600,
                "video_size_limit": 103809024,
                "video_frame_rate_limit": 120,
                "video_matrix_limit": 8294400,
            },
            "polls": {"max_options": 4, "max_characters_per_option": 50},
            "translation": {"enabled": False},
        },
        "registrations": {"enabled": False, "approval_required": False, "message": None},
        "contact": {"email": f"admin@{domain}", "account": None},
        "rules": [],
    }


def instance_v1(domain: str, limits: dict[str, Any]) -> dict[str, Any]:
    v2 = instance_v2(domain, limits)
    config = dict(v2["configuration"])
    config.pop("urls")
    return {
        "uri": domain,
        "title": v2["title"],
        "short_description": v2["description"],
        "description": "",
        "email": v2["contact"]["email"],
        "version": v2["version"],
        "urls": {"streaming_api": f"wss://{domain}"},
        "stats": {"user_count": 1, "status_count": 0, "domain_count": 0},
        "languages": ["en"],
        "registrations": False,
        "approval_required": False,
        "invites_enabled": False,
        "configuration": config,
        "contact_account": None,
        "rules": [],
    }
