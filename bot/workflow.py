"""The approval state machine. Every transition: one compare-and-set, one audit row, one outcome.

No Slack and no X in here: callers give it plain values and render what it returns. Names of people
come from an injected directory so the texts that will be posted can be composed here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol, cast
from zoneinfo import ZoneInfo

from bot import draft_media, edit_media
from bot.approval_rule import Progress, Rule, longest_signature, progress
from bot.approving import Approving
from bot.escalation_rule import clock_start, due_at, may_decide, revised_due
from bot.message_life import order_key
from bot.outcomes import Kind, Outcome
from bot.post_text import PostText, attribution, clean, compose
from bot.refs import Actor, CardRef, IncomingMessage
from bot.schedule_moves import DEFAULT_GRACE, ScheduleMoves, is_scheduled, move_scheduled
from bot.undo import UndoMoves
from storage import approvals, messages, notices
from storage import media as stored_media
from storage.messages import EditIs
from storage.models import OPEN_FOR_DECISION, OPEN_FOR_WRITER, Draft, Status
from storage.store import Store, Tx
from storage.types import utcnow

CANCEL_REASON = "X didn't confirm the post, and the approver chose neither Mark as published nor Publish again"
TOLD_AT_ONCE = (Status.REJECTED, Status.CHANGES_REQUESTED)  # `_decide`'s moves the writer hears of in their thread
MAX_DRAFT_CHARS = 20_000  # far above any thread we'd post; keeps a pasted novel out of the database


class Directory(Protocol):
    def name(self, user_id: str) -> str: ...


@dataclass(frozen=True)
class Policy:
    """Who may decide: listed approvers of this organisation, never on their own draft.

    The organisation is the install's workspace (`team_id`) or, on Enterprise Grid, its enterprise
    (`enterprise_id`, from auth.test): a Grid user's own workspace may be another of the same organisation.
    A Slack Connect user of another organisation has another enterprise (or none) and another workspace."""

    approvers: frozenset[str]
    team_id: str
    enterprise_id: str | None = None
    rule: Rule = field(default_factory=Rule)  # APPROVAL_RULE
    order: tuple[str, ...] = ()  # APPROVERS as listed (cards name who is waiting in this order)
    backups: frozenset[str] = frozenset()  # BACKUP_APPROVERS: deciders once a draft is escalated (bot/escalation.py)

    @property
    def listed(self) -> tuple[str, ...]:
        return tuple(a for a in self.order if a in self.approvers) or tuple(sorted(self.approvers))

    def escalated_to(self, draft: Draft) -> tuple[str, ...]:
        """The backups who may say yes on `draft` under the rule: every backup once it escalated, never its writer.
        Under `all` a backup's yes stands in for an approver who hasn't answered (the number needed stays)."""
        if draft.escalated_at is None:
            return ()
        return tuple(b for b in sorted(self.backups) if b != draft.writer_id)

    def progress(self, draft: Draft, yeses: Sequence[str]) -> Progress:
        """Where `draft`'s version stands under the rule given who said yes on it (oldest first)."""
        return progress(self.rule, self.listed, yeses, writer=draft.writer_id, backups=self.escalated_to(draft))

    def deciders(self, draft: Draft | None) -> frozenset[str]:
        """Who may decide on `draft` now: the approvers, and its backups once it was escalated (never its writer).
        An approval rule counts its yeses among these."""
        pool = self.approvers | self.backups
        return frozenset(u for u in pool if may_decide(u, draft, self.approvers, self.backups))

    def of_this_organisation(self, actor: Actor) -> bool:
        if actor.team_id == self.team_id:
            return True
        return self.enterprise_id is not None and actor.enterprise_id == self.enterprise_id

    def refusal(self, actor: Actor, draft: Draft | None = None) -> Kind | None:
        if not self.of_this_organisation(actor):
            return Kind.OTHER_ORGANISATION
        if actor.user_id not in self.approvers | self.backups:
            return Kind.NOT_AN_APPROVER
        if draft is not None and draft.writer_id == actor.user_id:
            return Kind.OWN_DRAFT
        if not may_decide(actor.user_id, draft, self.approvers, self.backups):  # a backup, before escalation
            return Kind.NOT_YET_ESCALATED if draft is not None else Kind.NOT_AN_APPROVER
        return None


