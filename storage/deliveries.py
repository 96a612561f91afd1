"""Queries about deliveries: each approved draft version on its way to one network (storage.models.Delivery).

The same fencing as a draft's publishing used to have, per delivery: a compare-and-set claims it (`approved` →
`publishing`, a fresh attempt id and lease); every write of the attempt (a part's key before its create call, a
part's id, a renewed lease, the outcome) is made only while the delivery is still `publishing` under that attempt
id; leaving `publishing` clears the attempt, so a stale holder never matches again. The draft's `status` is the
aggregate of its current version's deliveries (`aggregate`), written by `settle_draft` in the same transaction as
each delivery move.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func, update
from sqlmodel import Session, col, select

from storage import brands, cards, undo
from storage.models import Delivery, Draft, Status
from storage.store import changed, insert_ignore
from storage.types import utcnow

RETURNING = {"synchronize_session": False, "populate_existing": True}  # the row as written replaces a loaded copy
# Where a delivery is on its way; the draft's status says the same of all of them together.
IN_FLIGHT = frozenset({Status.APPROVED, Status.PUBLISHING})
# A delivery that has not been tried yet: no post, no attempt, no error.
BLANK: dict[str, Any] = {
    "post_ids": None,
    "keys": None,
    "post_url": None,
    "attempt_id": None,
    "claimed_by": None,
    "lease_until": None,
    "attempts": 0,
    "next_attempt_at": None,
    "looks": 0,
    "last_error": None,
    "published_at": None,
    "deleted_ids": None,
    "deleted_at": None,
}
DELIVERY_STATUSES = frozenset(
    {
        Status.APPROVED,
        Status.PUBLISHING,
        Status.PUBLISHED,
        Status.UNKNOWN,
        Status.FAILED,
        Status.DELETING,
        Status.DELETED,
        Status.DELETE_FAILED,
    }
)


def aggregate(statuses: Iterable[str]) -> Status | None:
    """The draft's status from its deliveries' (None when it has none): publishing while any is; unknown if any
    is (a person may be needed); approved while any still waits to go; failed if any failed and none is in flight;
    deleting / delete_failed while any is; deleted when all are; published when all are up."""
    found = {Status(s) for s in statuses}
    if not found:
        return None
    for status in (Status.PUBLISHING, Status.UNKNOWN, Status.APPROVED, Status.FAILED, Status.DELETING):
        if status in found:
            return status
    if Status.DELETE_FAILED in found:
        return Status.DELETE_FAILED
    if found == {Status.DELETED}:
        return Status.DELETED
    if Status.DELETED in found:  # some gone, some still up: the deletion isn't finished
        return Status.DELETE_FAILED
    return Status.PUBLISHED


# -- making them -------------------------------------------------------------------------------


def create(
    session: Session, draft: Draft, networks: Sequence[str], parts: Sequence[str], *, now: datetime | None = None
) -> int:
    """One delivery of the draft's version per network, waiting to go (the approval's own transaction). A delivery
    that exists already is kept (a replayed approval). Returns how many were made."""
    made = 0
    for network in networks:
        made += insert_ignore(
            session,
            Delivery,
            draft_id=draft.id,
            brand=draft.brand,
            version=draft.version,
            network=str(network),
            status=Status.APPROVED,
            final_parts=list(parts),
            created_at=now or utcnow(),
            updated_at=now or utcnow(),
            **BLANK,
        )
    return made


def withdraw(session: Session, draft_id: int, version: int) -> int:
    """The version's deliveries that never went out, dropped (an Undo, or a time moved back to pending)."""
    stmt = (
        Delivery.__table__.delete()  # type: ignore[attr-defined]
        .where(Delivery.__table__.c.draft_id == draft_id, Delivery.__table__.c.version == version)  # type: ignore[attr-defined]
        .where(Delivery.__table__.c.status == Status.APPROVED, Delivery.__table__.c.attempts == 0)  # type: ignore[attr-defined]
    )
    return session.execute(stmt).rowcount  # type: ignore[attr-defined]


# -- reading them ------------------------------------------------------------------------------


def get(session: Session, delivery_id: int) -> Delivery | None:
    return session.get(Delivery, delivery_id, populate_existing=True)


