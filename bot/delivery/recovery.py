"""After a stop: claims whose holder is gone, and deliveries left unknown, each looked for on its account.

A mixin of `bot.delivery.publisher.Publisher` (its store, accounts, reconciler, claimer, clock and `on_change`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from storage import deliveries
from storage.models import Delivery, Status

if TYPE_CHECKING:
    from collections.abc import Mapping

    from bot.delivery.claimer import Claimer
    from bot.delivery.reconcile import Reconciler
    from bot.networks.base import Account
    from storage.publishing import Candidate
    from storage.store import Store

STOPPED = "the bot stopped while posting: the post may or may not be up"
FRESHLY_UNKNOWN = {"looks": 0, "next_attempt_at": None}  # not looked for yet: the first look follows at once


class Recovery:
    store: Store
    accounts: Mapping[str, Account]
    reconciler: Reconciler
    claimer: Claimer
    clock: Callable[[], datetime]
    on_change: Callable[[int], None]
    worker_id: str

    def _detail(self, said: str | None, delivery: Delivery | Candidate) -> str | None:
        """An audit row's detail: as it always read with one network; with several, which one it is about."""
        if len(self.accounts) <= 1:
            return said
        return f"{delivery.network}: {said}" if said else delivery.network

    def look_again(self) -> int:
        """Once per start, look for every delivery left unknown: a process that stopped between marking one unknown
        and looking for its post left it unlooked-at. Returns how many the accounts settled."""
        with self.store.read() as tx:
            unknown = deliveries.unknown(tx.session)
            drafts = {i: tx.session.get(Delivery, i).draft_id for i in unknown}  # type: ignore[union-attr]
        settled = [i for i in unknown if self.reconciler.settle(i, self.worker_id)]
        for draft_id in dict.fromkeys(drafts[i] for i in settled):
            self.on_change(draft_id)
        return len(settled)

    def look_when_due(self) -> int:
        """The looks booked for unknown deliveries (a timeline lags): take those whose time has come."""
        with self.store.read() as tx:
            due = deliveries.looks_due(tx.session, self.clock())
            drafts = {i: tx.session.get(Delivery, i).draft_id for i in due}  # type: ignore[union-attr]
        settled = 0
        for delivery_id in due:
            settled += self.reconciler.settle(delivery_id, self.worker_id)
            self.on_change(drafts[delivery_id])  # found, or the card's "still looking" changed
        return settled

    def recover_expired_leases(self) -> None:
        """A worker died holding a claim: whether the network got the post is unknown, so the account is looked at
        and, if that can't tell, a person. Its lease ran out; or, on this host, its process no longer exists (no
        need to wait for the lease then: a dead process renews nothing)."""
        now = self.clock()
        moved: list[tuple[int, int]] = []
        with self.store.read() as tx:  # at every wake-up, and almost always none: no write transaction for that
            pg = tx.dialect == "postgresql"
            if not deliveries.claims_to_check(tx.session, now, self.claimer.prefix, lock=False, postgresql=pg):
                return
        with self.store.transaction() as tx:
            for delivery in deliveries.claims_to_check(tx.session, now, self.claimer.prefix, lock=True, postgresql=pg):
                expired = delivery.lease_until is not None and delivery.lease_until < now
                if expired:
                    action, detail = "lease_expired", f"claimed by {delivery.claimed_by}"
                elif self.claimer.is_gone(delivery.claimed_by):
                    action = "claimer_gone"
                    detail = f"claimed by {delivery.claimed_by}, a process of this host now gone"
                else:
                    continue
                if deliveries.attempt_write(
                    tx.session,
                    delivery.id or 0,
                    delivery.attempt_id,
                    to=Status.UNKNOWN,
                    last_error=STOPPED,
                    **FRESHLY_UNKNOWN,
                ):
                    deliveries.settle_draft(tx.session, delivery.draft_id, delivery.version)
                    tx.audit(
                        delivery.draft_id,
                        action,
                        actor_id=self.worker_id,
                        frm=Status.PUBLISHING,
                        to=Status.UNKNOWN,
                        version=delivery.version,
                        detail=self._detail(detail, delivery),
                        brand=delivery.brand,  # the draft's own: no read of it for the audit row
                    )
                    moved.append((delivery.id or 0, delivery.draft_id))
        for delivery_id, draft_id in moved:
            self.reconciler.settle(delivery_id, self.worker_id)
            self.on_change(draft_id)
