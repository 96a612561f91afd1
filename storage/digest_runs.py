"""The weekly digest's delivery, one `digest_run` row per brand and week: claimed, posting, sent, refused
(retried from `retry_at`) or uncertain (never re-sent by itself). Every change is a guarded UPDATE."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from storage.models import DigestRun, Draft
from storage.store import changed, insert_ignore


def get(session: Session, brand: str, week: str) -> DigestRun | None:
    return session.exec(select(DigestRun).where(DigestRun.brand == brand, DigestRun.week == week)).first()


def any_draft_before(session: Session, brand: str, end: datetime) -> bool:
    """Whether the brand had a draft before `end`: a week that ended earlier has nothing to report."""
    stmt = select(Draft.id).where(Draft.brand == brand, col(Draft.created_at) < end).limit(1)
    return session.exec(stmt).first() is not None


def _open(brand: str, week: str) -> Any:
    return and_(
        col(DigestRun.brand) == brand,
        col(DigestRun.week) == week,
        col(DigestRun.sent_at).is_(None),
        col(DigestRun.uncertain_at).is_(None),
    )


def claim(session: Session, brand: str, week: str, worker: str, now: datetime, stale_before: datetime) -> bool:
    """Take the week's sending: a new row, a refused run whose `retry_at` has come, or a claim whose sender died
    before it called Slack (stale, and never marked posting)."""
    if insert_ignore(session, DigestRun, brand=brand, week=week, claimed_by=worker, claimed_at=now):
        return True
    due = or_(
        and_(col(DigestRun.retry_at).is_not(None), col(DigestRun.retry_at) <= now),
        and_(
            col(DigestRun.retry_at).is_(None),
            col(DigestRun.posting_at).is_(None),
            col(DigestRun.claimed_at) < stale_before,
        ),
    )
    stmt = update(DigestRun).where(_open(brand, week), due).values(claimed_by=worker, claimed_at=now, retry_at=None)
    return changed(session, stmt)


def died_posting(session: Session, brand: str, week: str, now: datetime, stale_before: datetime) -> bool:
    """A sender that marked the run posting and then stopped answering for it: whether Slack got the digest is
    unknown, so it becomes uncertain (True when this call made it so)."""
    stmt = (
        update(DigestRun)
        .where(_open(brand, week), col(DigestRun.posting_at).is_not(None), col(DigestRun.claimed_at) < stale_before)
        .values(uncertain_at=now, last_error="the sender stopped while posting it")
    )
    return changed(session, stmt)


def mark_posting(session: Session, brand: str, week: str, worker: str, now: datetime) -> bool:
    return changed(session, _mine(brand, week, worker).values(posting_at=now, claimed_at=now))


def sent(session: Session, brand: str, week: str, worker: str, channel: str, ts: str, now: datetime) -> None:
    session.execute(_mine(brand, week, worker).values(channel=channel, ts=ts, sent_at=now, retry_at=None))


def refused(
    session: Session, brand: str, week: str, worker: str, error: str, retry_at: datetime, attempts: int
) -> None:
    """Slack said no (nothing posted): try again from `retry_at`; `attempts` refusals so far."""
    values = {"attempts": attempts, "retry_at": retry_at, "last_error": error[:255], "posting_at": None}
    session.execute(_mine(brand, week, worker).values(**values))


def uncertain(session: Session, brand: str, week: str, worker: str, why: str, now: datetime) -> None:
    session.execute(_mine(brand, week, worker).values(uncertain_at=now, last_error=why[:255]))


def release(session: Session, brand: str, week: str, worker: str) -> None:
    """Nothing was sent (the digest couldn't even be built): forget the claim so the next tick starts afresh."""
    run = get(session, brand, week)
    if run is not None and run.claimed_by == worker and run.sent_at is None and run.posting_at is None:
        if run.attempts == 0:
            session.delete(run)
        else:
            session.execute(_mine(brand, week, worker).values(retry_at=run.claimed_at))


def take_telling(session: Session, brand: str, week: str, now: datetime) -> bool:
    """The approvers hear about a week's delivery problem once: the first caller to get here tells them."""
    stmt = (
        update(DigestRun)
        .where(col(DigestRun.brand) == brand, col(DigestRun.week) == week, col(DigestRun.told_at).is_(None))
        .values(told_at=now)
    )
    return changed(session, stmt)


def _mine(brand: str, week: str, worker: str) -> Any:
    return update(DigestRun).where(_open(brand, week), col(DigestRun.claimed_by) == worker)