def of_draft(session: Session, draft_id: int, version: int | None = None) -> list[Delivery]:
    """The draft's deliveries (of `version`; else of its current version), in network order of creation."""
    if version is not None:  # the usual case (every card, every post, every reply): the statement built once
        return list(session.exec(_OF_DRAFT_VERSION, params={"of_draft": draft_id, "of_version": version}).all())
    current = select(Draft.version).where(Draft.id == draft_id).scalar_subquery()
    stmt = select(Delivery).where(Delivery.draft_id == draft_id, col(Delivery.version) == current)
    return list(session.exec(stmt.order_by(col(Delivery.id)), execution_options={"populate_existing": True}).all())


def of_drafts(session: Session, draft_ids: Sequence[int]) -> dict[int, list[Delivery]]:
    """The current version's deliveries of each draft (for a list: the digest, status, history)."""
    if not draft_ids:
        return {}
    stmt = (
        select(Delivery)
        .join(Draft, col(Draft.id) == col(Delivery.draft_id))
        .where(col(Delivery.draft_id).in_(list(draft_ids)), col(Delivery.version) == col(Draft.version))
        .order_by(col(Delivery.id))
    )
    found: dict[int, list[Delivery]] = {i: [] for i in draft_ids}
    for delivery in session.exec(stmt).all():
        found[delivery.draft_id].append(delivery)
    return found


def posted(session: Session, draft_id: int, version: int) -> bool:
    """Whether any delivery of the draft's `version` has a post up (or had: a thread's first parts, a post deleted
    since): its text went out somewhere, so it can no longer be reopened as if nothing had."""
    stmt = select(Delivery.post_ids).where(Delivery.draft_id == draft_id, Delivery.version == version)
    return any(ids for ids in session.exec(stmt).all())


def links(session: Session, draft_id: int) -> list[tuple[str, str | None]]:
    """(network, link) of each delivery of the draft's current version that is up, in network order."""
    return [(d.network, d.post_url) for d in of_draft(session, draft_id) if d.status == Status.PUBLISHED]


# -- the draft's status ------------------------------------------------------------------------


def settle_draft(session: Session, draft_id: int, version: int) -> Status | None:
    """Write the draft's status as its version's deliveries say (their aggregate), when it is at `version` and past
    approval; returns the status written (None: no deliveries, or the draft moved on). Everything else about where
    the post went stays on the deliveries."""
    statuses = list(session.execute(_STATUSES, {"of_draft": draft_id, "of_version": version}).scalars())
    status = aggregate(statuses)
    if status is None:
        return None
    settled = session.execute(_SETTLE, {"of_draft": draft_id, "of_version": version, "to": status, "at": utcnow()})
    if settled.rowcount != 1:  # type: ignore[attr-defined]
        return None
    if len(statuses) > 1:  # a line per network on the cards: one network's move may leave the draft's status as it was
        cards.mark_behind(session, draft_id)
    return status


def hold_draft(
    session: Session, draft_id: int, version: int, *, among: Iterable[str] = DELIVERY_STATUSES, **values: Any
) -> bool:
    """Lock the draft row first, as every move of it does (so a claim and an Undo take turns, never deadlock), and
    say whether it is still past approval at `version` (an Undo that won put it back to pending). `among`: the
    statuses it may have (a narrower set), `values`: the decision's own values written with the lock."""
    if among is DELIVERY_STATUSES and not values:  # every publisher claim: the statement built once
        held = session.execute(_HOLD, {"of_draft": draft_id, "of_version": version, "at": utcnow()})
        return held.rowcount == 1  # type: ignore[attr-defined]
    stmt = update(Draft).where(
        col(Draft.id) == draft_id, col(Draft.version) == version, col(Draft.status).in_(list(among))
    )
    values.setdefault("updated_at", utcnow())
    return changed(session, stmt.values(**values))


# Built once: on every delivery move (the claim, the outcome), where building an ORM statement costs several times
# what SQLite takes to run it. Core on the tables, so nothing loaded in the session is synchronized (as `changed`).
_DELIVERY: Table = Delivery.__table__  # type: ignore[attr-defined]
_KEYS = _DELIVERY.c["keys"]  # (`.c.keys` is the collection's method)
_DRAFT: Table = Draft.__table__  # type: ignore[attr-defined]
_OF_VERSION = (_DRAFT.c.id == bindparam("of_draft"), _DRAFT.c.version == bindparam("of_version"))
_PAST_APPROVAL = _DRAFT.c.status.in_(sorted(DELIVERY_STATUSES))
_STATUSES = select(_DELIVERY.c.status).where(
    _DELIVERY.c.draft_id == bindparam("of_draft"), _DELIVERY.c.version == bindparam("of_version")
)
_SETTLE = _DRAFT.update().where(*_OF_VERSION, _PAST_APPROVAL).values(status=bindparam("to"), updated_at=bindparam("at"))
_OF_DRAFT_VERSION = (
    select(Delivery)
    .where(col(Delivery.draft_id) == bindparam("of_draft"), col(Delivery.version) == bindparam("of_version"))
    .order_by(col(Delivery.id))
    .execution_options(populate_existing=True)
)
_HOLD = _DRAFT.update().where(*_OF_VERSION, _PAST_APPROVAL).values(updated_at=bindparam("at"))


