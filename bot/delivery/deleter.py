"""Delete: every part of a published thread on each network, at most once each, whoever clicks and whatever stops.

Fenced like publishing (bot/delivery/publisher.py), per delivery: a compare-and-set claims each of the version's
deliveries that is up (`published` or `delete_failed` → `deleting`, one fresh attempt id and lease) and commits; the
network calls run holding no database lock; each part's result is recorded on its own delivery fenced by that
delivery's attempt id, with a renewed lease, and an audit row saying who asked and which post went. A second click,
another instance or a stale Retry loses the claim and is told. A network that refuses stops only its own delivery
(`delete_failed`, with its reason); the others go on. A holder that stops mid-way leaves its claims to run out (or,
on this host, its process to be gone); `resume` takes them over with a new attempt id and finishes: parts recorded
as gone are never sent again, and a part whose answer was lost is sent again harmlessly, since a post already gone
counts as deleted (`Account.delete`). The draft's status is its deliveries' aggregate (`deliveries.settle_draft`).

The last part goes first: a reader who opens the thread meanwhile sees it shorter, never replies hanging under
a deleted first post.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from bot.approval.outcomes import Kind, Outcome
from bot.approval.policy import Policy
from bot.approval.post_text import clean
from bot.approval.refs import Actor
from bot.delivery.claimer import Claimer
from bot.networks.base import Account, title_of
from bot.networks.registry import by_network
from bot.networks.x.client import LONGEST_X_CALL
from bot.runtime import failpoints
from storage import deletions, deliveries
from storage.models import Delivery, Draft, Status
from storage.store import Store
from storage.types import utcnow

log = logging.getLogger(__name__)
LEASE = LONGEST_X_CALL * 2  # renewed after every part, so it only has to outlive one X call
MAX_REASON = 1000
STOPPED = "the bot stopped while deleting"


def remaining(delivered: Sequence[Delivery]) -> list[int]:
    """1-based numbers of the parts still up (or not known to be gone) on the first network that has any."""
    for delivery in delivered:
        gone = set(delivery.deleted_ids or [])
        left = [n for n, post_id in enumerate(delivery.post_ids or [], start=1) if post_id not in gone]
        if left:
            return left
    return []


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
        claimed draft and the claim's `attempt_id`, which is what `run` needs."""
        said = clean(reason).strip()[:MAX_REASON] if reason else ""
        refusal = self.policy.refusal(actor)
        with self.store.transaction() as tx:
            draft = tx.get(draft_id)
            delivered = tuple(deliveries.of_draft(tx.session, draft_id, draft.version)) if draft else ()
            if draft is None or refusal is not None:
                kind = refusal or Kind.NOT_FOUND
                self._refused(tx, draft_id if draft else None, actor, kind, via)
                return Outcome(kind, draft=draft, delivered=delivered)
            if not any(d.post_ids for d in delivered):
                self._refused(tx, draft_id, actor, Kind.NOT_DELETABLE, via)
                return Outcome(Kind.NOT_DELETABLE, draft=draft, delivered=delivered)
            attempt_id = uuid.uuid4().hex
            values: dict[str, object] = {"deleted_by": actor.user_id}
            if said:
                values["delete_reason"] = said
            lease_until = self.clock() + self.lease
            claimed = deletions.claim(
                tx.session, draft_id, draft.version, attempt_id, str(self.claimer), lease_until, **values
            )
            if not claimed:
                # Read again: on PostgreSQL the claim that won committed after this transaction first read the row.
                current = tx.get(draft_id) or draft
                kind = {Status.DELETING: Kind.ALREADY_DELETING, Status.DELETED: Kind.ALREADY_DELETED}.get(
                    Status(current.status), Kind.NOT_DELETABLE
                )
                self._refused(tx, draft_id, actor, kind, via)
                return Outcome(kind, draft=current, delivered=tuple(deliveries.of_draft(tx.session, draft_id)))
            deliveries.settle_draft(tx.session, draft_id, draft.version)  # deleting: its deliveries' aggregate
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
            return Outcome(Kind.DELETING, draft=tx.get(draft_id), attempt_id=attempt_id)

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
                delivered = tuple(deliveries.of_draft(tx.session, draft_id)) if draft else ()
                return Outcome(kind, draft=draft, delivered=delivered)
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
        """Delete the parts not yet known gone, network by network, last part first, under the claim `attempt_id`
        (each delivery's own). Returns the draft as it ended (deleted, delete_failed, or still deleting if a claim
        was lost to another holder)."""
        with self.store.read() as tx:
            draft = tx.get(draft_id)
            delivered = deliveries.of_draft(tx.session, draft_id, draft.version) if draft else []
        mine = [d for d in delivered if attempt_id and d.attempt_id == attempt_id and d.status == Status.DELETING]
        if draft is None or not mine:
            return draft
        for delivery in mine:  # each network's posts, by its own account
            if not self._take_down(draft, delivery, attempt_id or "", several=len(delivered) > 1):
                log.warning(
                    "draft %s: deletion claim on %s lost; leaving it to the new holder", draft_id, delivery.network
                )
                return self.store.get(draft_id)
        self.on_change(draft_id)
        return self.store.get(draft_id)

    def _take_down(self, draft: Draft, delivery: Delivery, attempt_id: str, *, several: bool) -> bool:
        """One network's parts, last first, then its outcome; False when its claim was lost to another holder."""
        draft_id, delivery_id = draft.id or 0, delivery.id or 0
        account = self.accounts.get(delivery.network)
        where = f"{delivery.network} " if several else ""
        if account is None:
            return self._stop(
                draft, delivery, attempt_id, f"this instance has no {title_of(delivery.network)} account", where
            )
        ids, gone = list(delivery.post_ids or []), list(delivery.deleted_ids or [])
        asked_by = draft.deleted_by or self.worker_id
        for number in range(len(ids), 0, -1):
            post_id = ids[number - 1]
            if post_id in gone:
                continue
            try:
                deleted_now = account.delete(post_id)
                failpoints.hit("after-delete-call")  # the network has deleted it; nothing recorded yet
            except Exception as exc:  # this network stops here: the card says which parts remain and offers Retry
                return self._stop(draft, delivery, attempt_id, account.diagnose(exc).reason, where)
            gone.append(post_id)
            how = "deleted" if deleted_now else "already gone"
            with self.store.transaction() as tx:
                lease_until = self.clock() + self.lease
                if not deletions.attempt_write(
                    tx.session, delivery_id, attempt_id, deleted_ids=gone, lease_until=lease_until
                ):
                    return False
                deliveries.settle_draft(tx.session, draft_id, draft.version)
                tx.audit(
                    draft_id,
                    "part_deleted",
                    actor_id=asked_by,
                    version=draft.version,
                    detail=f"{where}part {number} of {len(ids)}: {post_id} ({how})",
                )
        with self.store.transaction() as tx:
            if not deletions.attempt_write(
                tx.session, delivery_id, attempt_id, to=Status.DELETED, deleted_at=self.clock()
            ):
                return False
            if deliveries.settle_draft(tx.session, draft_id, draft.version) == Status.DELETED:  # the last network
                tx.audit(
                    draft_id,
                    "deleted_from_x",
                    actor_id=asked_by,
                    frm=Status.DELETING,
                    to=Status.DELETED,
                    version=draft.version,
                    detail=draft.delete_reason,
                )
        return True

    def _stop(self, draft: Draft, delivery: Delivery, attempt_id: str, reason: str, where: str) -> bool:
        draft_id = draft.id or 0
        log.warning("draft %s: deleting from %s stopped: %s", draft_id, title_of(delivery.network), reason)
        with self.store.transaction() as tx:
            if not deletions.attempt_write(
                tx.session, delivery.id or 0, attempt_id, to=Status.DELETE_FAILED, last_error=reason
            ):
                return False
            deliveries.settle_draft(tx.session, draft_id, draft.version)
            tx.audit(
                draft_id,
                "delete_failed",
                actor_id=draft.deleted_by or self.worker_id,
                frm=Status.DELETING,
                to=Status.DELETE_FAILED,
                version=draft.version,
                detail=f"{where.replace(' ', ': ')}{reason}" if where else reason,
            )
        return True

    def left(self, draft_id: int) -> list[int]:
        """The parts still up after a deletion (`remaining`), read from the draft's deliveries."""
        with self.store.read() as tx:
            return remaining(deliveries.of_draft(tx.session, draft_id))

    def delivered(self, draft_id: int) -> list[Delivery]:
        """The draft's current version's deliveries, as they are now: what `/countersign delete` answers with,
        read in a transaction of its own before the answer goes to Slack."""
        with self.store.read() as tx:
            return deliveries.of_draft(tx.session, draft_id)

    # -- after a stop ----------------------------------------------------------------------------

    def resume(self, now: datetime | None = None) -> int:
        """Deletions whose holder stopped (lease run out, or its process on this host gone): take each network's
        over with a new attempt id (one per draft) and finish it: this deleter's brand's only, whose accounts it
        holds. Returns how many drafts were taken over."""
        now = now or self.clock()
        with self.store.read() as tx:
            found = deletions.abandoned(tx.session, now, self.claimer.prefix, brand=self.brand)
        stopped: dict[int, list[Delivery]] = {}
        for delivery in found:
            expired = delivery.lease_until is not None and delivery.lease_until < now
            if expired or self.claimer.is_gone(delivery.claimed_by):
                stopped.setdefault(delivery.draft_id, []).append(delivery)
        taken = 0
        for draft_id, held in stopped.items():
            attempt_id = uuid.uuid4().hex
            with self.store.transaction() as tx:
                draft = tx.get(draft_id)
                moved = [
                    d
                    for d in held
                    if draft is not None
                    and deletions.take_over(
                        tx.session,
                        d.id or 0,
                        attempt_id,
                        str(self.claimer),
                        now + self.lease,
                        now,
                        taking_over=d.attempt_id or "",
                        holder_gone=not (d.lease_until is not None and d.lease_until < now),
                    )
                ]
                if draft is None or not moved:
                    continue
                tx.audit(
                    draft_id,
                    "delete_resumed",
                    actor_id=self.worker_id,
                    version=draft.version,
                    detail=f"{STOPPED} (claimed by {', '.join(sorted({d.claimed_by or '?' for d in moved}))})",
                )
            taken += 1
            self.run(draft_id, attempt_id)
        return taken
