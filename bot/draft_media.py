"""Between the domain's MediaItem (bot.media_rules) and the `draft_media` rows (storage.media).

A version's images are compared by what the owner approves: content (sha256), order, alt text and thread part,
and by the Slack file that holds the bytes (the same picture attached again as a new file, after the first was
deleted, is a new version: the approved one points at a file that is gone). Anything else is a new version.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.media_rules import MediaItem, MediaKind
from storage.models import DraftMedia

Signature = tuple[tuple[str, str, str, int], ...]


def rows(items: Sequence[MediaItem]) -> list[DraftMedia]:
    return [
        DraftMedia(
            draft_id=0,
            version=0,
            position=0,
            file_id=i.file_id,
            name=i.name,
            mime=i.mime,
            kind=i.kind.value,
            size=i.size,
            sha256=i.sha256,
            alt_text=i.alt,
            part=i.part,
            width=i.width,
            height=i.height,
            url=i.url,
        )
        for i in items
    ]


def items(stored: Sequence[DraftMedia]) -> tuple[MediaItem, ...]:
    return tuple(
        MediaItem(
            r.file_id, r.name, r.mime, MediaKind(r.kind), r.size, r.sha256, r.alt_text, r.part, r.width, r.height, r.url
        )
        for r in stored
    )


def signature(found: Sequence[MediaItem]) -> Signature:
    return tuple((i.file_id, i.sha256, i.alt, i.part) for i in found)
