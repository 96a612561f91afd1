"""X's v2 media endpoints in the sandbox: `POST /2/media/upload` (multipart) and `POST /2/media/metadata`.

Answers as X does: 200 `{"data": {"id", "media_key", "size", "expires_after_secs": 86400, "image": {…}}}`;
400 problems for a missing `media` part, a `media_category` that doesn't fit the bytes, an image over 5 MB or a
GIF over 15 MB, bytes that aren't an image; metadata for an unknown id is 400, alt text over 1,000 characters
400. `POST /2/tweets` asks `check_post` about its `media.media_ids`: unknown or expired ids, more than 4, or a
GIF with anything else are 400s, as at X. Uploaded bytes and alt text are kept for tests to compare.
"""

from __future__ import annotations

import email.policy
import io
import time
from dataclasses import dataclass
from email.parser import BytesParser

from PIL import Image, UnidentifiedImageError

from bot.networks.x.wire import invalid_request
from bot.sandbox.http_base import Reply, Request

MB = 1024 * 1024
LIMITS = {"tweet_image": 5 * MB, "tweet_gif": 15 * MB}
EXPIRES_AFTER_S = 86400
ALT_LIMIT = 1000
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


@dataclass
class Media:
    id: str
    data: bytes
    mime: str
    category: str
    uploaded_at: float
    alt_text: str | None = None
    expired: bool = False

    @property
    def media_key(self) -> str:
        return f"{16 if self.category == 'tweet_gif' else 3}_{self.id}"


def _parts(request: Request) -> dict[str, tuple[bytes, str | None]]:
    """Every part of a multipart body: name → (payload, filename)."""
    if request.content_type != "multipart/form-data":
        return {}
    head = f"Content-Type: {request.headers['content-type']}\r\n\r\n".encode()
    message = BytesParser(policy=email.policy.HTTP).parsebytes(head + request.body)
    found: dict[str, tuple[bytes, str | None]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if isinstance(name, str):
            found[name] = (part.get_payload(decode=True) or b"", part.get_filename())
    return found


def _mime(data: bytes) -> tuple[str, int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            mime = FORMATS.get(image.format or "")
            return (mime, *image.size) if mime else None
    except (UnidentifiedImageError, OSError):
        return None


class MediaLibrary:
    """The account's uploaded media. Methods are called with the sandbox's lock held."""

    ID_BASE = 1_880_000_000_000_000_000

    def __init__(self) -> None:
        self.items: dict[str, Media] = {}
        self._issued = 0

    def reset(self) -> None:
        self.items.clear()

    def upload(self, request: Request) -> Reply:
        parts = _parts(request)
        media = parts.get("media")
        if media is None or not media[0]:
            return Reply.of_json(invalid_request("The `media` field is required.", {"media": []}), 400)
        category = parts.get("media_category", (b"tweet_image", None))[0].decode() or "tweet_image"
        if category not in LIMITS:
            message = f"The `media_category` value [{category}] is not one of [tweet_image, tweet_gif, tweet_video]"
            return Reply.of_json(invalid_request(message, {"media_category": [category]}), 400)
        data = media[0]
        found = _mime(data)
        if found is None:
            return Reply.of_json(invalid_request("media type unrecognized."), 400)
        mime, width, height = found
        if (mime == "image/gif") != (category == "tweet_gif"):
            return Reply.of_json(invalid_request(f"{mime} does not match media_category {category}."), 400)
        if len(data) > LIMITS[category]:
            return Reply.of_json(invalid_request(f"File size exceeds {LIMITS[category]} bytes."), 400)
        self._issued += 1
        item = Media(str(self.ID_BASE + self._issued), data, mime, category, time.time())
        self.items[item.id] = item
        body = {
            "data": {
                "id": item.id,
                "media_key": item.media_key,
                "size": len(data),
                "expires_after_secs": EXPIRES_AFTER_S,
                "image": {"image_type": mime, "w": width, "h": height},
            }
        }
        return Reply.of_json(body)

    def metadata(self, request: Request) -> Reply:
        try:
            body = request.json()
        except ValueError:
            return Reply.of_json(invalid_request("Request body is not valid JSON."), 400)
        media_id = str((body or {}).get("id", "")) if isinstance(body, dict) else ""
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text") if isinstance(body, dict) else None
        item = self.items.get(media_id)
        if item is None or item.expired:
            return Reply.of_json(invalid_request(f"Media id {media_id} not found.", {"id": [media_id]}), 400)
        if not isinstance(alt, str) or len(alt) > ALT_LIMIT:
            message = f"alt_text.text must be a string of at most {ALT_LIMIT} characters."
            return Reply.of_json(invalid_request(message, {"metadata.alt_text.text": [str(alt)[:40]]}), 400)
        item.alt_text = alt
        return Reply.of_json({"data": {"id": media_id, "associated_metadata": {"alt_text": {"text": alt}}}})

    def check_post(self, media_ids: list[str]) -> Reply | None:
        """The 400 X answers `POST /2/tweets` for these media ids, or None if they can go out."""
        if len(media_ids) > 4:
            return Reply.of_json(invalid_request("Your media IDs are invalid.", {"media.media_ids": media_ids}), 400)
        found = [self.items.get(i) for i in media_ids]
        if any(m is None or m.expired for m in found):
            bad = [i for i, m in zip(media_ids, found, strict=True) if m is None or m.expired]
            return Reply.of_json(invalid_request("Your media IDs are invalid.", {"media.media_ids": bad}), 400)
        if len(found) > 1 and any(m is not None and m.category == "tweet_gif" for m in found):
            return Reply.of_json(invalid_request("Your media IDs are invalid.", {"media.media_ids": media_ids}), 400)
        return None

    def expire_all(self) -> None:
        """As if 24 hours passed: every id uploaded so far is no longer usable."""
        for item in self.items.values():
            item.expired = True


def media_of(library: MediaLibrary, ids: list[str]) -> list[Media]:
    return [library.items[i] for i in ids if i in library.items]


__all__ = ["Media", "MediaLibrary", "media_of"]
