"""Transactions and the queries the workflow needs. Every status change is a compare-and-set."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

from sqlalchemy import bindparam, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from storage.engine import READ_ONLY
from storage.models import AuditEvent, Card, Draft, DraftVersion, SlackEvent
from storage.types import utcnow

_AUDIT = AuditEvent.__table__.insert().returning(AuditEvent.__table__.c.id)  # type: ignore[attr-defined]


# Built once: every refresh and every post reads the draft's cards.
_CARDS = select(Card).where(col(Card.draft_id) == bindparam("draft_id"), Card.ts != "").order_by(col(Card.id))


class Rider:
    """Statements that belong in the next write transaction of this context (`Store.riding`), run just before it
    commits: the inbox's own delete rides in the move's transaction, so the move and its row's end commit or roll
    back together. `ran` says whether a transaction took it (and committed, unless an exception followed)."""

    def __init__(self, last: Callable[[Tx], None]) -> None:
        self.last = last
        self.ran = False


_rider: ContextVar[Rider | None] = ContextVar("countersign_rider", default=None)


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # SQLite has one writer at a time. Its own wait for the lock sleeps in growing steps (up to 100 ms a
        # try), so in-process writers queue here instead and the next one starts the moment the last commits;
        # the busy timeout is left for other processes. Reentrant, as SQLite's BEGIN is lazy: a transaction opened
        # inside another before the outer one ran a statement works as it always has. PostgreSQL locks rows.
        self._writers: AbstractContextManager[object] = (
            threading.RLock() if engine.dialect.name == "sqlite" else nullcontext()
        )

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One unit of work: committed on success, rolled back on any exception."""
        rider = _rider.get()
        if rider is not None:  # taken by this (outermost) transaction; one opened inside it doesn't see it
            _rider.set(None)
        with self._writers, Session(self.engine, expire_on_commit=False) as session, session.begin():
            tx = Tx(session)
            yield tx
            if rider is not None:
                rider.last(tx)
                rider.ran = True

    @contextmanager
    def riding(self, last: Callable[[Tx], None]) -> Iterator[Rider]:
        """`last` runs at the end of the next `transaction()` opened in this context (this thread, while the block
        runs), inside it: raising there rolls that transaction back. Read-only transactions don't take it."""
        rider = Rider(last)
        token = _rider.set(rider)
        try:
            yield rider
        finally:
            _rider.reset(token)

    @contextmanager
    def connection(self) -> Iterator[Connection]:
        """A write transaction without the ORM, for the one statement on the ack path (`storage.inbox.receive`)."""
        with self._writers, self.engine.begin() as connection:
            yield connection

    @contextmanager
    def read(self) -> Iterator[Tx]:
        """A transaction that only reads: a consistent snapshot that on SQLite neither takes nor waits for the
        write lock (WAL readers run beside the writer). Writing in one is a bug; use `transaction()`."""
        with (
            self.engine.connect().execution_options(**{READ_ONLY: True}) as connection,
            Session(bind=connection, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield Tx(session)

    def get(self, draft_id: int) -> Draft | None:
        with self.read() as tx:
            return tx.get(draft_id)


class Tx:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name

    @property
    def _postgresql(self) -> bool:
        return self.dialect == "postgresql"

    # -- drafts -------------------------------------------------------------------------------

    def get(self, draft_id: int) -> Draft | None:
        return self.session.get(Draft, draft_id, populate_existing=True)

    def by_message(self, channel: str, ts: str) -> Draft | None:
        """The draft made from one Slack message, if any.

        On PostgreSQL this first takes a transaction lock on the message, so that two deliveries of it
        (under different event ids, or to two instances) take turns as SQLite's BEGIN IMMEDIATE makes
        them: the second finds the first one's draft instead of failing on the (channel, ts) unique key.
        """
        if self._postgresql:
            key = func.hashtextextended(f"countersign.message:{channel}:{ts}", 0)
            self.session.execute(select(func.pg_advisory_xact_lock(key)))
        return self.session.exec(select(Draft).where(Draft.channel == channel, Draft.ts == ts)).first()

    def insert_draft(self, draft: Draft, author_id: str, **delivered: Any) -> Draft:
        """A new draft (pending, from the drafts channel). One written straight past approval (a seed, an import)
        gets its X delivery, as migration 0017 gave every such draft: `delivered`, where its post got to."""
        from storage import deliveries  # it builds on this module's helpers

        self.session.add(draft)
        self.session.flush()
        assert draft.id is not None
        self.add_version(draft.id, draft.version, draft.text, author_id)
        deliveries.from_draft(self.session, draft, **delivered)
        return draft

    def add_version(self, draft_id: int, version: int, text: str, author_id: str) -> None:
        self.session.add(DraftVersion(draft_id=draft_id, version=version, text=text, author_id=author_id))

    def move(
        self,
        draft_id: int,
        *,
        frm: Iterable[str],
        to: str,
        at_version: int | None = None,
        **values: Any,
    ) -> bool:
        """Compare-and-set: change the row only if it is still in one of `frm` (and at `at_version`, when
        given). Returns whether this caller won. A publishing attempt writes its delivery instead (storage.deliveries),
        whose moves set the draft's status (`settle_draft`)."""
        return self._changed(_move(draft_id, frm, to, at_version, values))

    def moved(
        self,
        draft_id: int,
        *,
        frm: Iterable[str],
        to: str,
        at_version: int | None = None,
        **values: Any,
    ) -> Draft | None:
        """`move`, returning the row as moved (UPDATE … RETURNING), or None if another move won. The returned object
        replaces any copy of the row this session holds (`populate_existing`): expunge one the caller still reads."""
        stmt = _move(draft_id, frm, to, at_version, values).returning(Draft)
        options = {"synchronize_session": False, "populate_existing": True}
        return self.session.scalars(stmt, execution_options=options).first()

    def _changed(self, stmt: Any) -> bool:
        return changed(self.session, stmt)

    # -- audit, cards, events ----------------------------------------------------------------

    def audit(
        self,
        draft_id: int | None,
        action: str,
        *,
        actor_id: str,
        actor_team_id: str = "",
        frm: str | None = None,
        to: str | None = None,
        version: int | None = None,
        detail: str | None = None,
        brand: str | None = None,
    ) -> AuditEvent:
        """Writes the row now and returns it, with its id. Its brand: `brand`, else its draft's (usually in the
        session already), else the one-brand shortcut's. A Core INSERT … RETURNING built once: every move writes
        one, and the ORM's add-and-flush of it cost several times the statement."""
        if brand is None and draft_id is not None:
            draft = self.session.get(Draft, draft_id)
            brand = draft.brand if draft is not None else None
        values = {
            "brand": brand or "default",
            "draft_id": draft_id,
            "action": action,
            "actor_id": actor_id,
            "actor_team_id": actor_team_id,
            "from_status": frm,
            "to_status": to,
            "version": version,
            "detail": detail,
            "at": utcnow(),
        }
        event_id = self.session.execute(_AUDIT, values).scalar_one()
        return AuditEvent(id=event_id, **values)

    def audit_trail(self, draft_id: int) -> list[AuditEvent]:
        stmt = select(AuditEvent).where(AuditEvent.draft_id == draft_id).order_by(col(AuditEvent.id))
        return list(self.session.exec(stmt).all())

    def versions(self, draft_id: int) -> list[DraftVersion]:
        stmt = select(DraftVersion).where(DraftVersion.draft_id == draft_id).order_by(col(DraftVersion.version))
        return list(self.session.exec(stmt).all())

    def claim_card(self, draft_id: int, approver_id: str) -> bool:
        """Reserve the card slot for one approver; False if some other thread or instance has it."""
        return self._insert_ignore(Card, draft_id=draft_id, approver_id=approver_id, channel="", ts="")

    def fill_card(self, draft_id: int, approver_id: str, channel: str, ts: str) -> None:
        stmt = update(Card).where(col(Card.draft_id) == draft_id, col(Card.approver_id) == approver_id)
        self.session.execute(stmt.values(channel=channel, ts=ts))

    def release_card(self, draft_id: int, approver_id: str) -> None:
        card = self.session.exec(
            select(Card).where(Card.draft_id == draft_id, Card.approver_id == approver_id, Card.ts == "")
        ).first()
        if card is not None:
            self.session.delete(card)

    def cards(self, draft_id: int) -> list[Card]:
        return list(self.session.exec(_CARDS, params={"draft_id": draft_id}).all())

    def first_sighting(self, event_id: str | None) -> bool:
        """Record a Slack event id; False when it was already handled (a retry or a replay)."""
        if not event_id:
            return True
        return self._insert_ignore(SlackEvent, event_id=event_id)

    def _insert_ignore(self, model: type[Any], **values: Any) -> bool:
        return insert_ignore(self.session, model, **values)


def _move(draft_id: int, frm: Iterable[str], to: str, at_version: int | None, values: dict[str, Any]) -> Any:
    stmt = update(Draft).where(col(Draft.id) == draft_id, col(Draft.status).in_(list(frm)))
    if at_version is not None:
        stmt = stmt.where(col(Draft.version) == at_version)
    values.setdefault("updated_at", utcnow())
    return stmt.values(status=to, **values)


def changed(session: Session, stmt: Any) -> bool:
    """Run a guarded UPDATE (or DELETE); True if it changed the one row. Objects already loaded keep the values
    they had (callers compare before and after), until they are reloaded."""
    result = session.execute(stmt, execution_options={"synchronize_session": False})
    return result.rowcount == 1  # type: ignore[attr-defined]


def insert_ignore(session: Session, model: type[Any], **values: Any) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True if this caller's row went in.

    On PostgreSQL a concurrent insert of the same key that is not committed yet makes this one
    wait for it, then do nothing (or insert, if that transaction rolled back): exactly one wins.
    SQLAlchemy only keeps an INSERT's rowcount when asked (`preserve_rowcount`); psycopg's cursor is
    gone by the time it is read, and without it every insert would look like a conflict (-1).
    """
    stmt = _ignoring(session.get_bind().dialect.name, model)
    result = session.execute(stmt, values, execution_options={"preserve_rowcount": True})
    return result.rowcount == 1  # type: ignore[attr-defined]


_IGNORING: dict[tuple[str, str], Any] = {}


def _ignoring(dialect: str, model: type[Any]) -> Any:
    """The INSERT … ON CONFLICT DO NOTHING of `model`'s table, built once per backend (Core, values bound at each
    execution): building it per call was a visible share of a draft's CPU (claims of events, cards, notices)."""
    key = (dialect, model.__tablename__)
    stmt = _IGNORING.get(key)
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = _IGNORING[key] = insert(model.__table__).on_conflict_do_nothing()
    return stmt
