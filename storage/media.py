"""Queries on a draft version's images (table `draft_media`). Knows nothing of Slack or X."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.models import Draft, DraftMedia


def save(session: Session, draft_id: int, version: int, items: Iterable[DraftMedia]) -> None:
    """Bind `items` (in order) to the version; positions are given here."""
    for position, item in enumerate(items):
        item.id = None
        item.draft_id, item.version, item.position = draft_id, version, position
        session.add(item)
    session.flush()


def of_version(session: Session, draft_id: int, version: int) -> list[DraftMedia]:
    stmt = (
        select(DraftMedia)
        .where(DraftMedia.draft_id == draft_id, DraftMedia.version == version)
        .order_by(col(DraftMedia.position))
    )
    return list(session.exec(stmt).all())


def of_draft(session: Session, draft_id: int) -> dict[int, list[DraftMedia]]:
    """Every version's images, by version (for `/countersign show`)."""
    stmt = (
        select(DraftMedia)
        .where(DraftMedia.draft_id == draft_id)
        .order_by(col(DraftMedia.version), col(DraftMedia.position))
    )
    out: dict[int, list[DraftMedia]] = {}
    for row in session.exec(stmt).all():
        out.setdefault(row.version, []).append(row)
    return out


def copy_to(
    session: Session, draft_id: int, frm: int, to: int, alts: Sequence[str] | None = None, part: int | None = None
) -> None:
    """The owner's Edit makes a new version of the same images (new alt texts and part, if given)."""
    rows = of_version(session, draft_id, frm)
    copies = []
    for index, row in enumerate(rows):
        data = row.model_dump(exclude={"id"})
        if alts is not None:
            data["alt_text"] = alts[index] if index < len(alts) else ""
        if part is not None:
            data["part"] = part
        copies.append(DraftMedia(**data))
    save(session, draft_id, to, copies)


def counts(session: Session, drafts: Iterable[Draft]) -> dict[int, int]:
    """How many images each draft's current version has (0s left out): one query for a list's worth."""
    pairs = [(d.id, d.version) for d in drafts if d.id is not None]
    if not pairs:
        return {}
    ids = [p[0] for p in pairs]
    stmt = (
        select(DraftMedia.draft_id, DraftMedia.version, func.count())
        .where(col(DraftMedia.draft_id).in_(ids))
        .group_by(col(DraftMedia.draft_id), col(DraftMedia.version))
    )
    wanted = set(pairs)
    return {draft_id: n for draft_id, version, n in session.exec(stmt).all() if (draft_id, version) in wanted}
