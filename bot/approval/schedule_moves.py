"""The owner's moves on a draft's time: approve for a picked time, post a scheduled draft now, unschedule it.

Mixed into `bot.approval.workflow.Workflow` (same store, policy, clock). The owner decides a text *and* a time: a picked
time on a pending draft approves it for that time; on a scheduled one (approved, not tried yet) it moves it.
*Post now* makes a scheduled (or late) draft due at once; *Unschedule* (and *Cancel* on a late one) sends it
back to pending without a time, so it is decided again. Each is one compare-and-set with one audit row.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.approval.escalation_rule import due_at
from bot.approval.outcomes import Kind, Outcome
from bot.approval.refs import Actor, CardRef
from bot.intake.schedule_line import BadTime, Proposal, describe, propose
from storage import approvals, deliveries, tries
from storage import schedule as stored_schedule
from storage.models import OPEN_FOR_DECISION, Draft, Status
from storage.store import Tx

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from bot.approval.policy import Policy
    from storage.store import Store

DEFAULT_GRACE = timedelta(minutes=5)


class ScheduleMoves:
    store: Store
    policy: Policy
    clock: Callable[[], datetime]
    zone: ZoneInfo
    grace: timedelta
    escalate_after: timedelta | None

    def _proposal(self, text: str) -> tuple[Proposal, str | None]:
        """The message's post text and proposed time, and why the `at:` line can't be used (None if it can)."""
        try:
            return propose(text, self.clock(), self.zone), None
        except BadTime as bad:
            return Proposal(text.split("\n", 1)[1] if "\n" in text else ""), str(bad)

    def _said(self, when: datetime | None) -> str:
        """`Fri 4 Dec, 09:00 Europe/Paris (in 2 days)`, for the writer's reply; "" without a time."""
        return describe(when, self.clock(), self.zone) if when is not None else ""

    def approve_now(self, ref: CardRef, actor: Actor) -> Outcome:
        """Approve and publish at once, whatever time the writer proposed."""
        return self._decide(ref, actor, Kind.APPROVED, Status.APPROVED, publish_at=None)  # type: ignore[attr-defined]

    def schedule(self, ref: CardRef, actor: Actor, when: datetime) -> Outcome:
        """The owner picked `when`: a pending draft is approved for it; a scheduled one moves to it."""
        now = self.clock()
        if when <= now:
            detail = f"{describe(when, now, self.zone)} has passed: pick a time ahead."
            with self.store.transaction() as tx:
                return self.refused(tx, ref, actor, Kind.BAD_TIME, tx.get(ref.draft_id), detail=detail)
        draft = self.store.get(ref.draft_id)
        if draft is not None and draft.status in OPEN_FOR_DECISION:
            return self._decide(ref, actor, Kind.APPROVED, Status.APPROVED, publish_at=when)  # type: ignore[attr-defined]
        return self._move_scheduled(
            ref, actor, Status.APPROVED, "rescheduled", Kind.RESCHEDULED, publish_at=when, time_noticed_at=None
        )

    def movable(self, draft: Draft) -> bool:
        """Whether a scheduled draft's time can still be moved (never tried on any network), asked before the form
        opens: its deliveries are read in a transaction of their own, closed before Slack is called."""
        with self.store.read() as tx:
            found = deliveries.of_draft(tx.session, draft.id or 0, draft.version)
        return stored_schedule.is_movable(draft, found)

    def post_now(self, ref: CardRef, actor: Actor) -> Outcome:
        return self._move_scheduled(
            ref, actor, Status.APPROVED, "post_now", Kind.POSTING_NOW, publish_at=None, time_noticed_at=None
        )

    def unschedule(self, ref: CardRef, actor: Actor) -> Outcome:
        return self._move_scheduled(
            ref,
            actor,
            Status.PENDING,
            "unscheduled",
            Kind.UNSCHEDULED,
            publish_at=None,
            publish_said=None,
            time_noticed_at=None,
            final_parts=None,
            approver_name=None,
            decided_by=None,
            decided_at=None,
            pending_since=self.clock(),
            waiting_since=self.clock(),  # an approver answered: the escalation clock starts again
            escalate_at=due_at(self.clock(), None, self.escalate_after),
        )

    def _move_scheduled(
        self, ref: CardRef, actor: Actor, to: Status, action: str, kind: Kind, **values: Any
    ) -> Outcome:
        """A move of an approved draft that has a time and was never tried (the publisher hasn't claimed it)."""
        with self.store.transaction() as tx:
            draft = tx.get(ref.draft_id)
            refusal = self.policy.refusal(actor, draft)
            if draft is None or draft.id is None or refusal:
                return self.refused(tx, ref, actor, refusal or Kind.NOT_FOUND, draft)
            if draft.status in OPEN_FOR_DECISION:
                return self._refusal(tx, ref, actor, draft) or self.refused(tx, ref, actor, Kind.NOT_SCHEDULED, draft)
            if not move_scheduled(tx, draft.id, ref.version, to, **values):
                return self.refused(tx, ref, actor, Kind.NOT_SCHEDULED, draft)
            if to is Status.PENDING:  # decided again: under APPROVAL_RULE everyone's yes is asked for anew
                approvals.clear(tx.session, draft.id, ref.version)
            when = values.get("publish_at")
            tx.audit(
                draft.id,
                action,
                actor_id=actor.user_id,
                actor_team_id=actor.team_id,
                frm=Status.APPROVED,
                to=to,
                version=draft.version,
                detail=when.isoformat() if isinstance(when, datetime) else None,
            )
            return Outcome(kind, draft=tx.get(draft.id))


def move_scheduled(tx: Tx, draft_id: int, at_version: int, to: Status, /, **values: Any) -> bool:
    """Compare-and-set on an approved, never-tried draft with a time; the publisher's claim is the other side."""
    if not stored_schedule.move_scheduled(tx.session, draft_id, at_version, to, **values):
        return False
    if to is Status.PENDING:  # to be decided again: the version's deliveries, never claimed, are dropped
        deliveries.withdraw(tx.session, draft_id, at_version)
    return True


def is_scheduled(tx: Tx, draft: Draft, now: datetime) -> bool:
    """Approved for a time still ahead and not tried on any network: the writer may still edit it (back to
    pending)."""
    return (
        draft.status == Status.APPROVED
        and draft.publish_at is not None
        and draft.publish_at > now
        and not tries.tried(tx.session, draft.id or 0, draft.version)
    )