@dataclass(frozen=True)
class Voice:
    """The brand's attribution: which agency, and the template that discloses it."""

    agency: str
    template: str


KEEP = object()  # `_decide`: keep the draft's proposed time


class Workflow(ScheduleMoves, UndoMoves, Approving):
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
    ) -> None:
        self.undo_window = undo_window  # UNDO_WINDOW: an approval waits this long for an Undo (bot.undo)
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
        yeses, the post is signed by the yeses so far plus `approver_id`'s (bot.approving.signature_for), and intake
        counts with the longest names the rule could sign with.
        """
        if self.policy.rule.single:
            approver = self.directory.name(approver_id) if approver_id else self._longest_approver_name()
        elif draft.id is None:  # intake: whoever approves, however many
            approver = self._longest_approver_name(draft.writer_id)
        else:
            approver = self.signature_for(draft, approver_id, lambda: self._longest_approver_name(draft.writer_id))
        return self._compose(draft, approver, text)

    def _compose(self, draft: Draft, approver: str, text: str | None = None) -> PostText:
        """`post_text` with the approver's name already looked up: what runs inside a transaction, where no
        Slack call may (on SQLite a slow users.info would hold the one writer lock past Slack's 3 s ack)."""
        return compose(
            draft.text if text is None else text,
            template=self.voice.template,
            agency=self.voice.agency,
            approver=approver,
            writer=draft.writer_name or draft.writer_id,
        )

    def _longest_approver_name(self, writer: str | None = None) -> str:
        """The longest {approver} a post could get: one name under `any`, the longest names joined under a rule
        that needs several (`writer`, who can't sign, left out). A backup may sign an escalated draft."""
        signers = (*self.policy.listed, *sorted(self.policy.backups))
        if self.policy.rule.single:
            return max((self.directory.name(a) for a in signers), key=len, default="")
        names = {a: self.directory.name(a) for a in signers}
        return longest_signature(self.policy.rule, names, self.policy.listed, writer or "", self.policy.backups)

    # -- the writer's side ---------------------------------------------------------------------

    def submit(self, message: IncomingMessage) -> Outcome:
        """`message.text` is already the post's characters (handlers convert Slack's message, bot.slack_text); a first
        line `at: …` is the proposed time (bot.schedule_line), not part of the post."""
        proposal, bad_time = self._proposal(message.text)
        text = clean(proposal.text)
        draft = self._new_draft(message, text)
        draft.publish_at, draft.publish_said = proposal.at, proposal.said
        post = self.post_text(draft)
        with self.store.transaction() as tx:
            if not tx.first_sighting(message.event_id) or tx.by_message(message.channel, message.ts):
                return Outcome(Kind.DUPLICATE)
            seen = messages.get(tx.session, message.channel, message.ts)
            if seen is not None:  # deleted, or edited (and the edit refused), before this delivery of it
                action = "ignored_after_deletion" if seen.deleted_at else "ignored_superseded"
                tx.audit(None, action, actor_id=message.user, detail=f"creation of {message.channel} {message.ts}")
                return Outcome(Kind.IGNORED)
            return self._intake(tx, message, draft, post, text, bad_time)

    def _new_draft(self, message: IncomingMessage, text: str) -> Draft:
        """The draft a message would make (names are looked up here, before any transaction)."""
        return Draft(
            brand=self.brand,
            channel=message.channel,
            ts=message.ts,
            writer_id=message.user,
            writer_name=self.directory.name(message.user),
            text=text[:MAX_DRAFT_CHARS],
            created_at=self.clock(),
            updated_at=self.clock(),
            pending_since=self.clock(),
        )

    def _intake(
        self, tx: Tx, message: IncomingMessage, draft: Draft, post: PostText, text: str, bad_time: str | None = None
    ) -> Outcome:
        """Make `message` a draft, or say why not: its first delivery, or an edit of a message that has none."""
        if bad_time is not None:
            tx.audit(None, "refused_bad_time", actor_id=message.user, detail=bad_time[:500])
            return Outcome(Kind.BAD_TIME, detail=bad_time)
        if message.refusals:
            tx.audit(None, "refused_slack_only", actor_id=message.user, detail=_named(message))
            return Outcome(Kind.SLACK_ONLY, refusals=message.refusals)
        if message.media_refusals:
            tx.audit(None, "refused_media", actor_id=message.user, detail=draft_media.named(message.media_refusals))
            return Outcome(Kind.MEDIA_REFUSED, media=message.media_refusals)
        if not text and not message.media:
            return Outcome(Kind.FILES_ONLY if message.has_files else Kind.EMPTY, media=message.media_dropped)
        if not self.policy.approvers - {message.user}:
            # The writer is the only approver and nobody approves their own draft: a draft nobody can decide
            # would wait forever (and its card catch-up with it), so none is made.
            tx.audit(None, f"refused_{Kind.NO_OTHER_APPROVER.value}", actor_id=message.user, detail="sole approver")
            return Outcome(Kind.NO_OTHER_APPROVER)
        if not (reach := self.policy.progress(draft, ())).possible:  # e.g. 2 approvals, one approver besides them
            detail = f"{reach.needed} {len(reach.waiting)}"
            tx.audit(None, f"refused_{Kind.RULE_UNREACHABLE.value}", actor_id=message.user, detail=detail)
            return Outcome(Kind.RULE_UNREACHABLE, detail=detail)
        if not post.fits or len(text) > MAX_DRAFT_CHARS:
            tx.audit(None, "refused_too_long", actor_id=message.user, detail=" ".join(post.problems()))
            return Outcome(Kind.TOO_LONG, post=post)
        draft.waiting_since = draft.pending_since
        draft.escalate_at = due_at(draft.pending_since or self.clock(), draft.publish_at, self.escalate_after)
        tx.insert_draft(draft, author_id=message.user)
        stored_media.save(tx.session, draft.id or 0, 1, draft_media.rows(message.media))
        detail = "from an edit" if message.edited_ts else None
        tx.audit(draft.id, "submitted", actor_id=message.user, to=Status.PENDING, version=1, detail=detail)
        kind = Kind.FILES_DROPPED if message.media_dropped else Kind.SUBMITTED
        return Outcome(kind, draft=draft, post=post, media=message.media_dropped, detail=self._said(draft.publish_at))

    def revise(self, message: IncomingMessage) -> Outcome:
        """The writer edited their message: a new version, pending again, old cards can't approve.

        Only the newest edit counts (by `edited_ts`); an edit of a message with no draft (refused, or never seen)
        is that message's submission. After a deletion nothing counts. `message.text` is already the post's
        characters (bot.slack_text).
        """
        proposal, bad_time = self._proposal(message.text)
        text = clean(proposal.text)
        fresh = self._new_draft(message, text)
        fresh.publish_at, fresh.publish_said = proposal.at, proposal.said
        longest = self._longest_approver_name(message.user)  # before the transaction: names may need Slack
        fresh_post = self._compose(fresh, longest)
        with self.store.transaction() as tx:
            if not tx.first_sighting(message.event_id):
                return Outcome(Kind.DUPLICATE)
            draft = tx.by_message(message.channel, message.ts)
            late = self._late_edit(tx, message, draft)
            if late is not None:
                return late
            if draft is None or draft.id is None:
                return self._intake(tx, message, fresh, fresh_post, text, bad_time)
            now = self.clock()
            open_to_writer = draft.status in OPEN_FOR_WRITER or is_scheduled(draft, now)
            publish_at = proposal.at
            if proposal.said is not None and proposal.said == draft.publish_said:
                publish_at, bad_time = draft.publish_at, None  # the line wasn't touched: not read again ("tomorrow")
            if bad_time is not None and open_to_writer:
                tx.audit(draft.id, "refused_bad_time", actor_id=message.user, version=draft.version, detail=bad_time)
                return Outcome(Kind.BAD_TIME, draft=draft, detail=bad_time)
            if message.refusals and open_to_writer:  # before the text compare: a dropped @here
                tx.audit(  # leaves the text as it was, but the writer must hear why their edit wasn't taken
                    draft.id, "refused_slack_only", actor_id=message.user, version=draft.version, detail=_named(message)
                )
                return Outcome(Kind.SLACK_ONLY, draft=draft, refusals=message.refusals)
            if message.media_refusals and draft.status in OPEN_FOR_WRITER | draft_media.REOPENED:
                detail = draft_media.named(message.media_refusals)
                tx.audit(draft.id, "refused_media", actor_id=message.user, version=draft.version, detail=detail)
                return Outcome(Kind.MEDIA_REFUSED, draft=draft, media=message.media_refusals)
            images_changed = draft_media.changed(tx.session, draft, message.media)
            if draft.text == text and draft.publish_at == publish_at and not images_changed:
                return Outcome(Kind.IGNORED, draft=draft)
            open_now = OPEN_FOR_WRITER | (draft_media.REOPENED if images_changed and not draft.post_ids else set())
            if draft.status not in open_now and not open_to_writer:
                return self._too_late(tx, Kind.NOT_EDITABLE, draft, message.user)
            post = self._compose(draft, longest, text)
            if (not text and not message.media) or not post.fits:
                kind = Kind.TOO_LONG if text else Kind.EMPTY
                detail = " ".join(post.problems()) if text else "the edit has no text"
                tx.audit(draft.id, f"refused_{kind.value}", actor_id=message.user, version=draft.version, detail=detail)
                return Outcome(kind, draft=draft, post=post)
            version = draft.version + 1
            values = dict(text=text, version=version, pending_since=now, publish_at=publish_at, time_noticed_at=None)
            values["publish_said"] = proposal.said
            values["waiting_since"] = clock_start(draft, now)
            values["escalate_at"] = revised_due(draft, now, publish_at, self.escalate_after)
            if draft.status in open_now:
                reopened = draft_media.UNDECIDED if draft.status in draft_media.REOPENED else {}
                moved = tx.move(
                    draft.id, frm=open_now, to=Status.PENDING, at_version=draft.version, **values, **reopened
                )
            else:  # scheduled: the owner approves a text and a time, so again
                values.update(final_parts=None, approver_name=None, decided_by=None, decided_at=None)
                moved = move_scheduled(tx, draft.id, draft.version, Status.PENDING, **values)
            if not moved:  # a decision (or the publisher's claim) committed since we read the draft
                return self._too_late(tx, Kind.NOT_EDITABLE, tx.get(draft.id) or draft, message.user)
            tx.add_version(draft.id, version, text, author_id=message.user)
            stored_media.save(tx.session, draft.id, version, draft_media.rows(message.media))
            at = f"proposed for {publish_at.isoformat()}" if publish_at else None  # the time is part of what is decided
            tx.audit(
                draft.id,
                "revised",
                actor_id=message.user,
                frm=draft.status,
                to=Status.PENDING,
                version=version,
                detail=at,
            )
            return Outcome(Kind.REVISED, draft=tx.get(draft.id), post=post, detail=self._said(publish_at))

    def _late_edit(self, tx: Tx, message: IncomingMessage, draft: Draft | None) -> Outcome | None:
        """An edit that must change nothing (audited): older than one already seen, or of a deleted message."""
        key = order_key(message.edited_ts) if message.edited_ts else None
        edit = messages.record_edit(tx.session, message.channel, message.ts, key)
        if edit is EditIs.NEWEST:
            return None
        action = "ignored_after_deletion" if edit is EditIs.DELETED else f"ignored_{edit.value}_edit"
        detail = f"edit of {message.channel} {message.ts} at {message.edited_ts}"
        tx.audit(draft.id if draft else None, action, actor_id=message.user, detail=detail)
        return Outcome(Kind.IGNORED, draft=draft)

    def _too_late(self, tx: Tx, kind: Kind, draft: Draft, writer: str) -> Outcome:
        """The draft was decided before the writer's edit or deletion landed: they are told (with the state it
        is in now), and the refusal audited as `refused_<kind>`."""
        tx.audit(draft.id, f"refused_{kind.value}", actor_id=writer, version=draft.version, detail=draft.status)
        return Outcome(kind, draft=draft)

    def withdraw(self, channel: str, ts: str, event_id: str | None = None, user: str | None = None) -> Outcome:
        """The message was deleted (or tombstoned): its draft is withdrawn if still open, and the deletion is
        remembered so a creation or edit delivered after it changes nothing. Later reports of the same deletion
        (the tombstone's own `message_deleted`, redeliveries) are no-ops."""
        with self.store.transaction() as tx:
            if not tx.first_sighting(event_id):
                return Outcome(Kind.DUPLICATE)
            draft = tx.by_message(channel, ts)
            first = messages.record_deletion(tx.session, channel, ts, self.clock())
            if draft is None or draft.id is None:
                if first:
                    tx.audit(None, "message_deleted", actor_id=user or "", detail=f"{channel} {ts}")
                return Outcome(Kind.IGNORED)
            if not first or draft.status == Status.WITHDRAWN:
                return Outcome(Kind.IGNORED, draft=draft)
            if not tx.move(draft.id, frm=OPEN_FOR_WRITER, to=Status.WITHDRAWN, decided_at=self.clock()):
                # Decided first (PostgreSQL re-reads the row after waiting for the decision's lock).
                return self._too_late(tx, Kind.NOT_WITHDRAWABLE, tx.get(draft.id) or draft, draft.writer_id)
            tx.audit(
                draft.id,
                "withdrawn",
                actor_id=draft.writer_id,
                frm=draft.status,
                to=Status.WITHDRAWN,
                version=draft.version,
            )
            return Outcome(Kind.WITHDRAWN, draft=tx.get(draft.id))

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
        with self.store.read() as tx:
            draft = tx.get(ref.draft_id)
            text = edit_media.read(tx.session, draft, clean(text)).text if draft is not None else text
        if draft is None:
            return None
        if not self.policy.rule.single and text != draft.text:  # a new version: theirs is its only yes so far
            return self._compose(draft, self.directory.name(actor.user_id), text)
        return self.post_text(draft, actor.user_id, text=text)

    def text_for_edit(self, draft: Draft) -> str:
        """What the owner's Edit form starts with: the text and, for a draft with images, their `alt:` lines."""
        with self.store.read() as tx:
            return edit_media.text_for_form(tx.session, draft)

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
        link of its first part, when that id is known; bot.marking decides what a thread needs first)."""
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
            owner = edit_media.read(tx.session, draft, text) if text is not None else None  # `alt:` lines
            if owner is not None and owner.refusal is not None:
                tx.audit(draft.id, "refused_media", actor_id=actor.user_id, version=ref.version, detail=str(ref))
                return Outcome(Kind.MEDIA_REFUSED, draft=draft, media=(owner.refusal,))
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
                else:  # the yes that meets the rule opens the Undo window (bot.undo): the publisher claims from then
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
        tx.audit(
            draft.id if draft else None,
            f"refused_{kind.value}",
            actor_id=actor.user_id,
            actor_team_id=actor.team_id,
            version=ref.version,
            detail=str(ref),
        )
        return Outcome(kind, draft=draft, post=post, detail=detail)


def _for(when: object) -> str | None:
    """The audit's detail for an approval with a time: `for 2026-12-04T08:00:00+00:00`."""
    return f"for {when.isoformat()}" if isinstance(when, datetime) else None


def _named(message: IncomingMessage) -> str:
    """The audit's detail for a refusal: `broadcast:here custom_emoji:partyparrot`."""
    return " ".join(f"{r.problem.value}:{r.name}" for r in message.refusals)
