"""Queries on each approver's yes (table `approval`). Knows nothing of Slack, X or the rule itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete
from sqlmodel import Session, col, select

from storage.models import Approval, Draft
from storage.store import insert_ignore


def lock_draft(session: Session, draft_id: int) -> Draft | None:
    """The draft, read afresh and locked until the transaction ends (`SELECT … FOR UPDATE` on PostgreSQL).

    A decision that counts yeses must see every yes committed before it: under READ COMMITTED two approvers'
    transactions would each miss the other's uncommitted row and neither would meet the rule (or, counting
    after, both would). The lock makes them take turns on the draft. SQLite's write transactions are IMMEDIATE
    already (one writer at a time), and SQLAlchemy renders no FOR UPDATE there."""
    return session.exec(_LOCK, params={"draft_id": draft_id}).first()


# Built once: every decision locks its draft first.
_LOCK = (
    select(Draft)
    .where(col(Draft.id) == bindparam("draft_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)


def add(
    session: Session, draft_id: int, version: int, approver_id: str, *, name: str, team_id: str, at: datetime
) -> bool:
    """Record a yes; False when this approver had already said yes on this version (a no-op)."""
    return insert_ignore(
        session,
        Approval,
        draft_id=draft_id,
        version=version,
        approver_id=approver_id,
        approver_team_id=team_id,
        approver_name=name,
        at=at,
    )


def of_version(session: Session, draft_id: int, version: int) -> list[Approval]:
    """The yeses on one version, in the order they were said."""
    stmt = select(Approval).where(Approval.draft_id == draft_id, Approval.version == version).order_by(col(Approval.id))
    return list(session.exec(stmt).all())


def of_draft(session: Session, draft_id: int) -> list[Approval]:
    """Every yes on every version, oldest first (for `/countersign show`)."""
    stmt = select(Approval).where(Approval.draft_id == draft_id).order_by(col(Approval.id))
    return list(session.exec(stmt).all())


def clear(session: Session, draft_id: int, version: int) -> None:
    """The version goes back to the approvers to decide again (unscheduled): its earlier yeses no longer count.
    The audit trail keeps who approved it before."""
    session.execute(delete(Approval).where(col(Approval.draft_id) == draft_id, col(Approval.version) == version))
