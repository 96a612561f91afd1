"""What a publisher's pass costs the database (issue 13): a wake-up that finds nothing is one read of what is due
and one of when to wake; a pass that posts one delivery adds its claim and its outcome, and nothing per pass
that is nearly always empty (expired leases, due looks: those wait for the tick)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from bot.approval.workflow import Workflow
from bot.delivery.publisher import Publisher
from storage.models import Status
from storage.store import Store
from tests.unit.test_workflow import (  # noqa: F401 (fixtures)
    PARTNER,
    StubX,
    migrated_db,
    ref_of,
    store,
    submitted,
    wf,
)


@contextmanager
def statements_of(on: Store, thread: str | None = None) -> Iterator[list[str]]:
    """The SQL statements run on the store's engine while inside (by the thread named `thread`, if given); the
    BEGIN that SQLite's transactions start with is the transaction, not a statement."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if (thread is None or threading.current_thread().name == thread) and not statement.startswith("BEGIN"):
            seen.append(statement)

    event.listen(on.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(on.engine, "before_cursor_execute", count)


def test_a_pass_that_posts_one_delivery_runs_its_read_its_claim_and_its_outcome(
    wf: Workflow,  # noqa: F811
    store: Store,  # noqa: F811
) -> None:
    """One read of what is due; the claim: the draft held, the delivery claimed with its keys, the draft's status
    settled (two), the audit row; the outcome: the fenced write, the settle (two), the audit row."""
    draft = submitted(wf, "One")
    wf.approve(ref_of(draft), PARTNER)
    x = StubX()
    publisher = Publisher(store, x, on_change=lambda _id: None, worker_id="w1")  # type: ignore[arg-type]
    with statements_of(store) as seen:
        assert publisher.run_once(scan=False) == 1
    assert len(x.posts) == 1
    assert len(seen) <= 10, seen
    stored = store.get(draft.id or 0)
    assert stored is not None and stored.status == Status.PUBLISHED


def test_a_wake_up_that_finds_nothing_reads_twice_and_scans_nothing(store: Store) -> None:  # noqa: F811
    """Woken (an approval elsewhere, an Undo) with nothing due: what is due, and when to wake; no lease or look
    scan, no pause switch read, no second read of what is due."""
    publisher = Publisher(store, StubX(), on_change=lambda _id: None, worker_id="w1")  # type: ignore[arg-type]

    def passes_ended(seen: list[str], n: int) -> int:
        """Waits until the loop has read when to wake `n` times (each pass ends so); returns where the nth read is."""
        deadline = time.monotonic() + 5
        while True:
            ends = [i for i, sql in enumerate(seen) if "min(delivery.next_attempt_at)" in sql]
            if len(ends) >= n:
                return ends[n - 1]
            assert time.monotonic() < deadline, seen
            time.sleep(0.01)

    with statements_of(store, "countersign-publisher") as seen:
        publisher.start()
        try:
            first = passes_ended(seen, 1)  # the start's pass, which scans
            publisher.wake()
            second = passes_ended(seen, 2)
            time.sleep(0.2)  # anything more it would run
        finally:
            publisher.stop()
    woken = seen[first + 1 :]
    assert second == first + 2 and len(woken) == 2, woken
    assert "FROM delivery JOIN draft" in woken[0]
