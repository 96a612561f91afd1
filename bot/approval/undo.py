"""Undo after Approve (UNDO_WINDOW): the decision that approves a draft holds it for a short window in which
any approver can put it back to pending, and nothing reaches X.

The window is a time in the database (`draft.undo_until`), not a timer: the publisher's due query skips a draft
until then (storage.store.due_for_publishing) and sleeps until the earliest end (storage.undo.next_window_end),
so restarts and other instances keep it. Undo is one compare-and-set against the publisher's claim (both need
`approved`): exactly one wins, and the loser is told plainly. Mixed into `bot.approval.workflow.Workflow`.

With a time to go out (`publish_at`), the publisher waits for both: the rule is max(decided + window, publish_at).
The scheduled card's *Unschedule* already takes a scheduled post back until its time, so the card offers *Undo*
only while the window is what holds the post (bot.slack.undo_blocks).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.approval.outcomes import Kind, Outcome
from bot.approval.post_text import clean
from bot.approval.refs import Actor, CardRef
from storage import approvals, deliveries
from storage import undo as stored_undo
from storage.models import Draft, Status
from storage.store import Tx

if TYPE_CHECKING:
    from bot.approval.policy import Policy
    from storage.store import Store

MAX_REASON_CHARS = 1000
GONE_OUT = frozenset({Status.PUBLISHING, Status.PUBLISHED, Status.UNKNOWN, Status.FAILED})


def is_undoable(draft: Draft, now: datetime) -> bool:
    """Approved and its window still open: an Undo now would win against the publisher. No network can have been
    tried yet: the window opens with the approval that makes the version's deliveries, and the publisher claims
    none while it is open (storage.deliveries.due); the move itself re-checks on the deliveries
    (storage.undo.move_back, `never_tried`), which settles a click on the edge of the window."""
    return draft.status == Status.APPROVED and draft.undo_until is not None and draft.undo_until > now


def undone_now(draft: Draft) -> bool:
    """Pending because of an Undo (not since sent again by the writer's edit, which restarts `pending_since`)."""
    return (
        draft.status == Status.PENDING
        and draft.undone_by is not None
        and draft.undone_at is not None
        and (draft.pending_since is None or draft.undone_at >= draft.pending_since)
    )


class UndoMoves:
    store: Store
    policy: Policy
    clock: Callable[[], datetime]
    undo_window: timedelta

    def undo_ends(self, decided_at: datetime) -> datetime | None:
        """When the window opened by an approval at `decided_at` ends (None: UNDO_WINDOW is off)."""
        return decided_at + self.undo_window if self.undo_window > timedelta(0) else None

    def undo(self, ref: CardRef, actor: Actor, *, replayed: bool = False) -> Outcome:
        """Any approver puts the approved draft back to pending while its window is open; the same version is
        decided again on the same cards. After the window (claimed, or out) it is too late, and said so.

        `replayed`: the click was acked by a process that stopped before this move; its inbox row kept the publisher
        off the draft (storage.undo.click_waiting), and it counts if it was received while the window was open."""
        now = self.clock()
        with self.store.transaction() as tx:
            draft = tx.get(ref.draft_id)
            refusal = self.policy.refusal(actor, draft)
            if draft is None or draft.id is None or refusal:
                return self.refused(tx, ref, actor, refusal or Kind.NOT_FOUND, draft)  # type: ignore[attr-defined]
            if not _move_back(tx, draft.id, ref.version, actor.user_id, now, replayed):
                return self._not_undone(tx, ref, actor, tx.get(draft.id) or draft, now)
            approvals.clear(tx.session, draft.id, draft.version)  # APPROVAL_RULE: every yes is asked for afresh
            left = (draft.undo_until - now).total_seconds() if draft.undo_until else 0.0
            tx.audit(
                draft.id,
                "undone",
                actor_id=actor.user_id,
                actor_team_id=actor.team_id,
                frm=Status.APPROVED,
                to=Status.PENDING,
                version=draft.version,
                detail=f"approval by {draft.decided_by} undone {left:.0f}s before the window closed",
            )
            return Outcome(Kind.UNDONE, draft=tx.get(draft.id))

    def undo_reason(self, ref: CardRef, actor: Actor, reason: str) -> Outcome:
        """The optional why, asked after the Undo took effect: its own audit row, and the draft's reason while
        it is still the undone version waiting (a later decision writes its own)."""
        text = clean(reason).strip()[:MAX_REASON_CHARS]
        with self.store.transaction() as tx:
            draft = tx.get(ref.draft_id)
            refusal = self.policy.refusal(actor, draft)
            if draft is None or draft.id is None or refusal:
                return self.refused(tx, ref, actor, refusal or Kind.NOT_FOUND, draft)  # type: ignore[attr-defined]
            if not text:
                return Outcome(Kind.IGNORED, draft=draft)
            tx.audit(draft.id, "undo_reason", actor_id=actor.user_id, actor_team_id=actor.team_id, detail=text)
            if undone_now(draft):
                stored_undo.keep_reason(tx.session, draft.id, ref.version, actor.user_id, text)
            return Outcome(Kind.UNDO_REASON, draft=tx.get(draft.id))

    def _not_undone(self, tx: Tx, ref: CardRef, actor: Actor, draft: Draft, now: datetime) -> Outcome:
        """Why the compare-and-set lost, audited: undone already (a double click), too late, or decided since."""
        if undone_now(draft) and draft.version == ref.version:
            kind = Kind.ALREADY_UNDONE
        elif draft.status in GONE_OUT or (draft.status == Status.APPROVED and draft.version == ref.version):
            kind = Kind.TOO_LATE_TO_UNDO
        elif draft.version != ref.version:
            kind = Kind.STALE_CARD
        else:
            kind = Kind.ALREADY_DECIDED
        return self.refused(tx, ref, actor, kind, draft)  # type: ignore[attr-defined]


def _move_back(tx: Tx, draft_id: int, version: int, undone_by: str, now: datetime, replayed: bool = False) -> bool:
    """approved → pending, only while the window is open and the publisher hasn't claimed it (its claim is the
    other side of this compare-and-set: both need `approved`). A replayed click: if it was received in the window."""
    if not stored_undo.move_back(tx.session, draft_id, version, undone_by, now, replayed=replayed):
        return False
    deliveries.withdraw(tx.session, draft_id, version)  # never claimed (the guard above): nothing went out
    return True
