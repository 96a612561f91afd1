"""Nudges for drafts the owner hasn't answered: one per period, never more often, never once decided.

The period is counted from when the current version went to the approvers. A unique (draft, version,
period) row is claimed before anything is sent, so several instances send one nudge between them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from bot.notify import Notifier
from bot.status import age
from storage.models import Draft, Reminder, Status
from storage.store import Store

log = logging.getLogger(__name__)
BATCH = 50


class Reminders:
    def __init__(self, store: Store, notifier: Notifier, after: timedelta | None) -> None:
        self.store = store
        self.notifier = notifier
        self.after = after

    def run(self, now: datetime) -> int:
        """Send the nudges that are due at `now`; returns how many drafts were nudged."""
        if self.after is None:
            return 0
        sent = 0
        for draft in self._due(now):
            if self._claim(draft, now):
                self.notifier.remind(draft, age(now - (draft.pending_since or draft.created_at)))
                sent += 1
        return sent

    def _due(self, now: datetime) -> list[Draft]:
        assert self.after is not None
        last = (
            select(func.max(Reminder.sent_at))
            .where(col(Reminder.draft_id) == col(Draft.id), col(Reminder.version) == col(Draft.version))
            .scalar_subquery()
        )
        stmt = (
            select(Draft)
            .where(Draft.status == Status.PENDING, col(Draft.pending_since) <= now - self.after)
            .where((last.is_(None)) | (last <= now - self.after))
            .order_by(col(Draft.pending_since))
            .limit(BATCH)
        )
        with self.store.read() as tx:
            return list(tx.session.exec(stmt).all())

    def _claim(self, draft: Draft, now: datetime) -> bool:
        assert self.after is not None and draft.pending_since is not None
        period = int((now - draft.pending_since) / self.after)
        with self.store.transaction() as tx:
            current = tx.get(draft.id or 0)
            if current is None or current.status != Status.PENDING or current.version != draft.version:
                return False  # decided or revised since we looked
            return tx._insert_ignore(Reminder, draft_id=draft.id, version=draft.version, period=period, sent_at=now)