def from_draft(session: Session, draft: Draft, network: str = "x", **values: Any) -> bool:
    """The delivery of a draft stored straight past approval (a test's seed, an import), as migration 0017 gave
    every such draft: at the draft's status and version, its final parts, and `values` for where the post got to
    (post ids, link, attempts…). False if it has one already, or the draft is not past approval."""
    if draft.status not in DELIVERY_STATUSES or draft.id is None:
        return False
    values.setdefault("created_at", draft.decided_at or draft.created_at)
    values.setdefault("updated_at", draft.updated_at)
    return insert_ignore(
        session,
        Delivery,
        draft_id=draft.id,
        brand=draft.brand,
        version=draft.version,
        network=network,
        status=draft.status,
        final_parts=draft.final_parts,
        **(BLANK | values),
    )


# -- publishing: claim, fenced writes, moves ---------------------------------------------------


def claimed(
    session: Session,
    delivery_id: int,
    attempt_id: str,
    worker: str,
    lease_until: datetime,
    keys: Sequence[str] | None = None,
) -> Delivery | None:
    """approved → publishing under a fresh attempt id and lease; the row as claimed, or None if another won. `keys`
    (the publisher's claim): stored as the parts' keys in the same UPDATE, unless the delivery has keys already (a
    retry sends the keys its first claim chose)."""
    values: dict[str, Any] = {}
    if keys is not None:
        values["keys"] = func.coalesce(_KEYS, bindparam("fresh_keys", list(keys), type_=_KEYS.type))
    stmt = (
        update(Delivery)
        .where(col(Delivery.id) == delivery_id, col(Delivery.status) == Status.APPROVED)
        .values(
            status=Status.PUBLISHING,
            attempt_id=attempt_id,
            claimed_by=worker,
            lease_until=lease_until,
            attempts=col(Delivery.attempts) + 1,
            updated_at=utcnow(),
            **values,
        )
        .returning(Delivery)
    )
    return session.scalars(stmt, execution_options=RETURNING).first()


def _attempt(delivery_id: int, attempt_id: str, to: str, values: dict[str, Any]) -> Any:
    stmt = update(Delivery).where(
        col(Delivery.id) == delivery_id,
        col(Delivery.attempt_id) == attempt_id,
        col(Delivery.status) == Status.PUBLISHING,
    )
    if to != Status.PUBLISHING:
        values.update(attempt_id=None, lease_until=None)
    values.setdefault("updated_at", utcnow())
    return stmt.values(status=to, **values)


def attempt_write(
    session: Session, delivery_id: int, attempt_id: str | None, *, to: str = Status.PUBLISHING, **values: Any
) -> bool:
    """A write of the attempt `attempt_id` (a key, a part's id, a renewed lease, the outcome, a recovery): made
    only while the delivery is still `publishing` under it."""
    if attempt_id is None:
        return False
    return changed(session, _attempt(delivery_id, attempt_id, to, values))


def attempt_written(
    session: Session, delivery_id: int, attempt_id: str, *, to: str = Status.PUBLISHING, **values: Any
) -> Delivery | None:
    stmt = _attempt(delivery_id, attempt_id, to, values).returning(Delivery)
    return session.scalars(stmt, execution_options=RETURNING).first()


def move(session: Session, delivery_id: int, *, frm: Iterable[str], to: str, **values: Any) -> bool:
    """Compare-and-set on the delivery's status (a look's outcome, Retry, Publish again, Mark as published)."""
    stmt = update(Delivery).where(col(Delivery.id) == delivery_id, col(Delivery.status).in_(list(frm)))
    values.setdefault("updated_at", utcnow())
    return changed(session, stmt.values(status=to, **values))


