"""Telling the writer once per move: claims, releases, and what the catch-up finds (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage import notices
from storage.models import Draft, Status
from storage.store import Store

T0 = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


def moved(store: Store, n: int, to: str, at: datetime) -> int:
    """A draft whose latest move (audited) took it to `to` at `at`."""
    draft = Draft(channel="C0DRAFTS", ts=f"1763800000.{n:06d}", writer_id="U0WRITER", text=f"Draft {n}", status=to)
    draft.updated_at = at
    with store.transaction() as tx:
        tx.insert_draft(draft, author_id="U0WRITER")
        tx.audit(draft.id, "submitted", actor_id="U0WRITER", to=Status.PENDING, version=1)
        tx.audit(draft.id, to, actor_id="U0OWNER", frm=Status.PENDING, to=to, version=1)
    assert draft.id is not None
    return draft.id


def latest(store: Store, draft_id: int) -> int:
    with store.read() as tx:
        move = notices.latest_move(tx.session, draft_id)
    assert move is not None and move.id is not None
    return move.id


def untold(store: Store, now: datetime) -> list[int]:
    with store.read() as tx:
        found = notices.untold(tx.session, [Status.PUBLISHED, Status.REJECTED], now - 2 * HOUR, now, 10)
    return [d.id or 0 for d in found]


def test_one_claim_per_move_and_a_released_claim_can_be_taken_again(store: Store) -> None:
    draft_id = moved(store, 1, Status.PUBLISHED, T0)
    move = latest(store, draft_id)
    with store.transaction() as tx:
        assert notices.claim(tx.session, draft_id, move, T0) is True
        assert notices.claim(tx.session, draft_id, move, T0) is False
        notices.release(tx.session, move)  # Slack refused the reply
        assert notices.claim(tx.session, draft_id, move, T0) is True
        notices.mark_sent(tx.session, move, T0)
        notices.release(tx.session, move)  # a sent reply stays told
        assert notices.claim(tx.session, draft_id, move, T0) is False


def test_the_catch_up_finds_untold_moves_in_its_window_only(store: Store) -> None:
    told = moved(store, 1, Status.PUBLISHED, T0)
    waiting = moved(store, 2, Status.REJECTED, T0)
    too_old = moved(store, 3, Status.PUBLISHED, T0 - 3 * HOUR)
    pending = moved(store, 4, Status.PENDING, T0)
    with store.transaction() as tx:
        notices.claim(tx.session, told, latest(store, told), T0)
    assert untold(store, T0 + HOUR) == [waiting]
    assert too_old not in untold(store, T0 + HOUR) and pending not in untold(store, T0 + HOUR)
    assert untold(store, T0) == []  # changed just now: the live path's turn


def test_a_claim_whose_process_died_is_dropped_after_a_while(store: Store) -> None:
    draft_id = moved(store, 1, Status.PUBLISHED, T0)
    with store.transaction() as tx:
        notices.claim(tx.session, draft_id, latest(store, draft_id), T0)
    assert untold(store, T0 + HOUR) == []
    with store.transaction() as tx:
        notices.drop_abandoned_claims(tx.session, T0 + timedelta(minutes=2))
    assert untold(store, T0 + HOUR) == [draft_id]
