"""After publishing left a draft failed or unknown, an approver settles it: Retry, Publish again, Mark as
published, or Cancel — each a compare-and-set from that one state, audited as theirs. On a version that went to
several networks each network has its own buttons (`CardRef.network`): the move is then that delivery's alone.

A mixin of `bot.approval.workflow.Workflow`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from bot.approval.outcomes import Kind, Outcome
from bot.approval.refs import Actor, CardRef
from bot.networks.base import title_of
from storage import deliveries
from storage.models import Draft, Status

if TYPE_CHECKING:
    from bot.approval.policy import Policy
    from storage.store import Store, Tx

DRAFT_FIELDS = frozenset({"publish_at"})  # the decision's; every other value is the deliveries'
# What the draft's status (its deliveries' aggregate) may be while one of them is failed or unknown: another
# network can be on its way, unknown, failed or waiting (X unknown makes the draft unknown while Mastodon failed).
SETTLING = frozenset({Status.APPROVED, Status.PUBLISHING, Status.UNKNOWN, Status.FAILED})


def cancel_reason(network: str = "X") -> str:
    return f"{network} didn't confirm the post, and the approver chose neither Mark as published nor Publish again"


CANCEL_REASON = cancel_reason()


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
        network = title_of(ref.network) if ref.network is not None else "X"
        return self._recover(
            ref,
            actor,
            Status.UNKNOWN,
            Status.FAILED,
            "cancelled",
            Kind.CANCELLED,
            detail=cancel_reason(network),
            last_error=f"cancelled by <@{actor.user_id}> after {network} didn't confirm the post",
        )

    def hold_settling(self, tx: Tx, draft: Draft, ref: CardRef, frm: Status, **values: object) -> bool:
        """The draft's compare-and-set of a settling move (`values`: the decision's own, e.g. `publish_at`). For
        every network: still `frm` at the card's version, as it always was. For one network: at the card's version
        and in a state one failed or unknown delivery allows (`SETTLING`), whatever the others made it (the
        aggregate needn't be `frm`): the delivery's own compare-and-set from `frm` is what refuses a second click."""
        if ref.network is None:
            return tx.move(draft.id or 0, frm={frm}, to=frm, at_version=ref.version, **values)
        return deliveries.hold_draft(tx.session, draft.id or 0, ref.version, among=SETTLING, **values)

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
        """An approver settles what publishing left failed or unknown: policy, a compare-and-set on the draft
        (`hold_settling`), then on each of its deliveries in `frm` (only those: a network that went out is not sent
        again; with `ref.network`, that network's alone), the draft's status their aggregate, audited (the network
        first in `detail` when the move was one network's, as the publisher's rows of several networks read)."""
        links = values.pop("links", None)
        own = {k: v for k, v in values.items() if k in DRAFT_FIELDS}
        theirs = {k: v for k, v in values.items() if k not in DRAFT_FIELDS}
        with self.store.transaction() as tx:
            draft = tx.get(ref.draft_id)
            refusal = self.policy.refusal(actor, draft)
            if draft is None or draft.id is None or refusal:
                return self.refused(tx, ref, actor, refusal or Kind.NOT_FOUND, draft)
            network = ref.network.value if ref.network is not None else ""  # the refusal says which was settled
            if not self.hold_settling(tx, draft, ref, frm, **own):
                return self.refused(tx, ref, actor, Kind.ALREADY_DECIDED, draft, detail=network)
            moved = 0
            for index, delivery in enumerate(deliveries.of_draft(tx.session, draft.id, ref.version)):
                if ref.network is not None and delivery.network != ref.network:
                    continue
                extra = {}
                if isinstance(links, dict):  # `""`: the link given for the first network alone
                    extra["post_url"] = links.get(delivery.network, links.get("") if index == 0 else None)
                if delivery.status == frm:
                    moved += deliveries.move(tx.session, delivery.id or 0, frm={frm}, to=to, **theirs, **extra)
            if not moved:
                return self.refused(tx, ref, actor, Kind.ALREADY_DECIDED, draft, detail=network)
            deliveries.settle_draft(tx.session, draft.id, ref.version)
            tx.audit(
                draft.id,
                action,
                actor_id=actor.user_id,
                actor_team_id=actor.team_id,
                frm=frm,
                to=to,
                version=draft.version,
                detail=about_network(ref, detail),
            )
            return Outcome(kind, draft=tx.get(draft.id))


def about_network(ref: CardRef, detail: str | None) -> str | None:
    """An audit row's detail for a move of `ref`: as it always read; for one network's move, that network first."""
    if ref.network is None:
        return detail
    return f"{ref.network.value}: {detail}" if detail else ref.network.value
