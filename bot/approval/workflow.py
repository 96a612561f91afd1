"""The approval state machine. Every transition: one compare-and-set, one audit row, one outcome.

Its moves live in mixins named for whose they are; this module holds the composition of the post and the
owner's decisions (`_decide`), which every side's refusals share.

No Slack and no X in here: callers give it plain values and render what it returns. Names of people
come from an injected directory so the texts that will be posted can be composed here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from bot.approval.approval_rule import longest_signature
from bot.approval.approving import Approving
from bot.approval.outcomes import Kind, Outcome
from bot.approval.policy import Directory, Policy, Voice
from bot.approval.post_text import PostText, attribution, clean, compose
from bot.approval.recovery_moves import RecoveryMoves
from bot.approval.refs import Actor, CardRef
from bot.approval.schedule_moves import DEFAULT_GRACE, ScheduleMoves
from bot.approval.undo import UndoMoves
from bot.approval.writer_moves import WriterMoves
from bot.intake import edit_media
from bot.intake.media_rules import Limits
from bot.networks.base import MediaLimits, Network, TextRules
from bot.networks.x.rules import MEDIA as X_MEDIA
from storage import approvals, deliveries, notices
from storage.models import OPEN_FOR_DECISION, Delivery, Draft, Status
from storage.store import Store, Tx
from storage.types import utcnow

TOLD_AT_ONCE = (Status.REJECTED, Status.CHANGES_REQUESTED)  # `_decide`'s moves the writer hears of in their thread

KEEP = object()  # `_decide`: keep the draft's proposed time


class Workflow(WriterMoves, RecoveryMoves, ScheduleMoves, UndoMoves, Approving):
    """The state machine: the writer's moves (`writer_moves`), the owner's decisions (here and `approving`), times
    (`schedule_moves`), Undo (`undo`) and settling what publishing left (`recovery_moves`), all in bot.approval."""

    def __init__(
        self,
        store: Store,
        policy: Policy,
        voice: Voice,
        directory: Directory,
        *,
        brand: str = "default",
        clock: Callable[[], datetime] = utcnow,
        zone: ZoneInfo | None = None,
        grace: timedelta = DEFAULT_GRACE,
        undo_window: timedelta = timedelta(0),
        escalate_after: timedelta | None = None,
        networks: Callable[[str], Sequence[str]] = lambda brand: ("x",),
        rules: Callable[[str], Mapping[Network, TextRules]] | None = None,
        media_limits: Callable[[str], Mapping[Network, MediaLimits]] | None = None,
        card_slots: Sequence[str] = (),
    ) -> None:
        # Who gets a card of a new draft (approver ids; "" for the approvals channel's one card): each slot is
        # claimed in the intake's transaction, so the cards go out with no transaction of their own before the call.
        self.card_slots = tuple(card_slots)
        # The networks a brand's approved version goes to: one delivery each, made with the approval (registry).
        self.networks = networks
        # How each of those networks counts text (each account's `rules()`): a post must fit all. None: X's alone.
        self.rules = rules
        # What each of them takes as images (each account's `media_limits()`): a draft's images must suit all.
        self.media_limits = media_limits
        self.undo_window = undo_window  # UNDO_WINDOW: an approval waits this long for an Undo (bot.approval.undo)
        self.escalate_after = escalate_after  # ESCALATE_AFTER: sets each draft's `escalate_at`
        self.zone = zone or ZoneInfo("UTC")  # `at:` lines are read in the brand's TIMEZONE
        self.grace = grace
        self.store = store
        self.policy = policy
        self.voice = voice
        self.directory = directory
        self.brand = brand
        self.clock = clock

    # -- post text -----------------------------------------------------------------------------

    def post_text(self, draft: Draft, approver_id: str | None = None, text: str | None = None) -> PostText:
        """The exact post for `draft` if `approver_id` signs it.

        With no approver (a shared approvals-channel card, or intake's length check) the longest
        approver name is used, so a draft that fits here fits whoever approves it. When APPROVAL_RULE needs several
        yeses, the post is signed by the yeses so far plus `approver_id`'s (`approving.signature_for`), and intake
        counts with the longest names the rule could sign with.
        """
        if self.policy.rule.single:
            approver = self.directory.name(approver_id) if approver_id else self._longest_approver_name()
        elif draft.id is None:  # intake: whoever approves, however many
            approver = self._longest_approver_name(draft.writer_id)
        else:
            approver = self.signature_for(draft, approver_id, lambda: self._longest_approver_name(draft.writer_id))
        return self._compose(draft, approver, text)

    def _compose(
        self, draft: Draft, approver: str, text: str | None = None, rules: Mapping[Network, TextRules] | None = None
    ) -> PostText:
        """`post_text` with the approver's name already looked up: what runs inside a transaction, where no
        Slack call may (on SQLite a slow users.info would hold the one writer lock past Slack's 3 s ack). Inside a
        transaction pass `rules` read before it (`text_rules`): Mastodon's first read of its limit is an HTTP call."""
        return compose(
            draft.text if text is None else text,
            template=self.voice.template,
            agency=self.voice.agency,
            approver=approver,
            writer=draft.writer_name or draft.writer_id,
            rules=rules if rules is not None else self.text_rules(),
        )

    def text_rules(self) -> Mapping[Network, TextRules] | None:
        """The brand's networks' text rules now, or None (X's alone) for a Workflow given none."""
        return self.rules(self.brand) if self.rules is not None else None

    def image_limits(self) -> Limits:
        """The brand's networks' image limits now (X's for a Workflow given none). Read before any transaction:
        Mastodon's first read of its instance's limits is an HTTP call."""
        return self.media_limits(self.brand) if self.media_limits is not None else {Network.X: X_MEDIA}

    def _longest_approver_name(self, writer: str | None = None) -> str:
        """The longest {approver} a post could get: one name under `any`, the longest names joined under a rule
        that needs several (`writer`, who can't sign, left out). A backup may sign an escalated draft."""
        signers = (*self.policy.listed, *sorted(self.policy.backups))
        if self.policy.rule.single:
            return max((self.directory.name(a) for a in signers), key=len, default="")
        names = {a: self.directory.name(a) for a in signers}
        return longest_signature(self.policy.rule, names, self.policy.listed, writer or "", self.policy.backups)

    # -- the owner's side ----------------------------------------------------------------------

    def check(self, ref: CardRef, actor: Actor) -> Outcome | None:
        """Why `actor` may not decide on `ref` now (audited), or None if they may."""
        return self.decidable(ref, actor)[1]

    def decidable(self, ref: CardRef, actor: Actor) -> tuple[Draft | None, Outcome | None]:
        """The draft `actor` may decide on now, or the (audited) reason they may not: before a form opens."""
        with self.store.transaction() as tx:
            draft = tx.get(ref.draft_id)
            refused = self._refusal(tx, ref, actor, draft)
        return (None, refused) if refused is not None else (draft, None)

    def attribution_for(self, draft: Draft, approver_id: str) -> str:
        """The line that will close the post if `approver_id` approves `draft`."""
        return attribution(
            self.voice.template,
            agency=self.voice.agency,
            approver=self.directory.name(approver_id),
            writer=draft.writer_name or draft.writer_id,
        )

    def approve(self, ref: CardRef, actor: Actor) -> Outcome:
        return self._decide(ref, actor, Kind.APPROVED, Status.APPROVED)

    def request_changes(self, ref: CardRef, actor: Actor, reason: str) -> Outcome:
        return self._decide(ref, actor, Kind.CHANGES_REQUESTED, Status.CHANGES_REQUESTED, reason=reason)

    def reject(self, ref: CardRef, actor: Actor, reason: str) -> Outcome:
        return self._decide(ref, actor, Kind.REJECTED, Status.REJECTED, reason=reason)

    def edit_and_approve(self, ref: CardRef, actor: Actor, text: str) -> Outcome:
        """The owner rewrites the draft and approves their own words in one step."""
        return self._decide(ref, actor, Kind.EDITED, Status.APPROVED, new_text=text)

    def preview_edit(self, ref: CardRef, actor: Actor, text: str) -> PostText | None:
        limits = self.image_limits()
        with self.store.read() as tx:
            draft = tx.get(ref.draft_id)
            text = edit_media.read(tx.session, draft, clean(text), limits).text if draft is not None else text
        if draft is None:
            return None
        if not self.policy.rule.single and text != draft.text:  # a new version: theirs is its only yes so far
            return self._compose(draft, self.directory.name(actor.user_id), text)
        return self.post_text(draft, actor.user_id, text=text)

    def text_for_edit(self, draft: Draft) -> str:
        """What the owner's Edit form starts with: the text and, for a draft with images, their `alt:` lines."""
        with self.store.read() as tx:
            return edit_media.text_for_form(tx.session, draft)

    def _decide(
        self,
        ref: CardRef,
        actor: Actor,
        kind: Kind,
        to: Status,
        *,
        reason: str | None = None,
        new_text: str | None = None,
        publish_at: object = KEEP,
    ) -> Outcome:
        # The Edit form's text was typed into a plain_text_input: plain characters, not mrkdwn (`&amp;` stays).
        text = clean(new_text) if new_text is not None else None
        reason = clean(reason) if reason is not None else None
        # The signature is looked up before the transaction (Slack may be slow); the compare-and-set below still
        # guards the move. Only an approver's name is asked for: anyone else is refused without it.
        signer = (
            self.directory.name(actor.user_id)
            if to is Status.APPROVED and actor.user_id in self.policy.approvers | self.policy.backups
            else ""
        )
        self.text_rules()  # read before the transaction: Mastodon keeps its instance's limit once read
        limits = self.image_limits() if text is not None else {}
        with self.store.transaction() as tx:
            draft = approvals.lock_draft(tx.session, ref.draft_id)  # yeses are counted: concurrent ones take turns
            if reason is not None and not reason.strip():
                return self.refused(tx, ref, actor, Kind.REASON_REQUIRED, draft)
            refused = self._refusal(tx, ref, actor, draft)
            if refused is not None:
                return refused
            assert draft is not None and draft.id is not None
            version, partly = draft.version, None
            values: dict[str, object] = {"decided_by": actor.user_id, "decided_at": self.clock()}
            if reason is not None:
                values["reason"] = reason.strip()
            owner = edit_media.read(tx.session, draft, text, limits) if text is not None else None  # `alt:` lines
            if owner is not None and owner.refusal is not None:
                tx.audit(draft.id, "refused_media", actor_id=actor.user_id, version=ref.version, detail=str(ref))
                networks = self.brand_networks()
                return Outcome(Kind.MEDIA_REFUSED, draft=draft, media=(owner.refusal,), networks=networks)
            alts = owner.alts if owner is not None else None
            text = owner.text if owner is not None else text
            if to is Status.APPROVED:
                if signer == actor.user_id:  # Slack never told us their name: a public post isn't signed with an id
                    return self.refused(tx, ref, actor, Kind.NAME_UNKNOWN, draft)
                when = draft.publish_at if publish_at is KEEP else publish_at
                if isinstance(when, datetime) and when <= self.clock():  # never approve into a silently late post
                    return self.refused(tx, ref, actor, Kind.TIME_PASSED, draft)
                values.update(publish_at=when, time_noticed_at=None)
                if text is not None and (text != draft.text or edit_media.changed(tx.session, draft, alts)):
                    version += 1
                    values.update(text=text, version=version)
                counted = self._count_yes(tx, ref, actor, draft, version, signer, text, values)  # APPROVAL_RULE
                if isinstance(counted, Outcome):
                    return counted
                if counted is not None:  # not met yet: pending still, at the owner's new version if they edited
                    to, kind, values, partly = Status.PENDING, Kind.APPROVED_PARTLY, *counted
                else:  # the yes that meets the rule opens the Undo window (`undo`): the publisher claims from then
                    values["undo_until"] = self.undo_ends(cast(datetime, values["decided_at"]))
            tx.session.expunge(draft)  # kept as read (status, version) for what follows; RETURNING brings the row
            moved = tx.moved(draft.id, frm=OPEN_FOR_DECISION, to=to, at_version=ref.version, **values)
            if moved is None:
                # Changed since we read it (on PostgreSQL): a writer's edit makes this card stale, not decided.
                current = tx.get(draft.id)
                return self._refusal(tx, ref, actor, current) or self.refused(
                    tx, ref, actor, Kind.ALREADY_DECIDED, current
                )
            if version != draft.version:
                tx.add_version(draft.id, version, text or "", author_id=actor.user_id)
                edit_media.carry(tx.session, draft, version, alts)
            if to is Status.APPROVED:  # decided: one delivery per network of the brand, with the decision
                deliveries.create(tx.session, moved, self.networks(moved.brand), moved.final_parts or [])
            if to is Status.APPROVED or partly:
                self._record_yes(tx, draft, version, actor, signer, moved=to is Status.APPROVED)
            move = tx.audit(
                draft.id,
                kind.value,
                actor_id=actor.user_id,
                actor_team_id=actor.team_id,
                frm=draft.status,
                to=to,
                version=version,
                detail=reason.strip() if reason else partly or _for(values.get("publish_at")),
            )
            # A rejection or a request for changes is told to the writer: that telling is taken with the move.
            told = notices.claim_move(tx.session, move, utcnow()) if to in TOLD_AT_ONCE else None
            return Outcome(kind, draft=moved, told=told)

    def _refusal(self, tx: Tx, ref: CardRef, actor: Actor, draft: Draft | None) -> Outcome | None:
        if draft is None:
            return self.refused(tx, ref, actor, Kind.NOT_FOUND, None)
        kind = self.policy.refusal(actor, draft)
        if kind is None and draft.status in OPEN_FOR_DECISION and draft.version != ref.version:
            kind = Kind.STALE_CARD
        elif kind is None and draft.status not in OPEN_FOR_DECISION:
            kind = Kind.ALREADY_DECIDED
        return None if kind is None else self.refused(tx, ref, actor, kind, draft)

    def refused(
        self,
        tx: Tx,
        ref: CardRef,
        actor: Actor,
        kind: Kind,
        draft: Draft | None,
        post: PostText | None = None,
        detail: str = "",
    ) -> Outcome:
        """Every refusal is audited: who tried what on which draft version."""
        detail = self.policy.brand_name if kind is Kind.OTHER_BRAND and not detail else detail
        tx.audit(
            draft.id if draft else None,
            f"refused_{kind.value}",
            actor_id=actor.user_id,
            actor_team_id=actor.team_id,
            version=ref.version,
            detail=str(ref),
        )
        return Outcome(kind, draft=draft, post=post, detail=detail, delivered=self.delivered(tx, draft))

    def delivered(self, tx: Tx, draft: Draft | None) -> tuple[Delivery, ...]:
        """The draft version's deliveries, for a refusal's reply to name each network the post is on (read in the
        move's own transaction, which makes no Slack call)."""
        if draft is None or draft.id is None:
            return ()
        return tuple(deliveries.of_draft(tx.session, draft.id, draft.version))

    def brand_networks(self) -> tuple[str, ...]:
        """The brand's networks, for a refusal about what the brand posts to (Slack-only text, images)."""
        return tuple(str(n) for n in self.networks(self.brand))


def _for(when: object) -> str | None:
    """The audit's detail for an approval with a time: `for 2026-12-04T08:00:00+00:00`."""
    return f"for {when.isoformat()}" if isinstance(when, datetime) else None
