"""Deciding under APPROVAL_RULE: each yes recorded per version, and the one that meets the rule approves.

Mixed into `bot.approval.workflow.Workflow`: its `_decide` locks the draft row (`storage.approvals.lock_draft`), calls
`_tally` inside the transaction and, when the yes doesn't meet the rule yet, leaves the draft pending (at a new
version if the yes came with the owner's edit) and audits `approved_partly`.
Under `any` (and `1`) every approve meets the rule at once: the draft moves exactly as it always did, and the
yes is recorded too (`/countersign show` lists it). What a card shows of the progress is `standing`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.approval.approval_rule import Progress, joined
from bot.approval.outcomes import Kind, Outcome
from bot.approval.refs import Actor, CardRef
from storage import approvals, cards
from storage.models import Draft, Status
from storage.store import Store, Tx

if TYPE_CHECKING:
    from bot.approval.policy import Policy


class Names(Protocol):
    def name(self, user_id: str) -> str: ...


@dataclass(frozen=True)
class Tally:
    """The yeses on the version being decided, this one included."""

    progress: Progress
    names: dict[str, str]  # approver id -> the name they sign with

    @property
    def signature(self) -> str:
        """The attribution's {approver}: everyone whose yes counted, in the order of their yes."""
        return joined([self.names.get(a, a) for a in self.progress.counted])


@dataclass(frozen=True)
class Standing:
    """What one card shows of a pending version's progress (None under `any`: nothing changes on the card)."""

    progress: Progress
    viewer_said_yes: bool  # this DM card's approver already approved this version: no live Approve
    more_after_viewer: int  # yeses still needed after this card's approver (or anyone, on a shared card) says yes


class Approving:
    store: Store
    policy: Policy
    directory: Names
    clock: Callable[[], datetime]

    def _tally(self, tx: Tx, draft: Draft, version: int, actor: Actor, name: str) -> Tally | None:
        """The yeses on `version` with `actor`'s added, or None if they already said yes on it."""
        rows = approvals.of_version(tx.session, draft.id or 0, version)
        if any(r.approver_id == actor.user_id for r in rows):
            return None
        names = {r.approver_id: r.approver_name for r in rows} | {actor.user_id: name}
        progress = self.policy.progress(draft, [*(r.approver_id for r in rows), actor.user_id])
        return Tally(progress, names)

    def _count_yes(
        self, tx: Tx, ref: CardRef, actor: Actor, draft: Draft, version: int, name: str, text: str | None, values: dict
    ) -> Outcome | tuple[dict, str] | None:
        """Count `actor`'s yes on `version` (the owner's edit is their yes on the new one). Met: the post is composed
        with every name that counted into `values` (None returned); a refusal: its Outcome; not met yet: the values
        the pending draft keeps (an edit's text and version) and the audit's detail (`1 of 2`)."""
        tally = self._tally(tx, draft, version, actor, name)
        if tally is None:
            return self.already_approved(tx, ref, actor, draft)
        if tally.progress.met:
            post = self._compose(draft, tally.signature, text)  # type: ignore[attr-defined]
            if not post.fits:
                return self.refused(tx, ref, actor, Kind.TOO_LONG, draft, post=post)  # type: ignore[attr-defined]
            values.update(approver_name=tally.signature[:255], final_parts=post.texts)
            return None
        if values.get("publish_at") != draft.publish_at:  # a time is decided with the yes that meets the rule
            return self.refused(tx, ref, actor, Kind.TIME_WITH_LAST_YES, draft)  # type: ignore[attr-defined]
        kept = {k: v for k, v in values.items() if k in ("text", "version")}
        if kept:
            kept["pending_since"] = self.clock()  # the others are asked about a new text: reminders start again
        detail = f"{len(tally.progress.counted)} of {tally.progress.needed}" + (", with their edit" if kept else "")
        return kept, detail

    def _record_yes(self, tx: Tx, draft: Draft, version: int, actor: Actor, name: str, *, moved: bool = False) -> None:
        """`moved`: the yes met the rule and the draft's status changed with it, which puts every card behind."""
        approvals.add(
            tx.session, draft.id or 0, version, actor.user_id, name=name, team_id=actor.team_id, at=self.clock()
        )
        if not moved:
            cards.mark_behind(tx.session, draft.id or 0)  # each card's progress line changes

    def already_approved(self, tx: Tx, ref: CardRef, actor: Actor, draft: Draft) -> Outcome:
        """A second yes from the same person on the same version: nothing changes, they are told (audited)."""
        rows = approvals.of_version(tx.session, draft.id or 0, draft.version)
        progress = self.policy.progress(draft, [r.approver_id for r in rows])
        outcome = self.refused(tx, ref, actor, Kind.ALREADY_APPROVED, draft)  # type: ignore[attr-defined]
        return Outcome(outcome.kind, draft=draft, detail=" ".join([str(progress.still_needed), *progress.waiting]))

    # -- what cards show -------------------------------------------------------------------------

    def yeses(self, draft: Draft) -> list[tuple[str, str]]:
        """(approver id, name) of each yes on the draft's current version, oldest first."""
        if draft.id is None:
            return []
        with self.store.read() as tx:
            return [(r.approver_id, r.approver_name) for r in approvals.of_version(tx.session, draft.id, draft.version)]

    def signature_for(self, draft: Draft, approver_id: str | None, longest: Callable[[], str]) -> str:
        """The {approver} a card shows: the yeses so far plus `approver_id`'s (or, on a shared card, the longest
        name of someone still waiting), as it will read if the rule is met with those."""
        so_far = self.yeses(draft)
        counted = self.policy.progress(draft, [a for a, _ in so_far]).counted
        names = [n for a, n in so_far if a in counted]
        if approver_id is None:
            waiting = self.policy.progress(draft, counted).waiting
            if not waiting:
                return joined(names) or longest()
            names.append(max((self.directory.name(a) for a in waiting), key=len))
        elif approver_id not in counted:
            names.append(self.directory.name(approver_id))
        return joined(names)

    def standing(self, draft: Draft, approver_id: str | None) -> Standing | None:
        """Who approved the draft's version and who is still to decide, or None when one yes is always enough.
        Once approved, the card names everyone who signed from it."""
        if self.policy.rule.single or draft.status in (Status.REJECTED, Status.WITHDRAWN, Status.CHANGES_REQUESTED):
            return None
        progress = self.policy.progress(draft, [a for a, _ in self.yeses(draft)])
        said = approver_id is not None and approver_id in progress.counted
        more = progress.still_needed - (0 if said else 1)
        return Standing(progress, said, max(0, more))
