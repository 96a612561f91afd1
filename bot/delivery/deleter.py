"""Delete from X: every part of a published thread, at most once each, whoever clicks and whatever stops.

Fenced like publishing (bot/delivery/publisher.py): a compare-and-set claims the draft (`published` or `delete_failed` →
`deleting`, a fresh attempt id and lease) and commits; the X calls run holding no database lock; each part's
result is recorded fenced by the attempt id, with a renewed lease, and an audit row saying who asked and which
post went. A second click, another instance or a stale Retry loses the claim and is told. A holder that stops
mid-way leaves its claim to run out (or, on this host, its process to be gone); `resume` takes it over with a
new attempt id and finishes: parts recorded as gone are never sent again, and a part whose answer was lost is
sent again harmlessly, since a post already gone counts as deleted (`Account.delete`).

The last part goes first: a reader who opens the thread meanwhile sees it shorter, never replies hanging under
a deleted first post.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from bot.approval.outcomes import Kind, Outcome
from bot.approval.policy import Policy
from bot.approval.post_text import clean
from bot.approval.refs import Actor
from bot.delivery.claimer import Claimer
from bot.networks.base import Account
from bot.networks.registry import by_network
from bot.networks.x.client import LONGEST_X_CALL
from bot.runtime import failpoints
from storage import deletions, deliveries
from storage.models import Draft, Status
from storage.store import Store
from storage.types import utcnow

log = logging.getLogger(__name__)
LEASE = LONGEST_X_CALL * 2  # renewed after every part, so it only has to outlive one X call
MAX_REASON = 1000
STOPPED = "the bot stopped while deleting"


def gone_mark(post_id: str, network: str, *, first: bool) -> str:
    """How a post known gone is written in the draft's `deleted_ids`: the first network's ids as they are (as they
    always were), another network's with its name, so two networks' ids can never be taken for each other."""
    return post_id if first else f"{network}:{post_id}"


def remaining(draft: Draft) -> list[int]:
    """1-based numbers of the parts still on X (or not known to be gone)."""
    gone = set(draft.deleted_ids or [])
    return [n for n, post_id in enumerate(draft.post_ids or [], start=1) if post_id not in gone]


class Deleter:
    def __init__(
        self,
        store: Store,
        accounts: Account | Mapping[str, Account],
        policy: Policy,
        on_change: Callable[[int], None],
        *,
        worker_id: str = "deleter",
        clock: Callable[[], datetime] = utcnow,
        claimer: Claimer | None = None,
        lease: timedelta = LEASE,
        brand: str | None = None,
    ) -> None:
        self.store = store
        # The brand whose stopped deletions this one resumes (its accounts are that brand's); None: every brand's,
        # for a deployment of one.
        self.brand = brand
        self.accounts: Mapping[str, Account] = by_network(accounts)
        self.policy = policy
        self.on_change = on_change
        self.worker_id = worker_id
        self.clock = clock
        self.claimer = claimer or Claimer.this_process()
        self.lease = lease

    # -- asking --------------------------------------------------------------------------------

    def request(self, draft_id: int, actor: Actor, reason: str | None = None, *, via: str = "button") -> Outcome:
        """Claim the draft for deletion (audited), or say why not (audited). Any approver of this organisation may
        pull a post, their own draft's too: this is a brake, not a countersignature. Returns DELETING with the
        claimed draft (its `attempt_id` is what `run` needs)."""
        said = clean(reason).strip()[:MAX_REASON] if reason else ""
        refusal = self.policy.refusal(actor)
        with self.store.transaction() as tx:
            draft = tx.get(draft_id)
            if draft is None or refusal is not None:
                kind = refusal or Kind.NOT_FOUND
                self._refused(tx, draft_id if draft else None, actor, kind, via)
                return Outcome(kind, draft=draft)
            if not draft.post_ids:
                self._refused(tx, draft_id, actor, Kind.NOT_DELETABLE, via)
                return Outcome(Kind.NOT_DELETABLE, draft=draft)
            attempt_id = uuid.uuid4().hex
            values: dict[str, object] = {"deleted_by": actor.user_id, "last_error": None}
            if said:
                values["delete_reason"] = said
            now = self.clock()
            if not deletions.claim(
                tx.session, draft_id, attempt_id, str(self.claimer), now + self.lease, now, **values
            ):
                # Read again: on PostgreSQL the claim that won committed after this transaction first read the row.
                current = tx.get(draft_id) or draft
                kind = {Status.DELETING: Kind.ALREADY_DELETING, Status.DELETED: Kind.ALREADY_DELETED}.get(
                    Status(current.status), Kind.NOT_DELETABLE
                )
                self._refused(tx, draft_id, actor, kind, via)
                return Outcome(kind, draft=current)
            tx.audit(
                draft_id,
                "delete_requested",
                actor_id=actor.user_id,
                actor_team_id=actor.team_id,
                frm=draft.status,
                to=Status.DELETING,
                version=draft.version,
                detail=said or None,
            )
            return Outcome(Kind.DELETING, draft=tx.get(draft_id))

    def _refused(self, tx: object, draft_id: int | None, actor: Actor, kind: Kind, via: str) -> None:
        tx.audit(  # type: ignore[attr-defined]
            draft_id,
            f"refused_{kind.value}",
            actor_id=actor.user_id,
            actor_team_id=actor.team_id,
            detail=f"delete from X ({via})",
        )

    def add_reason(self, draft_id: int, actor: Actor, reason: str) -> Outcome:
        """The reason for a deletion pressed on a card (the button asks none): kept once, audited, by an approver."""
        said = clean(reason).strip()[:MAX_REASON]
        refusal = self.policy.refusal(actor)
        with self.store.transaction() as tx:
            draft = tx.get(draft_id)
            kind = refusal or (Kind.NOT_FOUND if draft is None else Kind.REASON_REQUIRED if not said else None)
            if kind is None and not deletions.keep_reason(tx.session, draft_id, said):
                current = tx.get(draft_id)
                kind = Kind.REASON_GIVEN if current and current.delete_reason else Kind.NOT_DELETABLE
            if kind is not None:
                self._refused(tx, draft_id if draft else None, actor, kind, "reason")
                return Outcome(kind, draft=draft)
            tx.audit(
                draft_id,
                "delete_reason_added",
                actor_id=actor.user_id,
                actor_team_id=actor.team_id,
                version=draft.version if draft else None,
                detail=said,
            )
            return Outcome(Kind.REASON_ADDED, draft=tx.get(draft_id))

    # -- doing ---------------------------------------------------------------------------------

    def run(self, draft_id: int, attempt_id: str | None) -> Draft | None:
        """Delete the parts not yet known gone, last first, under the claim `attempt_id`. Returns the draft as it
        ended (deleted, delete_failed, or still deleting if the claim was lost to another holder)."""
        draft = self.store.get(draft_id)
        if draft is None or attempt_id is None or draft.attempt_id != attempt_id:
            return draft
        gone = list(draft.deleted_ids or [])
        asked_by = draft.deleted_by or self.worker_id
        with self.store.read() as tx:
            targets = [
                (n, d) for n, d in enumerate(deliveries.of_draft(tx.session, draft_id, draft.version)) if d.post_ids
            ]
        for index, delivery in targets:  # each network's posts, by its own account
            account = self.accounts.get(delivery.network)
            ids = list(delivery.post_ids or [])
            if account is None:
                return self._stop(draft, attempt_id, f"this instance has no {delivery.network} account")
            for number in range(len(ids), 0, -1):
                post_id = ids[number - 1]
                mark = gone_mark(post_id, delivery.network, first=index == 0)
                if mark in gone:
                    continue
                try:
                    deleted_now = account.delete(post_id)
                    failpoints.hit("after-delete-call")  # the network has deleted it; nothing recorded yet
                except Exception as exc:  # everything stops here: the card says which parts remain and offers Retry
                    return self._stop(draft, attempt_id, account.diagnose(exc).reason)
                gone.append(mark)
                how = "deleted" if deleted_now else "already gone"
                with self.store.transaction() as tx:
                    if not deletions.attempt_write(
                        tx.session, draft_id, attempt_id, deleted_ids=gone, lease_until=self.clock() + self.lease
                    ):
                        log.warning("draft %s: deletion claim lost mid-thread; leaving it to the new holder", draft_id)
                        return tx.get(draft_id)
                    where = "" if len(targets) == 1 else f"{delivery.network} "
                    tx.audit(
                        draft_id,
                        "part_deleted",
                        actor_id=asked_by,
                        version=draft.version,
                        detail=f"{where}part {number} of {len(ids)}: {post_id} ({how})",
                    )
        with self.store.transaction() as tx:
            if deletions.attempt_write(tx.session, draft_id, attempt_id, to=Status.DELETED, deleted_at=self.clock()):
                deliveries.mark_deleted(tx.session, draft_id, draft.version, gone, self.clock())
                tx.audit(
                    draft_id,
                    "deleted_from_x",
                    actor_id=asked_by,
                    frm=Status.DELETING,
                    to=Status.DELETED,
                    version=draft.version,
                    detail=draft.delete_reason,
                )
            ended = tx.get(draft_id)
        self.on_change(draft_id)
        return ended

    def _stop(self, draft: Draft, attempt_id: str, reason: str) -> Draft | None:
        draft_id = draft.id or 0
        log.warning("draft %s: deleting from X stopped: %s", draft_id, reason)
        with self.store.transaction() as tx:
            if deletions.attempt_write(tx.session, draft_id, attempt_id, to=Status.DELETE_FAILED, last_error=reason):
                tx.audit(
                    draft_id,
                    "delete_failed",
                    actor_id=draft.deleted_by or self.worker_id,
                    frm=Status.DELETING,
                    to=Status.DELETE_FAILED,
                    version=draft.version,
                    detail=reason,
                )
            ended = tx.get(draft_id)
        self.on_change(draft_id)
        return ended

    # -- after a stop ----------------------------------------------------------------------------

    def resume(self, now: datetime | None = None) -> int:
        """Deletions whose holder stopped (lease run out, or its process on this host gone): take each over with
        a new attempt id and finish it: this deleter's brand's only, whose accounts it holds. Returns how many were
        taken over."""
        now = now or self.clock()
        with self.store.read() as tx:
            found = deletions.abandoned(tx.session, now, self.claimer.prefix, brand=self.brand)
        taken = 0
        for draft in found:
            expired = draft.lease_until is not None and draft.lease_until < now
            gone = not expired and self.claimer.is_gone(draft.claimed_by)
            if not (expired or gone) or draft.id is None:
                continue
            attempt_id = uuid.uuid4().hex
            with self.store.transaction() as tx:
                if not deletions.claim(
                    tx.session,
                    draft.id,
                    attempt_id,
                    str(self.claimer),
                    now + self.lease,
                    now,
                    taking_over=draft.attempt_id,
                    holder_gone=gone,
                ):
                    continue
                tx.audit(
                    draft.id,
                    "delete_resumed",
                    actor_id=self.worker_id,
                    version=draft.version,
                    detail=f"{STOPPED} (claimed by {draft.claimed_by})",
                )
            taken += 1
            self.run(draft.id, attempt_id)
        return taken
