"""Record first, ack, then work: how a writer's message or an owner's click survives a crash.

Slack never redelivers a request it got a 200 for, so a process that dies between the ack and the database
would lose the draft or the decision. Doing the whole move before the ack is safe but slow (names, length,
compare-and-set, audit: milliseconds that queue behind each other under load). So the request thread does one
INSERT of the payload, acks, and one of the inbox's own threads makes the move; the row is deleted once the
move is committed. A row whose owner stopped is replayed by whichever instance's scheduler sees its lease run out.
A writer's message or an owner's click (`one_transaction`) is cheaper still: its row is deleted inside the move's own
transaction, by a DELETE guarded on "still the receiver's first attempt", so the move and the row's end commit or
roll back together and a receiver a replay overtook leaves nothing behind.

Replays are safe because the moves are: a message's event id is recorded once, a decision is a
compare-and-set. A replay stays quiet about refusals (the person may have seen the answer already).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.runtime.logs import ContextExecutor
from storage import inbox
from storage.store import Store, Tx
from storage.types import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3  # a request that fails this often is kept for a person, not replayed again
REPLAY_BATCH = 20
# Threads making the moves after the ack. Few on purpose: under a burst, every busy thread is one more for the
# request threads (which ack) to share the interpreter and the CPUs with; measured in docs/performance.md.
# Slack's rate limits (a few calls a second per method) leave more of them nothing to do anyway.
THREADS = 4

FollowUp = Callable[[], None]
# A handler makes the request's move and returns what should follow it (cards, replies), run after the row is
# deleted; `replay` says it is a replay, which should not answer refusals again.
Handler = Callable[[dict[str, Any], bool], FollowUp | None]


class Overtaken(Exception):
    """A replay took the request over while its receiver was handling it: the receiver's move rolls back."""


class _Leases:
    """When the leases of the requests this instance received run out, until each is handled (a few hundred at
    most; the oldest are forgotten past `KEEP`, and a forgotten one is only looked up in the database)."""

    KEEP = 1000

    def __init__(self) -> None:
        self._until: OrderedDict[int, datetime] = OrderedDict()
        self._lock = threading.Lock()

    def note(self, item_id: int, until: datetime) -> None:
        with self._lock:
            self._until[item_id] = until
            while len(self._until) > self.KEEP:
                self._until.popitem(last=False)

    def holds(self, item_id: int, now: datetime) -> bool:
        """Whether the lease taken at receipt still runs at `now` (replays take a row only once it ran out)."""
        with self._lock:
            until = self._until.pop(item_id, None)
        return until is not None and now < until


class InboxKind(StrEnum):
    MESSAGE = "message"  # a message event in the drafts channel
    DECISION = "decision"  # a button that decides: approve, retry, publish again, mark published, cancel


