"""Mark as published, when X didn't confirm a post or one part of a thread: record what is up, let the rest follow.

The rest of a thread must reply to the uncertain part, whose id the bot doesn't have (it looked for the part on
the account and didn't find it). So for a thread with parts after the uncertain one, "Mark as published" asks the
approver for that part's link (a small form); its id is recorded and the publisher posts the rest as replies to
it. When the uncertain part is the last one (or the post is a single one), marking publishes the draft as it is,
linked from its first part when that id is known.
"""

from __future__ import annotations

import re

from bot.approval.outcomes import Kind, Outcome
from bot.approval.refs import Actor, CardRef
from bot.approval.workflow import Workflow
from bot.networks.base import Account
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
    def __init__(self, store: Store, workflow: Workflow, account: Account) -> None:
        self.store = store
        self.workflow = workflow
        self.account = account

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
        """The post (or the thread's last part) is there: published, linked from the first part if its id is
        known. The link needs the account's username, asked of X before any transaction."""
        draft = self.store.get(ref.draft_id)
        ids = (draft.post_ids or []) if draft is not None else []
        url = self.account.link(ids[0]) if ids else None
        return self.workflow.mark_published(ref, actor, post_url=url)

    def mark_part_published(self, ref: CardRef, actor: Actor, post_id: str) -> Outcome:
        """The uncertain part is up as `post_id`: record it and send the thread back to the publisher for the rest."""
        with self.store.transaction() as tx:
            draft = tx.get(ref.draft_id)
            refusal = self.workflow.policy.refusal(actor, draft) if draft is not None else Kind.NOT_FOUND
            if draft is None or draft.id is None or refusal is not None:
                return self.workflow.refused(tx, ref, actor, refusal or Kind.NOT_FOUND, draft)
            ids = list(draft.post_ids or [])
            moved = post_id not in ids and tx.move(
                draft.id,
                frm={Status.UNKNOWN},
                to=Status.APPROVED,
                at_version=ref.version,
                post_ids=[*ids, post_id],
                next_attempt_at=None,
                last_error=None,
            )
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
