"""After an uncertain attempt: look for the post on the account before asking a person.

The account answers "is this part up?" (`Account.find`: X reads its recent posts, as it has no idempotency key;
how X's timeline shows a text is X's business, in bot/networks/x/match.py). A match settles it (published, or the
rest of a thread resumes); no match, or no answer, leaves the draft `unknown` for an approver to settle from the
card, while the bot looks a few more times (X's timeline lags behind its writes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from bot.networks.base import Account
from bot.networks.registry import by_network
from storage import deliveries
from storage.models import Delivery, Status
from storage.store import Store
from storage.types import utcnow

log = logging.getLogger(__name__)
LOOKBACK = timedelta(minutes=15)
# After the first look, right after the uncertain answer: 5 more over two minutes (at +5, +15, +30, +60, +120 s).
LOOK_AGAIN = tuple(timedelta(seconds=s) for s in (5, 10, 15, 30, 60))


class Reconciler:
    def __init__(
        self,
        store: Store,
        accounts: Account | Mapping[str, Account],
        *,
        clock: Callable[[], datetime] = utcnow,
        accounts_for: Callable[[str], Mapping[str, Account]] | None = None,
    ) -> None:
        """`accounts_for`: a brand's key → its accounts by network (Services.accounts_for), when brands have their
        own; else `accounts` serve every brand."""
        self.store = store
        self.accounts: Mapping[str, Account] = by_network(accounts)
        self.accounts_for = accounts_for
        self.clock = clock

    def account_of(self, brand: str, network: str) -> Account | None:
        """The account a delivery of `brand` to `network` goes out on (and is looked for on)."""
        accounts = self.accounts_for(brand) if self.accounts_for is not None else self.accounts
        return accounts.get(network)

    def settle(self, delivery_id: int, actor: str = "reconciler") -> bool:
        """Look for the delivery's post on its account now. True when that settled it one way or the other.

        Each look is claimed first (a compare-and-set on the count of looks), and that same write books the next
        one: a timeline lags behind its writes, so a post that isn't there yet is looked for again `LOOK_AGAIN`
        later, a few times over a couple of minutes, by whichever instance's publisher is ticking then (the time is
        in the database). The approvers have the buttons all along: someone who has seen the account needn't wait
        for the bot."""
        with self.store.read() as tx:
            delivery = deliveries.get(tx.session, delivery_id)
            draft = tx.get(delivery.draft_id) if delivery is not None else None
        # The look is claimed (and the next booked) before anything else, so a due look is never left due.
        if delivery is None or draft is None or delivery.status != Status.UNKNOWN:
            return False
        account = self.account_of(delivery.brand, delivery.network)
        if account is None or not self._claim_look(delivery) or not delivery.final_parts:
            return False
        parts = delivery.final_parts
        ids = list(delivery.post_ids or [])
        found = None
        if len(ids) < len(parts):  # else every part's id was recorded before the stop: no need to look
            since = (draft.decided_at or delivery.created_at) - LOOKBACK
            keys = delivery.keys or []
            found = account.find(keys[len(ids)] if len(ids) < len(keys) else "", parts[len(ids)], since)
            if found is None:
                return self._note(delivery, "the account's recent posts couldn't be read")
            if found is False or found is True or found in ids:  # an earlier part of the same text is not this one
                return self._note(delivery, "it is not among the account's recent posts")
            ids.append(found)
        done = len(ids) >= len(parts)
        values: dict[str, object] = {"post_ids": ids, "last_error": None, "next_attempt_at": None}
        if done:  # the link may need a call (X: the username, once per process): before the transaction
            values.update(post_url=account.link(ids[0]), published_at=self.clock())
        with self.store.transaction() as tx:
            to = Status.PUBLISHED if done else Status.APPROVED
            if not deliveries.move(tx.session, delivery_id, frm={Status.UNKNOWN}, to=to, **values):
                return False
            deliveries.settle_draft(tx.session, delivery.draft_id, delivery.version)
            detail = f"found post {found} on the account"
            tx.audit(
                delivery.draft_id,
                "reconciled",
                actor_id=actor,
                frm=Status.UNKNOWN,
                to=to,
                version=delivery.version,
                detail=detail if len(self.accounts) <= 1 else f"{delivery.network}: {detail}",
                brand=delivery.brand,  # the draft's own: no read of it for the audit row
            )
        log.info("delivery %s: reconciled (%s); now %s", delivery_id, found or "all parts recorded", to)
        return True

    def _claim_look(self, delivery: Delivery) -> bool:
        """This look is ours (no other instance is taking the same one), and the next one is booked."""
        looks = delivery.looks + 1
        after = LOOK_AGAIN[looks - 1] if looks <= len(LOOK_AGAIN) else None
        with self.store.transaction() as tx:
            next_look = self.clock() + after if after is not None else None
            if not deliveries.look(tx.session, delivery.id or 0, delivery.looks, next_look):
                return False
            deliveries.settle_draft(tx.session, delivery.draft_id, delivery.version)
            return True

    def _note(self, delivery: Delivery, finding: str) -> bool:
        error = delivery.last_error
        with self.store.transaction() as tx:
            noted = error if finding in (error or "") else f"{error}; {finding}"  # looked again after a restart
            if noted != error and deliveries.move(
                tx.session, delivery.id or 0, frm={Status.UNKNOWN}, to=Status.UNKNOWN, last_error=noted
            ):
                deliveries.settle_draft(tx.session, delivery.draft_id, delivery.version)
        return False
