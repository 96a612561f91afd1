"""A post's media, checked by content before any card against every network of its brand: each network's image
types, sizes, alt-text length and number of images (`MediaLimits`, each account's own: X's and Bluesky's from their
folders, Mastodon's read from the instance), and one GIF on its own.

Pure: bytes, Slack's file metadata and the limits in, verdicts out. The type is read from the bytes with Pillow (a
file's name and Slack's `mimetype` are what the writer's computer guessed; an HTML sign-in page can arrive under
any name), never from the name. A file one network would refuse refuses the draft, naming that network and by how
much: what the owner approves is what every network gets, so no network silently posts without an image.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from PIL import Image, UnidentifiedImageError

from bot.approval.post_text import visible
from bot.networks.base import MediaLimits, Network

MB = 1024 * 1024
Limits = Mapping[Network, MediaLimits]  # the brand's networks, in its order
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
    NOT_TAKEN = "not_taken"  # an image type one of the brand's networks doesn't take (a GIF on Bluesky)
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
    network: str = ""  # the network whose limit it breaks, as people read it (`Bluesky`)
    limit: int = 0  # that limit, where the sentence names it (images in a post)


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


def byte_limit(limits: MediaLimits, kind: MediaKind) -> int:
    """The most bytes `limits` takes for an image of `kind` (X takes a GIF up to 15 MB, other images up to 5)."""
    return limits.gif_bytes if kind is MediaKind.GIF and limits.gif_bytes else limits.image_bytes


def download_limit(limits: Limits) -> int:
    """Nothing bigger is worth fetching: every network of the brand would refuse it."""
    return max((max(m.image_bytes, m.gif_bytes) for m in limits.values()), default=0)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def megabytes(size: int) -> str:
    return f"{size / MB:.1f} MB"


def file_size(size: int) -> str:
    """For people: `48 KB`, `1.2 MB`."""
    return megabytes(size) if size >= MB else f"{max(1, round(size / 1024))} KB"


def too_big_before_download(file: SlackFile, limits: Limits) -> MediaRefusal | None:
    """Slack says the file is bigger than any network of the brand takes: refused (or dropped, if not an image)
    unread, with the first network's limit (every one's is smaller)."""
    if not limits or file.size <= download_limit(limits):
        return None
    if not file.mimetype.startswith("image/"):
        return MediaRefusal(Problem.UNSUPPORTED, file.name, file.mimetype)
    network, first = next(iter(limits.items()))
    kind = MediaKind.GIF if file.mimetype == "image/gif" else MediaKind.IMAGE
    detail = (
        f"{megabytes(file.size)}; {network.title} takes {_article(kind)} up to {megabytes(byte_limit(first, kind))}"
    )
    return MediaRefusal(Problem.TOO_BIG, file.name, detail, network.title)


def item_for(file: SlackFile, data: bytes, alt: str, part: int) -> MediaItem | MediaRefusal:
    """The image `data` is, bound to its hash, or why it is no image any network takes (the limits come after,
    per network: `limit_problems`)."""
    found = detect(data)
    if found is None:
        return MediaRefusal(Problem.UNSUPPORTED, file.name, file.mimetype)
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


def limit_problems(items: Sequence[MediaItem], alts: Sequence[str], limits: Limits) -> list[MediaRefusal]:
    """What the set breaks: a GIF with anything else, more `alt:` lines than images, and on each network of the
    brand, an image type it doesn't take, an image or alt text over its limit, more images than it takes."""
    refusals: list[MediaRefusal] = []
    gifs = [i for i in items if i.kind is MediaKind.GIF]
    takes = next((n.title for n, m in limits.items() if "image/gif" in m.mimes), "")
    if gifs and len(items) > 1 and takes:  # X and Mastodon (a GIF becomes a video there) post a GIF alone
        refusals.append(MediaRefusal(Problem.GIF_NOT_ALONE, gifs[0].name, f"{len(items)} files", takes))
    for network, rules in limits.items():
        refusals += _over(items, network, rules)
    if len(alts) > len(items):
        refusals.append(MediaRefusal(Problem.EXTRA_ALT, f"alt: {alts[len(items)][:40]}", f"{len(alts)} alt lines"))
    return refusals


def alt_problem(name: str, alt: str, limits: Limits) -> MediaRefusal | None:
    """The first network whose alt-text limit `alt` passes, as a refusal naming it and by how much."""
    for network, rules in limits.items():
        if len(alt) > rules.alt_limit:
            detail = f"{len(alt):,} characters; {network.title} takes up to {rules.alt_limit:,}"
            return MediaRefusal(Problem.ALT_TOO_LONG, name, detail, network.title)
    return None


def _over(items: Sequence[MediaItem], network: Network, rules: MediaLimits) -> list[MediaRefusal]:
    found: list[MediaRefusal] = []
    for item in items:
        if item.mime not in rules.mimes:
            found.append(MediaRefusal(Problem.NOT_TAKEN, item.name, _types(rules), network.title))
        elif item.size > (limit := byte_limit(rules, item.kind)):
            detail = f"{megabytes(item.size)}; {network.title} takes {_article(item.kind)} up to {megabytes(limit)}"
            found.append(MediaRefusal(Problem.TOO_BIG, item.name, detail, network.title))
        if refusal := alt_problem(item.name, item.alt, {network: rules}):
            found.append(refusal)
    if len(items) > rules.max_images:
        name = items[rules.max_images].name
        found.append(MediaRefusal(Problem.TOO_MANY, name, f"{len(items)} images", network.title, rules.max_images))
    return found


def _article(kind: MediaKind) -> str:
    return "a GIF" if kind is MediaKind.GIF else "an image"


def _types(rules: MediaLimits) -> str:
    """`JPEG, PNG and WebP`: the image types a network takes, as people name them."""
    names = sorted(NAMES.get(m, m.removeprefix("image/").upper()) for m in rules.mimes if m.startswith("image/"))
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


NAMES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/gif": "GIF"}
