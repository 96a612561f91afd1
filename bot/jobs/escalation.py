"""Escalation, so a draft never stalls: the scheduler tick's job that gives the backup approvers the card.

A draft is due when it is still pending at its `escalate_at` (set at intake from ESCALATE_AFTER and its time to
go out: approval/escalation_rule). The job claims the escalation with one compare-and-set on the draft (pending and
not escalated yet: `escalated_at` is null) and an audit row, commits, and only then posts the backups' cards, so
several instances (and a restart) escalate each draft once, and a decision that committed first makes the claim
lose cleanly. A card that didn't get out (Slack down, a crash after the claim) is posted by a later tick; the card
table's unique (draft, approver) key keeps it to one card per backup.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.approval.escalation_rule import still_to_decide
from bot.slack.notify import Notifier
from storage import escalations
from storage.models import Draft
from storage.store import Store

log = logging.getLogger(__name__)
BATCH = 50
ACTOR = "countersign"  # the audit row's actor: no person escalates
CARD_GRACE = timedelta(seconds=30)  # a backup card claimed this recently may still be on its way to Slack


class Escalations:
    def __init__(self, store: Store, notifier: Notifier, backups: tuple[str, ...], *, brand: str | None = None) -> None:
        self.brand = brand  # one brand's drafts, its backups; None: every draft
        self.store = store
        self.notifier = notifier
        self.backups = backups

    def run(self, now: datetime) -> int:
        """Escalate the drafts due at `now`; returns how many this call escalated."""
        if not self.backups:
            return 0
        escalated = 0
        for draft in self._due(now):
            if self._claim(draft, now):
                self._card(draft)
                self.notifier.refresh_cards(draft.id or 0)  # the approvers' cards say who else was asked
                escalated += 1
        for draft in self._short_of_cards(now):  # escalated, but a backup's card never got out
            self._card(draft, look_first=True)
        return escalated

    def _due(self, now: datetime) -> list[Draft]:
        with self.store.read() as tx:
            return escalations.due(tx.session, self.brand, now, BATCH)

    def _claim(self, draft: Draft, now: datetime) -> bool:
        """pending, not escalated → escalated at `now`, audited; False when another instance or a decision won."""
        assert draft.id is not None
        waiting = ",".join(still_to_decide(draft, self.notifier.approvers))
        with self.store.transaction() as tx:
            if not escalations.claim(tx.session, draft.id, now):
                return False
            tx.audit(
                draft.id,
                "escalated",
                actor_id=ACTOR,
                version=draft.version,
                detail=f"to {','.join(self._backups_of(draft)) or 'nobody (its writer)'}; no answer from {waiting}",
            )
        log.info("draft %s escalated to its backup approvers", draft.id)
        return True

    def _backups_of(self, draft: Draft) -> list[str]:
        return [b for b in self.backups if b != draft.writer_id]

    def _card(self, draft: Draft, *, look_first: bool = False) -> None:
        """A card in each backup's DM (whatever APPROVAL_CHANNEL says: a backup needn't be in that channel)."""
        current = self.store.get(draft.id or 0) or draft
        targets = [(b, b) for b in self._backups_of(current)]
        self.notifier.post_cards(current, targets=targets, look_first=look_first, while_pending=True)

    def _short_of_cards(self, now: datetime) -> list[Draft]:
        """Escalated, still pending drafts with fewer backup cards (posted or on their way) than backups."""
        with self.store.read() as tx:
            return escalations.short_of_cards(tx.session, self.brand, self.backups, now - CARD_GRACE, BATCH)
