"""Between the domain's MediaItem (bot.intake.media_rules) and the `draft_media` rows (storage.media).

A version's images are compared by what the owner approves: content (sha256), order, alt text and thread part,
and by the Slack file that holds the bytes (the same picture attached again as a new file, after the first was
deleted, is a new version: the approved one points at a file that is gone). Anything else is a new version.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from bot.intake.media_rules import MediaItem, MediaKind, MediaRefusal
from storage import media as stored_media
from storage.models import Draft, DraftMedia, Status

Signature = tuple[tuple[str, str, str, int], ...]

# Nothing is on X yet while a draft waits, approved, to be claimed (a paused brand, a retry), or failed before any
# part went out (no post id): new images take it back to the approvers as a new version that needs a new decision.
REOPENED = frozenset({Status.APPROVED, Status.FAILED})
# What a decision left on the draft, cleared when new images reopen it (its deliveries go with the version).
UNDECIDED: dict[str, object] = {"decided_by": None, "decided_at": None, "approver_name": None, "final_parts": None}


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


def changed(session: Session, draft: Draft, media: Sequence[MediaItem]) -> bool:
    """Whether `media` differs from the images of the draft's current version."""
    before = items(stored_media.of_version(session, draft.id or 0, draft.version))
    return signature(before) != signature(media)


def named(refusals: Sequence[MediaRefusal]) -> str:
    """The audit's detail for refused images: `too_big:big.png unreadable:gone.jpg`."""
    return " ".join(f"{r.problem.value}:{r.name}" for r in refusals)
