"""After publishing left a draft failed or unknown, an approver settles it: Retry, Publish again, Mark as
published, or Cancel — each a compare-and-set from that one state, audited as theirs.

A mixin of `bot.approval.workflow.Workflow`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.approval.outcomes import Kind, Outcome
from bot.approval.refs import Actor, CardRef
from storage.models import Status

if TYPE_CHECKING:
    from bot.approval.policy import Policy
    from storage.store import Store

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

    def mark_published(self, ref: CardRef, actor: Actor, post_url: str | None = None) -> Outcome:
        """The approver found the post on X: record it as published without sending anything (`post_url`: the
        link of its first part, when that id is known; bot.approval.marking decides what a thread needs first)."""
        return self._recover(
            ref,
            actor,
            Status.UNKNOWN,
            Status.PUBLISHED,
            "marked_published",
            Kind.MARKED,
            published_at=self.clock(),
            last_error=None,
            post_url=post_url,
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
        """An approver settles a draft that publishing left failed or unknown: policy, CAS, audit."""
        with self.store.transaction() as tx:
            draft = tx.get(ref.draft_id)
            refusal = self.policy.refusal(actor, draft)
            if draft is None or draft.id is None or refusal:
                return self.refused(tx, ref, actor, refusal or Kind.NOT_FOUND, draft)
            if not tx.move(draft.id, frm={frm}, to=to, at_version=ref.version, **values):
                return self.refused(tx, ref, actor, Kind.ALREADY_DECIDED, draft)
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
