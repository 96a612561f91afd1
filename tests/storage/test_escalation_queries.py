"""The escalation job's queries and its compare-and-set, on both databases (no Slack: the claim is all database)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import col

from bot.jobs.escalation import BATCH, Escalations
from storage.models import Card, Draft, Status
from storage.store import Store

NOW = datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
BACKUP = "U0BACKUP"


@dataclass
class Approvers:
    """What the job reads of the notifier before it posts anything."""

    approvers: tuple[str, ...] = ("U0OWNER", "U0OWNER2")


def job(store: Store) -> Escalations:
    return Escalations(store, Approvers(), (BACKUP,))  # type: ignore[arg-type]


def add(
    store: Store, n: int, *, escalate_at: datetime | None, escalated: bool = False, writer: str = "U0W"
) -> list[int]:
    ids = []
    with store.transaction() as tx:
        for _ in range(n):
            draft = Draft(
                channel="C0DRAFTS",
                ts=f"{len(ids)}.{datetime.now().timestamp()}",
                writer_id=writer,
                text="t",
                pending_since=NOW - timedelta(hours=8),
                escalate_at=escalate_at,
                escalated_at=NOW - timedelta(minutes=5) if escalated else None,
            )
            tx.session.add(draft)
            tx.session.flush()
            ids.append(draft.id or 0)
    return ids


def test_due_is_the_pending_undecided_drafts_whose_time_has_come(store: Store) -> None:
    [due] = add(store, 1, escalate_at=NOW)
    add(store, 1, escalate_at=NOW + timedelta(seconds=1))  # not yet
    add(store, 1, escalate_at=None)  # escalation off when it was submitted
    add(store, 1, escalate_at=NOW - timedelta(hours=1), escalated=True)  # done already
    [decided] = add(store, 1, escalate_at=NOW - timedelta(hours=1))
    with store.transaction() as tx:
        tx.move(decided, frm={Status.PENDING}, to=Status.APPROVED)
    assert [d.id for d in job(store)._due(NOW)] == [due]


def test_the_claim_is_won_once_and_lost_to_a_decision(store: Store) -> None:
    first, second = add(store, 2, escalate_at=NOW)
    escalations = job(store)
    [a, b] = escalations._due(NOW)
    assert escalations._claim(a, NOW) is True
    assert escalations._claim(a, NOW) is False  # another instance, or a restart, with the same read
    with store.transaction() as tx:
        tx.move(second, frm={Status.PENDING}, to=Status.REJECTED)
    assert escalations._claim(b, NOW) is False
    with store.transaction() as tx:
        rows = {d: tx.get(d) for d in (first, second)}
        trail = [e.action for e in tx.audit_trail(first)] + [e.action for e in tx.audit_trail(second)]
    assert rows[first] is not None and rows[first].escalated_at == NOW
    assert rows[second] is not None and rows[second].escalated_at is None
    assert trail == ["escalated"]


def test_short_of_cards_finds_the_one_missing_card_behind_a_full_batch(store: Store) -> None:
    carded = add(store, BATCH + 10, escalate_at=NOW - timedelta(hours=1), escalated=True)
    [missing] = add(store, 1, escalate_at=NOW - timedelta(hours=1), escalated=True)
    add(store, 1, escalate_at=NOW - timedelta(hours=1), escalated=True, writer=BACKUP)  # expects no card
    with store.transaction() as tx:
        for draft_id in carded:
            tx.session.add(Card(draft_id=draft_id, approver_id=BACKUP, channel="D0BACKUP", ts="1.1"))
            tx.session.add(Card(draft_id=draft_id, approver_id="U0OWNER", channel="D0OWNER", ts="1.2"))
        tx.session.add(Card(draft_id=missing, approver_id="U0OWNER", channel="D0OWNER", ts="1.3"))
    assert [d.id for d in job(store)._short_of_cards(NOW)] == [missing]
    with store.transaction() as tx:  # decided since: no card is owed any more
        tx.session.execute(update(Draft).where(col(Draft.id) == missing).values(status=Status.REJECTED))
    assert job(store)._short_of_cards(NOW) == []
