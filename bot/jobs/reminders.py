"""Nudges for drafts the owner hasn't answered: one per period, never more often, never once decided.

The period is counted from when the current version went to the approvers. A draft with a proposed time also
gets one nudge before that time (period -1), however short the wait, so it isn't missed unseen. A unique
(draft, version, period) row is claimed before anything is sent, so several instances send one nudge between them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.intake.schedule_line import describe
from bot.reports.status import age
from bot.slack.notify import Notifier
from storage import reminders
from storage.models import Draft, Reminder, Status
from storage.store import Store

log = logging.getLogger(__name__)
BATCH = 50
BEFORE_TIME = -1  # the reminder period of the nudge before a proposed time (the others count up from 0)
BEFORE_TIME_LEAD = timedelta(hours=1)


def _lead(draft: Draft, longest: timedelta) -> timedelta:
    """How long before its time a draft is nudged: `longest`, or half its wait if that is shorter."""
    assert draft.publish_at is not None
    waits = draft.publish_at - (draft.pending_since or draft.created_at)
    return min(longest, waits / 2)


class Reminders:
    def __init__(
        self,
        store: Store,
        notifier: Notifier,
        after: timedelta | None,
        zone: ZoneInfo | None = None,
        *,
        brand: str | None = None,
    ) -> None:
        self.brand = brand  # one brand's drafts (its notifier's cards); None: every draft
        self.zone = zone or ZoneInfo("UTC")
        self.store = store
        self.notifier = notifier
        self.after = after

    def run(self, now: datetime) -> int:
        """Send the nudges that are due at `now`; returns how many drafts were nudged."""
        sent = 0
        for draft in self._before_time(now):  # a proposed time is near: at least one nudge before it
            if self._claim(draft, now, period=BEFORE_TIME):
                waited = age(now - (draft.pending_since or draft.created_at))
                self.notifier.remind(draft, waited, due=self._when(draft, now))
                sent += 1
        if self.after is None:
            return sent
        for draft in self._due(now):
            if self._claim(draft, now):
                self.notifier.remind(draft, age(now - (draft.pending_since or draft.created_at)))
                sent += 1
        return sent

    def _when(self, draft: Draft, now: datetime) -> str:
        return describe(draft.publish_at, now, self.zone) if draft.publish_at else ""

    def _before_time(self, now: datetime) -> list[Draft]:
        """Pending drafts whose proposed time is within its lead: `BEFORE_TIME_LEAD` (or `REMINDER_AFTER` if
        shorter), or half the time between going to the approvers and the proposed time, if that is shorter."""
        with self.store.read() as tx:
            near = reminders.near_their_time(tx.session, self.brand, now, BEFORE_TIME_LEAD, BATCH)
        lead = min(BEFORE_TIME_LEAD, self.after or BEFORE_TIME_LEAD)
        return [d for d in near if d.publish_at and now >= d.publish_at - _lead(d, lead)]

    def _due(self, now: datetime) -> list[Draft]:
        assert self.after is not None
        with self.store.read() as tx:
            return reminders.unreminded(tx.session, self.brand, now, self.after, BATCH)

    def _claim(self, draft: Draft, now: datetime, period: int | None = None) -> bool:
        assert draft.pending_since is not None
        if period is None:
            assert self.after is not None
            period = int((now - draft.pending_since) / self.after)
        with self.store.transaction() as tx:
            current = tx.get(draft.id or 0)
            if current is None or current.status != Status.PENDING or current.version != draft.version:
                return False  # decided or revised since we looked
            return tx._insert_ignore(Reminder, draft_id=draft.id, version=draft.version, period=period, sent_at=now)
