"""Mark as published, when X didn't confirm a post or one part of a thread: record what is up, let the rest follow.

The rest of a thread must reply to the uncertain part, whose id the bot doesn't have (it looked for the part on
the account and didn't find it). So for a thread with parts after the uncertain one, "Mark as published" asks the
approver for that part's link (a small form); its id is recorded and the publisher posts the rest as replies to
it. When the uncertain part is the last one (or the post is a single one), marking publishes the draft as it is,
linked from its first part when that id is known.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.approval.outcomes import Kind, Outcome
from bot.approval.refs import Actor, CardRef
from bot.approval.workflow import Workflow
from bot.networks.base import Account
from bot.networks.registry import by_network
from storage import deliveries
from storage.models import Status
from storage.store import Store

_STATUS_LINK = re.compile(
    r"(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/(?:[A-Za-z0-9_]{1,15}|i/web)/status(?:es)?/(\d{1,20})"
    r"(?:[/?#]\S*)?"
)


def post_id_from(link: str) -> str | None:
    """The post id in an x.com / twitter.com status link, or a bare id; None for anything else."""
    text = link.strip().strip("<>")
    if text.isdigit() and 0 < len(text) <= 20:
        return text
    match = _STATUS_LINK.fullmatch(text)
    return match.group(1) if match else None


class Marking:
    def __init__(self, store: Store, workflow: Workflow, accounts: Account | Mapping[str, Account]) -> None:
        self.store = store
        self.workflow = workflow
        self.accounts: Mapping[str, Account] = by_network(accounts)

    def part_to_link(self, ref: CardRef, actor: Actor) -> tuple[int, int] | None:
        """(part, parts) when marking `ref` published needs the uncertain part's link first, for an approver who
        may settle it; None otherwise (marking then goes ahead, or is refused, as for a single post)."""
        draft = self.store.get(ref.draft_id)
        if draft is None or draft.status != Status.UNKNOWN or draft.version != ref.version:
            return None
        if self.workflow.policy.refusal(actor, draft) is not None:
            return None
        parts, up = len(draft.final_parts or []), len(draft.post_ids or [])
        return (up + 1, parts) if up + 1 < parts else None

    def mark_published(self, ref: CardRef, actor: Actor) -> Outcome:
        """The post (or the thread's last part) is there, on each network it was uncertain on: published, linked
        from the first part if its id is known. A link may need a call (X: the username), made before any
        transaction."""
        with self.store.read() as tx:
            found = deliveries.of_draft(tx.session, ref.draft_id, ref.version)
        links: dict[str, str | None] = {}
        for delivery in found:
            account = self.accounts.get(delivery.network)
            ids = delivery.post_ids or []
            links[delivery.network] = account.link(ids[0]) if account is not None and ids else None
        return self.workflow.mark_published(ref, actor, links=links)

    def mark_part_published(self, ref: CardRef, actor: Actor, post_id: str) -> Outcome:
        """The uncertain part is up as `post_id`: record it and send the thread back to the publisher for the rest."""
        with self.store.transaction() as tx:
            draft = tx.get(ref.draft_id)
            refusal = self.workflow.policy.refusal(actor, draft) if draft is not None else Kind.NOT_FOUND
            if draft is None or draft.id is None or refusal is not None:
                return self.workflow.refused(tx, ref, actor, refusal or Kind.NOT_FOUND, draft)
            # The link is an X status link (post_id_from): it settles the X delivery's uncertain part.
            delivery = next(
                (d for d in deliveries.of_draft(tx.session, draft.id, ref.version) if d.network == "x"), None
            )
            ids = list(delivery.post_ids or []) if delivery is not None else []
            moved = (
                delivery is not None
                and post_id not in ids
                and tx.move(draft.id, frm={Status.UNKNOWN}, to=Status.UNKNOWN, at_version=ref.version)
                and deliveries.move(
                    tx.session,
                    delivery.id or 0,
                    frm={Status.UNKNOWN},
                    to=Status.APPROVED,
                    post_ids=[*ids, post_id],
                    next_attempt_at=None,
                    last_error=None,
                )
            )
            if moved:
                deliveries.settle_draft(tx.session, draft.id, ref.version)
            if not moved:
                tx.audit(
                    draft.id,
                    f"refused_{Kind.ALREADY_DECIDED.value}",
                    actor_id=actor.user_id,
                    actor_team_id=actor.team_id,
                    version=ref.version,
                    detail=str(ref),
                )
                return Outcome(Kind.ALREADY_DECIDED, draft=draft)
            tx.audit(
                draft.id,
                "marked_part_published",
                actor_id=actor.user_id,
                actor_team_id=actor.team_id,
                frm=Status.UNKNOWN,
                to=Status.APPROVED,
                version=draft.version,
                detail=f"part {len(ids) + 1} of {len(draft.final_parts or [])} is post {post_id}",
            )
            return Outcome(Kind.RETRYING, draft=tx.get(draft.id))
