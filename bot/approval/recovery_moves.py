"""After publishing left a draft failed or unknown, an approver settles it: Retry, Publish again, Mark as
published, or Cancel — each a compare-and-set from that one state, audited as theirs.

A mixin of `bot.approval.workflow.Workflow`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from bot.approval.outcomes import Kind, Outcome
from bot.approval.refs import Actor, CardRef
from storage import deliveries
from storage.models import Status

if TYPE_CHECKING:
    from bot.approval.policy import Policy
    from storage.store import Store

DRAFT_FIELDS = frozenset({"publish_at"})  # the decision's; every other value is the deliveries'
CANCEL_REASON = "X didn't confirm the post, and the approver chose neither Mark as published nor Publish again"


class RecoveryMoves:
    store: Store
    policy: Policy
    clock: Callable[[], datetime]

    def retry(self, ref: CardRef, actor: Actor) -> Outcome:
        """Send a failed draft back to the publishing queue (after the keys or credits are fixed)."""
        return self._recover(
            ref,
            actor,
            Status.FAILED,
            Status.APPROVED,
            "retry",
            Kind.RETRYING,
            next_attempt_at=None,
            attempts=0,
            last_error=None,
            publish_at=None,  # a person said "now": not held back as late
        )

    def publish_again(self, ref: CardRef, actor: Actor) -> Outcome:
        """The approver checked X and the post is not there: send it (the rest of a thread resumes)."""
        return self._recover(
            ref,
            actor,
            Status.UNKNOWN,
            Status.APPROVED,
            "publish_again",
            Kind.RETRYING,
            next_attempt_at=None,
            last_error=None,
        )

    def mark_published(
        self, ref: CardRef, actor: Actor, post_url: str | None = None, *, links: Mapping[str, str | None] | None = None
    ) -> Outcome:
        """The approver found the post: record it as published without sending anything. `links`: each network's
        link of its first part, when that id is known (`post_url`: the first network's, for one network);
        bot.approval.marking decides what a thread needs first."""
        return self._recover(
            ref,
            actor,
            Status.UNKNOWN,
            Status.PUBLISHED,
            "marked_published",
            Kind.MARKED,
            published_at=self.clock(),
            last_error=None,
            links=dict(links) if links else {"": post_url},
        )

    def cancel_unknown(self, ref: CardRef, actor: Actor) -> Outcome:
        """Neither: stop here. The card keeps a Retry button in case of second thoughts."""
        return self._recover(
            ref,
            actor,
            Status.UNKNOWN,
            Status.FAILED,
            "cancelled",
            Kind.CANCELLED,
            detail=CANCEL_REASON,
            last_error=f"cancelled by <@{actor.user_id}> after X didn't confirm the post",
        )

    def _recover(
        self,
        ref: CardRef,
        actor: Actor,
        frm: Status,
        to: Status,
        action: str,
        kind: Kind,
        detail: str | None = None,
        **values: object,
    ) -> Outcome:
        """An approver settles what publishing left failed or unknown: policy, a compare-and-set on the draft (still
        `frm` at the card's version), then on each of its deliveries in `frm` (only those: a network that went out
        is not sent again), the draft's status their aggregate, audited."""
        links = values.pop("links", None)
        own = {k: v for k, v in values.items() if k in DRAFT_FIELDS}
        theirs = {k: v for k, v in values.items() if k not in DRAFT_FIELDS}
        with self.store.transaction() as tx:
            draft = tx.get(ref.draft_id)
            refusal = self.policy.refusal(actor, draft)
            if draft is None or draft.id is None or refusal:
                return self.refused(tx, ref, actor, refusal or Kind.NOT_FOUND, draft)
            if not tx.move(draft.id, frm={frm}, to=frm, at_version=ref.version, **own):
                return self.refused(tx, ref, actor, Kind.ALREADY_DECIDED, draft)
            moved = 0
            for index, delivery in enumerate(deliveries.of_draft(tx.session, draft.id, ref.version)):
                extra = {}
                if isinstance(links, dict):  # `""`: the link given for the first network alone
                    extra["post_url"] = links.get(delivery.network, links.get("") if index == 0 else None)
                if delivery.status == frm:
                    moved += deliveries.move(tx.session, delivery.id or 0, frm={frm}, to=to, **theirs, **extra)
            if not moved:
                return self.refused(tx, ref, actor, Kind.ALREADY_DECIDED, draft)
            deliveries.settle_draft(tx.session, draft.id, ref.version)
            tx.audit(
                draft.id,
                action,
                actor_id=actor.user_id,
                actor_team_id=actor.team_id,
                frm=frm,
                to=to,
                version=draft.version,
                detail=detail,
            )
            return Outcome(kind, draft=tx.get(draft.id))
