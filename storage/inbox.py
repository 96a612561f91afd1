"""Queries of the inbox table: Slack requests recorded before their ack (see `bot.intake.inbox`).

Every change of owner is a compare-and-set, so one instance at a time handles a request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table, delete, func, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from storage.models import InboxItem
from storage.store import changed

INBOX: Table = InboxItem.__table__  # type: ignore[attr-defined]


def receive(
    connection: Connection,
    kind: str,
    body: str,
    owner: str,
    now: datetime,
    lease_until: datetime,
    holds_draft: int | None = None,
) -> int:
    """One INSERT: what must happen before Slack gets its 200. Returns the row's id. Core, not the ORM: this runs
    while Slack waits, and the ORM's unit of work would be most of its cost. `holds_draft`: an Undo click's draft,
    which the publisher leaves alone while the row is here (storage.undo)."""
    values = {"kind": kind, "body": body, "owner": owner, "received_at": now, "lease_until": lease_until, "attempts": 0}
    if holds_draft is not None:
        values["holds_draft"] = holds_draft
    stmt = INBOX.insert().values(**values)
    return int(connection.execute(stmt).inserted_primary_key[0])  # type: ignore[index]


def take(session: Session, item_id: int, owner: str, lease_until: datetime) -> bool:
    """The receiver's own first attempt. False if a replay got there first (the receiver was too slow)."""
    stmt = (
        update(InboxItem)
        .where(col(InboxItem.id) == item_id, col(InboxItem.owner) == owner, col(InboxItem.attempts) == 0)
        .values(lease_until=lease_until, attempts=1)
    )
    return changed(session, stmt)


def unclaimed(session: Session, item_id: int, owner: str) -> bool:
    """Still `owner`'s and not attempted: what `take` would win, read without a write (see `finish`)."""
    stmt = select(col(InboxItem.id)).where(
        col(InboxItem.id) == item_id, col(InboxItem.owner) == owner, col(InboxItem.attempts) == 0
    )
    return session.exec(stmt).first() is not None


def finish(session: Session, item_id: int, owner: str) -> bool:
    """`take` and `done` in one statement, for a move made in the same transaction: the row goes only if it is
    still `owner`'s first attempt. False if a replay took it over meanwhile (the move must then roll back)."""
    stmt = INBOX.delete().where(INBOX.c.id == item_id, INBOX.c.owner == owner, INBOX.c.attempts == 0)
    return changed(session, stmt)  # Core: on the hot path, where the ORM's DELETE costs more than the statement


def take_over(session: Session, item_id: int, owner: str, now: datetime, lease_until: datetime) -> bool:
    """A replay: the row becomes `owner`'s if its lease ran out (its owner stopped, or failed). False if another
    instance took it first, or it is done."""
    stmt = (
        update(InboxItem)
        .where(col(InboxItem.id) == item_id, col(InboxItem.lease_until) < now)
        .values(owner=owner, lease_until=lease_until, attempts=col(InboxItem.attempts) + 1)
    )
    return changed(session, stmt)


def done(session: Session, item_id: int, owner: str) -> None:
    session.execute(
        delete(InboxItem).where(col(InboxItem.id) == item_id, col(InboxItem.owner) == owner),
        execution_options={"synchronize_session": False},
    )


def expired(session: Session, now: datetime, max_attempts: int, limit: int) -> list[InboxItem]:
    """Rows whose owner stopped before handling them, oldest first, but none that failed `max_attempts` times."""
    stmt = (
        select(InboxItem)
        .where(col(InboxItem.lease_until) < now, col(InboxItem.attempts) < max_attempts)
        .order_by(col(InboxItem.id))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def next_expiry(session: Session, max_attempts: int) -> datetime | None:
    """When the next lease runs out: the earliest moment a replay could find something."""
    stmt = select(func.min(InboxItem.lease_until)).where(col(InboxItem.attempts) < max_attempts)
    return session.exec(stmt).one()
