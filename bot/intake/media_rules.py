"""What X takes as a post's media, checked by content before any card: 1 to 4 images (JPEG, PNG, WebP) or one GIF.

Pure: bytes and Slack's file metadata in, verdicts out. The type is read from the bytes with Pillow (a file's
name and Slack's `mimetype` are what the writer's computer guessed; an HTML sign-in page can arrive under any
name), never from the name. Limits are X's (2026): images ≤ 5 MB, a GIF ≤ 15 MB, 4 images or 1 GIF a post.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PIL import Image, UnidentifiedImageError

from bot.approval.post_text import visible
from bot.intake.alt_text import ALT_LIMIT

MB = 1024 * 1024
IMAGE_LIMIT = 5 * MB
GIF_LIMIT = 15 * MB
MAX_IMAGES = 4
DOWNLOAD_LIMIT = GIF_LIMIT  # nothing bigger is ever worth fetching: X would refuse it
_FILE_ID = re.compile(r"[A-Z0-9]{2,32}")  # F0123ABCD
# JSON can carry `\ud800` alone (no keyboard can type it); it can't be stored or sent on.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


class MediaKind(StrEnum):
    IMAGE = "image"  # media_category=tweet_image
    GIF = "gif"  # media_category=tweet_gif


class Problem(StrEnum):
    TOO_BIG = "too_big"  # refuses the draft
    TOO_MANY = "too_many"  # refuses the draft
    GIF_NOT_ALONE = "gif_not_alone"  # refuses the draft
    UNREADABLE = "unreadable"  # Slack wouldn't give us the bytes: refuses the draft
    ALT_TOO_LONG = "alt_too_long"  # refuses the draft
    EXTRA_ALT = "extra_alt"  # more `alt:` lines than images: refuses the draft
    UNSUPPORTED = "unsupported"  # a video, a PDF, an HEIC…: dropped, the writer told, the rest goes


@dataclass(frozen=True)
class SlackFile:
    """One entry of a `file_share` message's `files[]`, as much of it as we use."""

    id: str
    name: str
    mimetype: str
    size: int
    url: str

    @classmethod
    def of(cls, raw: Any) -> SlackFile | None:
        """The entry as we can use it, or None if it has no file id Slack would write (junk is never stored)."""
        file_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(file_id, str) or not _FILE_ID.fullmatch(file_id):
            return None
        url = raw.get("url_private_download") or raw.get("url_private")
        size = raw.get("size")
        return cls(
            id=file_id,
            name=_printable(raw.get("name") or raw.get("title") or file_id)[:255],
            mimetype=_printable(raw.get("mimetype") or "")[:64],
            size=size if isinstance(size, int) and size >= 0 else 0,
            url=url if isinstance(url, str) and url.isascii() else "",
        )


@dataclass(frozen=True)
class Detected:
    kind: MediaKind
    mime: str
    width: int
    height: int


@dataclass(frozen=True)
class MediaItem:
    """An image of a draft version, bound to its content: what the card showed is what X gets."""

    file_id: str
    name: str
    mime: str
    kind: MediaKind
    size: int
    sha256: str
    alt: str = ""
    part: int = 0  # the thread part (0-based) it goes with
    width: int = 0
    height: int = 0
    url: str = ""  # Slack's url_private: where publishing fetches the bytes again


@dataclass(frozen=True)
class MediaRefusal:
    problem: Problem
    name: str  # the file's name (or the alt line) the writer will recognise
    detail: str = ""


def _printable(value: object) -> str:
    """What may be quoted back to people and stored: no control or invisible characters (PostgreSQL refuses NUL),
    no lone surrogates."""
    return _LONE_SURROGATE.sub("\ufffd", visible(str(value)))


def detect(data: bytes) -> Detected | None:
    """The image type of `data` by its content, or None if Pillow finds no JPEG, PNG, WebP or GIF in it."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            mime = FORMATS.get(image.format or "")
            size = image.size
            image.verify()  # a truncated or corrupt file fails here, not at X
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return None
    if mime is None:
        return None
    kind = MediaKind.GIF if mime == "image/gif" else MediaKind.IMAGE
    return Detected(kind, mime, size[0], size[1])


def limit_of(kind: MediaKind) -> int:
    return GIF_LIMIT if kind is MediaKind.GIF else IMAGE_LIMIT


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def megabytes(size: int) -> str:
    return f"{size / MB:.1f} MB"


def file_size(size: int) -> str:
    """For people: `48 KB`, `1.2 MB`."""
    return megabytes(size) if size >= MB else f"{max(1, round(size / 1024))} KB"


def too_big_before_download(file: SlackFile) -> MediaRefusal | None:
    """Slack says the file is bigger than anything X takes: refused (or dropped, if not an image) unread."""
    if file.size <= DOWNLOAD_LIMIT:
        return None
    if file.mimetype.startswith("image/"):
        limit = GIF_LIMIT if file.mimetype == "image/gif" else IMAGE_LIMIT
        return MediaRefusal(Problem.TOO_BIG, file.name, f"{megabytes(file.size)}; X takes up to {megabytes(limit)}")
    return MediaRefusal(Problem.UNSUPPORTED, file.name, file.mimetype)


def item_for(file: SlackFile, data: bytes, alt: str, part: int) -> MediaItem | MediaRefusal:
    """The image `data` is, bound to its hash, or why X wouldn't take it."""
    found = detect(data)
    if found is None:
        return MediaRefusal(Problem.UNSUPPORTED, file.name, file.mimetype)
    limit = limit_of(found.kind)
    if len(data) > limit:
        kind = "a GIF" if found.kind is MediaKind.GIF else "an image"
        detail = f"{megabytes(len(data))}; X takes {kind} up to {megabytes(limit)}"
        return MediaRefusal(Problem.TOO_BIG, file.name, detail)
    if len(alt) > ALT_LIMIT:
        return MediaRefusal(Problem.ALT_TOO_LONG, file.name, f"{len(alt):,} characters; X takes up to {ALT_LIMIT:,}")
    return MediaItem(
        file.id,
        file.name,
        found.mime,
        found.kind,
        len(data),
        sha256(data),
        alt,
        part,
        found.width,
        found.height,
        file.url,
    )


def count_problems(items: list[MediaItem], alts: tuple[str, ...]) -> list[MediaRefusal]:
    """What the set breaks: more than 4 images, a GIF with anything else, more `alt:` lines than images."""
    refusals: list[MediaRefusal] = []
    gifs = [i for i in items if i.kind is MediaKind.GIF]
    if gifs and len(items) > 1:
        refusals.append(MediaRefusal(Problem.GIF_NOT_ALONE, gifs[0].name, f"{len(items)} files"))
    elif len(items) > MAX_IMAGES:
        refusals.append(MediaRefusal(Problem.TOO_MANY, items[MAX_IMAGES].name, f"{len(items)} images"))
    if len(alts) > len(items):
        refusals.append(MediaRefusal(Problem.EXTRA_ALT, f"alt: {alts[len(items)][:40]}", f"{len(alts)} alt lines"))
    return refusals