def due(
    session: Session, now: datetime, *, limit: int = 10, grace: timedelta = timedelta(minutes=5), postgresql: bool
) -> list[int]:
    """Deliveries waiting to go whose time has come, oldest decision first: candidates for `claimed`. The draft's
    decision says when (its time, its Undo window, an Undo click waiting); the delivery says whether it is held back
    (a retry's backoff). On PostgreSQL `SKIP LOCKED` spreads instances over the queue (Tx.due_for_publishing)."""
    return [i for i in unlocked_first(session, due_query(now, Delivery.id, limit=limit, grace=grace), postgresql) if i]


def due_query(now: datetime, *columns: Any, limit: int, grace: timedelta) -> Any:
    """`due`'s SELECT of `columns` (storage.publishing reads more of each candidate with it)."""
    return (
        select(*columns)
        .join(Draft, col(Draft.id) == col(Delivery.draft_id))
        .where(Delivery.status == Status.APPROVED, col(Delivery.version) == col(Draft.version))
        .where(col(Draft.status).in_(list(DELIVERY_STATUSES)))  # an Undo put it back to pending: not due
        .where(col(Delivery.next_attempt_at).is_(None) | (col(Delivery.next_attempt_at) <= now))
        .where(col(Draft.publish_at).is_(None) | (col(Draft.publish_at) <= now))
        .where(col(Draft.publish_at).is_(None) | (col(Delivery.attempts) > 0) | (col(Draft.publish_at) >= now - grace))
        .where(col(Draft.undo_until).is_(None) | (col(Draft.undo_until) <= now))
        .where(~undo.click_waiting())
        .where(brands.unpaused())  # nor while its brand is paused (`/countersign pause`): other brands go on
        .order_by(col(Draft.decided_at), col(Delivery.draft_id), col(Delivery.id))
        .limit(limit)
    )


def unlocked_first(session: Session, stmt: Any, postgresql: bool) -> list[Any]:
    """On PostgreSQL the rows no other transaction holds (`SKIP LOCKED`), else all of them (a held row may be
    free by the time it is claimed); on SQLite all of them."""
    if postgresql:
        unlocked = session.exec(stmt.with_for_update(of=Delivery, skip_locked=True)).all()
        if unlocked:
            return list(unlocked)
    return list(session.exec(stmt).all())


def next_due(session: Session) -> datetime | None:
    """When the earliest postponed attempt (rate limit, backoff) or booked look for an unknown post is due."""
    return session.exec(next_due_query()).one()


def next_due_query() -> Any:
    held = (col(Delivery.status) == Status.APPROVED) & ~brands.unpaused()  # a paused brand's retry waits for resume
    return (
        select(func.min(Delivery.next_attempt_at))
        .join(Draft, col(Draft.id) == col(Delivery.draft_id))
        .where(col(Delivery.status).in_([Status.APPROVED, Status.UNKNOWN]), ~held)
    )


def looks_due(session: Session, now: datetime, limit: int = 10) -> list[int]:
    stmt = (
        select(Delivery.id)
        .where(Delivery.status == Status.UNKNOWN, col(Delivery.next_attempt_at) <= now)
        .order_by(col(Delivery.next_attempt_at))
        .limit(limit)
    )
    return [i for i in session.exec(stmt).all() if i is not None]


def unknown(session: Session) -> list[int]:
    stmt = select(Delivery.id).where(Delivery.status == Status.UNKNOWN).order_by(col(Delivery.id))
    return [i for i in session.exec(stmt).all() if i is not None]


def look(session: Session, delivery_id: int, looks: int, next_look: datetime | None) -> bool:
    """Claim one look for an unknown delivery's post (its count of looks is still `looks`) and book the next."""
    stmt = update(Delivery).where(
        col(Delivery.id) == delivery_id, col(Delivery.status) == Status.UNKNOWN, col(Delivery.looks) == looks
    )
    return changed(session, stmt.values(looks=looks + 1, next_attempt_at=next_look, updated_at=utcnow()))


def claims_to_check(
    session: Session, now: datetime, host_prefix: str, *, lock: bool, postgresql: bool
) -> list[Delivery]:
    """Publishing claims whose lease ran out, and every claim made on this host (its holder may be gone)."""
    stmt = select(Delivery).where(
        Delivery.status == Status.PUBLISHING,
        (col(Delivery.lease_until) < now) | col(Delivery.claimed_by).startswith(host_prefix, autoescape=True),
    )
    if postgresql and lock:
        stmt = stmt.with_for_update(skip_locked=True)
    return list(session.exec(stmt).all())
