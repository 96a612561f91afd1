"""The owner's Edit form and a draft's images: the same `alt:` lines the writer uses (bot.intake.alt_text).

The form's text shows one `alt:` line per image, at the end of the part the images go with; the owner changes
alt text (or moves the lines to another part) by editing those lines, and the submission makes a new version
of the same images (same bytes, new alt texts). More `alt:` lines than images, or alt text over any network's limit,
is refused in the form, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from bot.intake.alt_text import AltLines, join_alt, split_alt
from bot.intake.media_rules import Limits, MediaRefusal, Problem, alt_problem
from storage import media as stored_media
from storage.models import Draft


@dataclass(frozen=True)
class OwnerEdit:
    text: str  # the post text, `alt:` lines taken out
    alts: AltLines | None = None  # None: the draft has no images (alt lines are then just text)
    refusal: MediaRefusal | None = None


def text_for_form(session: Session, draft: Draft) -> str:
    rows = stored_media.of_version(session, draft.id or 0, draft.version)
    if not rows:
        return draft.text
    return join_alt(draft.text, [r.alt_text for r in rows], rows[0].part)


def read(session: Session, draft: Draft, text: str, limits: Limits) -> OwnerEdit:
    """`limits`: the brand's networks', read before the transaction `session` is in."""
    rows = stored_media.of_version(session, draft.id or 0, draft.version)
    if not rows:
        return OwnerEdit(text)
    alts = split_alt(text)
    if len(alts.alts) > len(rows):
        extra = f"alt: {alts.alts[len(rows)][:40]}"
        return OwnerEdit(alts.text, alts, MediaRefusal(Problem.EXTRA_ALT, extra, f"{len(alts.alts)} alt lines"))
    for row, alt in zip(rows, alts.alts, strict=False):
        if refusal := alt_problem(row.name, alt, limits):
            return OwnerEdit(alts.text, alts, refusal)
    return OwnerEdit(alts.text, alts)


def changed(session: Session, draft: Draft, alts: AltLines | None) -> bool:
    """Whether the owner's `alt:` lines differ from the version's (text aside)."""
    if alts is None:
        return False
    rows = stored_media.of_version(session, draft.id or 0, draft.version)
    given = [alts.alts[i] if i < len(alts.alts) else "" for i in range(len(rows))]
    return given != [r.alt_text for r in rows] or any(r.part != alts.part for r in rows)


def carry(session: Session, draft: Draft, to_version: int, alts: AltLines | None) -> None:
    """The new version keeps the images (with the owner's alt texts and part when they had images)."""
    stored_media.copy_to(
        session, draft.id or 0, draft.version, to_version, alts.alts if alts else None, alts.part if alts else None
    )
