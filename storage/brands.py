"""Rows by brand: the clauses every per-brand query shares (a deployment may serve several, bot/runtime/brands)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import exists, true, update
from sqlmodel import col, select

from storage.models import BrandState, Draft


def of_brand(brand: str | None) -> Any:
    """`brand`'s drafts; every draft for None (the callers that act on the whole deployment)."""
    return true() if brand is None else col(Draft.brand) == brand


def unpaused() -> Any:
    """Drafts of a brand whose publishing isn't paused (`/countersign pause`): the publisher takes only these, so
    one brand's kill switch holds its own posts and lets the others go out."""
    paused = (
        select(BrandState.brand)
        .where(col(BrandState.brand) == col(Draft.brand), col(BrandState.paused).is_(True))
        .correlate(Draft)
    )
    return ~exists(paused)


def paused_brands(session: Any) -> set[str]:
    return set(session.exec(select(BrandState.brand).where(col(BrandState.paused).is_(True))).all())


def set_paused(session: Any, brand: str, paused: bool, by: str, at: datetime) -> bool:
    """Compare-and-set of the brand's switch: True when it flipped now (it was the other way), False when it was
    already so. The caller has made sure the brand's row exists (`Tx._insert_ignore`)."""
    changed = session.execute(
        update(BrandState)
        .where(col(BrandState.brand) == brand, col(BrandState.paused) == (not paused))
        .values(paused=paused, changed_by=by, changed_at=at),
        execution_options={"synchronize_session": False},
    )
    return changed.rowcount == 1
