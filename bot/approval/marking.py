"""Mark as published, when X didn't confirm a post or one part of a thread: record what is up, let the rest follow.

The rest of a thread must reply to the uncertain part, whose id the bot doesn't have (it looked for the part on
the account and didn't find it). So for a thread with parts after the uncertain one, "Mark as published" asks the
approver for that part's link (a small form); its id is recorded and the publisher posts the rest as replies to
it. When the uncertain part is the last one (or the post is a single one), marking publishes the draft as it is,
linked from its first part when that id is known.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from bot.approval.outcomes import Kind, Outcome
from bot.approval.recovery_moves import about_network
from bot.approval.refs import Actor, CardRef
from bot.approval.workflow import Workflow
from bot.networks.base import Account
from bot.networks.registry import by_network
from storage import deliveries
from storage.models import Delivery, Status
from storage.store import Store

T = TypeVar("T")


@dataclass(frozen=True)
class PartToLink:
    """Marking needs the uncertain part's link first: part `part` of `parts`, on `network`."""

    part: int
    parts: int
    network: str


# The form is answered inside Slack's 3 s (the part-link form's errors are its answer): a network asked about the
# link (Bluesky reads the record for its cid, after a sign-in if the session lapsed) gets this long.
LINK_DEADLINE_S = 2.0


def within(seconds: float, call: Callable[[str], T], arg: str) -> T:
    """`call(arg)`, or TimeoutError once `seconds` have passed (the call goes on in its daemon thread, to no one:
    it only reads, and its own timeout ends it)."""
    done = threading.Event()
    box: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            box.append(call(arg))
        except BaseException as exc:  # handed to the caller, who reads the account's errors
            failed.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name="part-link-read", daemon=True).start()
    if not done.wait(seconds):
        raise TimeoutError
    if failed:
        raise failed[0]
    return box[0]


@dataclass(frozen=True)
class PartLink:
    """What a pasted link came to, on the network of the uncertain part: the post's id, or None with why not
    (`unreadable`: the network couldn't be asked now, in its account's words; else the link isn't to one of the
    account's posts)."""

    network: str
    post_id: str | None
    unreadable: str = ""


def uncertain(found: list[Delivery], ref: CardRef) -> Delivery | None:
    """The delivery a Mark as published of `ref` settles a part of: the button's network's; without one (a card of
    one network, or one drawn before cards named networks), the first whose post is unknown."""
    if ref.network is not None:
        return next((d for d in found if d.network == ref.network), None)
    return next((d for d in found if d.status == Status.UNKNOWN), None)


class Marking:
    def __init__(self, store: Store, workflow: Workflow, accounts: Account | Mapping[str, Account]) -> None:
        self.store = store
        self.workflow = workflow
        self.accounts: Mapping[str, Account] = by_network(accounts)

    def part_to_link(self, ref: CardRef, actor: Actor) -> PartToLink | None:
        """What marking `ref` published needs first when the uncertain part isn't the thread's last, for an approver
        who may settle it; None otherwise (marking then goes ahead, or is refused, as for a single post)."""
        with self.store.read() as tx:
            draft = tx.get(ref.draft_id)
            delivery = uncertain(deliveries.of_draft(tx.session, ref.draft_id, ref.version), ref)
        if draft is None or draft.version != ref.version or delivery is None or delivery.status != Status.UNKNOWN:
            return None
        if self.workflow.policy.refusal(actor, draft) is not None:
            return None
        parts, up = len(delivery.final_parts or []), len(delivery.post_ids or [])
        return PartToLink(up + 1, parts, delivery.network) if up + 1 < parts else None

    def read_link(self, ref: CardRef, link: str) -> PartLink:
        """The post id in the link an approver pasted for the uncertain part, read by that network's account (which
        may ask the network: here, before any transaction)."""
        with self.store.read() as tx:
            delivery = uncertain(deliveries.of_draft(tx.session, ref.draft_id, ref.version), ref)
        network = delivery.network if delivery is not None else str(ref.network or "x")
        account = self.accounts.get(network)
        if account is None:
            return PartLink(network, None)
        try:
            return PartLink(network, within(LINK_DEADLINE_S, account.post_id_from_link, link))
        except TimeoutError:  # still asking: Slack would close the form unanswered and show the owner an error
            return PartLink(network, None, f"it didn't answer within {LINK_DEADLINE_S:g} s")
        except Exception as exc:  # the account's own errors, which only it can read: in its words
            return PartLink(network, None, account.diagnose(exc).reason)

    def mark_published(self, ref: CardRef, actor: Actor) -> Outcome:
        """The post (or the thread's last part) is there, on each network it was uncertain on: published, linked
        from the first part if its id is known. A link may need a call (X: the username), made before any
        transaction."""
        with self.store.read() as tx:
            found = deliveries.of_draft(tx.session, ref.draft_id, ref.version)
        links: dict[str, str | None] = {}
        for delivery in found:
            if ref.network is not None and delivery.network != ref.network:
                continue  # one network's button: the others' links are not asked for
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
            # The link was read by this delivery's network (`read_link`): it settles that delivery's uncertain part.
            delivery = uncertain(deliveries.of_draft(tx.session, draft.id, ref.version), ref)
            ids = list(delivery.post_ids or []) if delivery is not None else []
            moved = (
                delivery is not None
                and post_id not in ids
                and self.workflow.hold_settling(tx, draft, ref, Status.UNKNOWN)
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
                network = ref.network.value if ref.network else ""
                return Outcome(
                    Kind.ALREADY_DECIDED, draft=draft, detail=network, delivered=self.workflow.delivered(tx, draft)
                )
            assert delivery is not None  # it moved
            parts = len(delivery.final_parts or [])
            tx.audit(
                draft.id,
                "marked_part_published",
                actor_id=actor.user_id,
                actor_team_id=actor.team_id,
                frm=Status.UNKNOWN,
                to=Status.APPROVED,
                version=draft.version,
                detail=about_network(ref, f"part {len(ids) + 1} of {parts} is post {post_id}"),
            )
            return Outcome(Kind.RETRYING, draft=tx.get(draft.id))