class Inbox:
    def __init__(
        self,
        store: Store,
        worker_id: str,
        lease: timedelta,
        *,
        clock: Callable[[], datetime] = utcnow,
        on_error: Callable[[dict[str, Any], Exception], None] | None = None,
        threads: int = THREADS,
    ) -> None:
        self.store = store
        self.worker_id = worker_id
        self.lease = lease  # how long the receiving instance has to handle a request before others may
        self.clock = clock
        self._handlers: dict[str, Handler] = {}
        self._one_transaction: set[str] = set()
        self._leases = _Leases()  # this instance's own receipts: no replay can have taken one whose lease holds
        self._on_error = on_error
        self._pool = ContextExecutor(max_workers=threads, thread_name_prefix="inbox")

    def handle(self, kind: InboxKind, handler: Handler, *, one_transaction: bool = False) -> None:
        """`one_transaction`: the handler makes its move in at most one write transaction (`Store.transaction`),
        so the receiver's claim on the row and its deletion ride in that transaction instead of two of their own."""
        self._handlers[kind] = handler
        if one_transaction:
            self._one_transaction.add(kind)

    def receive(self, kind: InboxKind, body: dict[str, Any], holds_draft: int | None = None) -> int:
        """Write the request down, owned by this instance (before the ack). Returns its id. `holds_draft`: an Undo
        click's draft, kept from the publisher until the click is handled (bot.approval.undo)."""
        now = self.clock()
        payload = json.dumps(body, separators=(",", ":"))
        with self.store.connection() as connection:
            item_id = inbox.receive(connection, kind, payload, self.worker_id, now, now + self.lease, holds_draft)
        self._leases.note(item_id, now + self.lease)
        return item_id

    def process(self, item_id: int, kind: InboxKind, body: dict[str, Any]) -> None:
        """Queue a request this instance received for the inbox's threads (after the ack)."""
        self._pool.submit(self._process_reporting, item_id, kind, body)

    def process_now(self, item_id: int, kind: InboxKind, body: dict[str, Any]) -> bool:
        """Handle a request this instance received, on this thread. False if another instance took it over."""
        return self._attempt(item_id, kind, body, replay=False)

    def close(self) -> None:
        """Finish the requests already queued."""
        self._pool.shutdown(wait=True)

    def _process_reporting(self, item_id: int, kind: InboxKind, body: dict[str, Any]) -> None:
        try:
            self.process_now(item_id, kind, body)
        except Exception as exc:  # the row stays for a replay; the person is told, with a reference
            if self._on_error is None:
                raise
            self._on_error(body, exc)

    def replay(self, now: datetime | None = None) -> int:
        """Handle requests whose receiver stopped before handling them. Returns how many were handled."""
        now = now or self.clock()
        with self.store.read() as tx:
            stale = inbox.expired(tx.session, now, MAX_ATTEMPTS, REPLAY_BATCH)
        handled = 0
        for item in stale:
            assert item.id is not None
            log.warning(
                "replaying a %s received at %s by %s (attempt %d)",
                item.kind,
                item.received_at,
                item.owner,
                item.attempts + 1,
            )
            try:
                handled += self._attempt(item.id, InboxKind(item.kind), json.loads(item.body), replay=True, now=now)
            except Exception:
                last = item.attempts + 1 >= MAX_ATTEMPTS
                log.exception("inbox item %s failed again%s", item.id, "; giving up on it" if last else "")
        return handled

    def next_expiry(self) -> datetime | None:
        with self.store.read() as tx:
            return inbox.next_expiry(tx.session, MAX_ATTEMPTS)

    def _attempt(
        self, item_id: int, kind: InboxKind, body: dict[str, Any], *, replay: bool, now: datetime | None = None
    ) -> bool:
        now = now or self.clock()
        fresh = not replay and self._leases.holds(item_id, now)
        if not replay and kind in self._one_transaction:
            return self._attempt_riding(item_id, kind, body, now, fresh=fresh)
        with self.store.transaction() as tx:
            if replay:
                taken = inbox.take_over(tx.session, item_id, self.worker_id, now, now + self.lease)
            else:
                taken = inbox.take(tx.session, item_id, self.worker_id, now + self.lease)
        if not taken:
            return False
        follow_up = self._handlers[kind](body, replay)
        with self.store.transaction() as tx:
            inbox.done(tx.session, item_id, self.worker_id)
        if follow_up is not None:
            follow_up()
        return True

    def _attempt_riding(
        self, item_id: int, kind: InboxKind, body: dict[str, Any], now: datetime, *, fresh: bool
    ) -> bool:
        """The receiver's first attempt with the row's end in the move's own transaction: the move commits only if
        no replay took the row over (`inbox.finish`, a guarded DELETE), so exactly one of them makes it. Unless
        its lease from the receipt still holds (`fresh`: no replay can have it), a read first keeps the handler
        from starting on a row already replayed. A failure is counted as `take` would have."""
        if not fresh:
            with self.store.read() as tx:
                if not inbox.unclaimed(tx.session, item_id, self.worker_id):
                    return False

        def finish(tx: Tx) -> None:
            if not inbox.finish(tx.session, item_id, self.worker_id):
                raise Overtaken(item_id)

        try:
            with self.store.riding(finish) as rider:
                follow_up = self._handlers[kind](body, False)
        except Overtaken:
            return False
        except Exception:
            with self.store.transaction() as tx:  # the attempt counts (MAX_ATTEMPTS), as when it was taken first
                inbox.take(tx.session, item_id, self.worker_id, now + self.lease)
            raise
        if not rider.ran:  # no move was made (nothing to do for this message): the row ends on its own
            with self.store.transaction() as tx:
                if not inbox.finish(tx.session, item_id, self.worker_id):
                    return False
        if follow_up is not None:
            follow_up()
        return True
