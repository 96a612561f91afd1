"""After an uncertain attempt: look for the post on the account before asking a person.

The account answers "is this part up?" (`Account.find`: X reads its recent posts, as it has no idempotency key;
how X's timeline shows a text is X's business, in bot/networks/x/match.py). A match settles it (published, or the
rest of a thread resumes); no match, or no answer, leaves the draft `unknown` for an approver to settle from the
card, while the bot looks a few more times (X's timeline lags behind its writes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.networks.base import Account
from storage.models import Draft, Status
from storage.store import Store
from storage.types import utcnow

log = logging.getLogger(__name__)
LOOKBACK = timedelta(minutes=15)
# After the first look, right after the uncertain answer: 5 more over two minutes (at +5, +15, +30, +60, +120 s).
LOOK_AGAIN = tuple(timedelta(seconds=s) for s in (5, 10, 15, 30, 60))


class Reconciler:
    def __init__(self, store: Store, account: Account, *, clock: Callable[[], datetime] = utcnow) -> None:
        self.store = store
        self.account = account
        self.clock = clock

    def settle(self, draft_id: int, actor: str = "reconciler") -> bool:
        """Look for the post on the account now. True when that settled the draft one way or the other.

        Each look is claimed first (a compare-and-set on the count of looks), and that same write books the next
        one: X's timeline lags behind its writes, so a post that isn't there yet is looked for again
        `LOOK_AGAIN` later, a few times over a couple of minutes, by whichever instance's publisher is ticking
        then (the time is in the database). The approvers have the buttons all along: someone who has seen
        the account needn't wait for the bot."""
        draft = self.store.get(draft_id)
        # The look is claimed (and the next booked) before anything else, so a due look is never left due.
        if draft is None or draft.status != Status.UNKNOWN or not self._claim_look(draft) or not draft.final_parts:
            return False
        ids = list(draft.post_ids or [])
        found = None
        if len(ids) < len(draft.final_parts):  # else every part's id was recorded before the stop: no need to look
            since = (draft.decided_at or draft.updated_at) - LOOKBACK
            found = self.account.find(self._key(draft, len(ids)), draft.final_parts[len(ids)], since)
            if found is None:
                return self._note(draft_id, draft.last_error, "the account's recent posts couldn't be read")
            if found is False or found is True or found in ids:  # an earlier part of the same text is not this one
                return self._note(draft_id, draft.last_error, "it is not among the account's recent posts")
            ids.append(found)
        done = len(ids) >= len(draft.final_parts)
        values: dict[str, object] = {"post_ids": ids, "last_error": None, "next_attempt_at": None}
        if done:  # the link needs the username: asked of X (once per process) before the transaction, not in it
            values.update(post_url=self.account.link(ids[0]), published_at=self.clock())
        with self.store.transaction() as tx:
            to = Status.PUBLISHED if done else Status.APPROVED
            if not tx.move(draft_id, frm={Status.UNKNOWN}, to=to, **values):
                return False
            tx.audit(
                draft_id,
                "reconciled",
                actor_id=actor,
                frm=Status.UNKNOWN,
                to=to,
                version=draft.version,
                detail=f"found post {found} on the account",
            )
        log.info("draft %s: reconciled (%s); now %s", draft_id, found or "all parts recorded", to)
        return True

    @staticmethod
    def _key(draft: Draft, part: int) -> str:
        """The key the part's create call was made under (none is stored for X before deliveries: any string)."""
        return ""

    def _claim_look(self, draft: Draft) -> bool:
        """This look is ours (no other instance is taking the same one), and the next one is booked."""
        looks = draft.looks + 1
        after = LOOK_AGAIN[looks - 1] if looks <= len(LOOK_AGAIN) else None
        with self.store.transaction() as tx:
            return tx.look(draft.id or 0, draft.looks, self.clock() + after if after is not None else None)

    def _note(self, draft_id: int, error: str | None, finding: str) -> bool:
        with self.store.transaction() as tx:
            noted = error if finding in (error or "") else f"{error}; {finding}"  # looked again after a restart
            if noted != error:
                tx.move(draft_id, frm={Status.UNKNOWN}, to=Status.UNKNOWN, last_error=noted)
        return False
