"""The writer's side of the state machine: a message becomes a draft, an edit a new version, a deletion a
withdrawal — each one compare-and-set with its audit row, in the order Slack's message life allows
(bot.intake.message_life: creation, edits by `edited.ts`, then deletion).

A mixin of `bot.approval.workflow.Workflow`, which holds the store, the policy, the clock and the text composition.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.approval.escalation_rule import clock_start, due_at, revised_due
from bot.approval.outcomes import Kind, Outcome
from bot.approval.post_text import PostText, clean
from bot.approval.refs import IncomingMessage
from bot.approval.schedule_moves import is_scheduled, move_scheduled
from bot.intake import draft_media
from bot.intake.message_life import order_key
from storage import deliveries, messages
from storage import media as stored_media
from storage.messages import EditIs
from storage.models import OPEN_FOR_WRITER, Draft, Status
from storage.store import Tx

if TYPE_CHECKING:
    from bot.approval.policy import Directory, Policy
    from storage.store import Store

MAX_DRAFT_CHARS = 20_000  # far above any thread we'd post; keeps a pasted novel out of the database


class WriterMoves:
    store: Store
    policy: Policy
    directory: Directory
    brand: str
    clock: Callable[[], datetime]
    escalate_after: timedelta | None

    def submit(self, message: IncomingMessage) -> Outcome:
        """`message.text` is already the post's characters (handlers convert Slack's message, bot.slack.text); a first
        line `at: …` is the proposed time (bot.intake.schedule_line), not part of the post."""
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
                tx.audit(
                    None,
                    action,
                    actor_id=message.user,
                    detail=f"creation of {message.channel} {message.ts}",
                    brand=self.brand,
                )
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
            tx.audit(None, "refused_bad_time", actor_id=message.user, detail=bad_time[:500], brand=self.brand)
            return Outcome(Kind.BAD_TIME, detail=bad_time)
        if message.refusals:
            tx.audit(None, "refused_slack_only", actor_id=message.user, detail=_named(message), brand=self.brand)
            return Outcome(Kind.SLACK_ONLY, refusals=message.refusals, networks=self.brand_networks())
        if message.media_refusals:
            tx.audit(
                None,
                "refused_media",
                actor_id=message.user,
                detail=draft_media.named(message.media_refusals),
                brand=self.brand,
            )
            return Outcome(Kind.MEDIA_REFUSED, media=message.media_refusals, networks=self.brand_networks())
        if not text and not message.media:
            return Outcome(Kind.FILES_ONLY if message.has_files else Kind.EMPTY, media=message.media_dropped)
        if not self.policy.approvers - {message.user}:
            # The writer is the only approver and nobody approves their own draft: a draft nobody can decide
            # would wait forever (and its card catch-up with it), so none is made.
            tx.audit(
                None,
                f"refused_{Kind.NO_OTHER_APPROVER.value}",
                actor_id=message.user,
                detail="sole approver",
                brand=self.brand,
            )
            return Outcome(Kind.NO_OTHER_APPROVER)
        if not (reach := self.policy.progress(draft, ())).possible:  # e.g. 2 approvals, one approver besides them
            detail = f"{reach.needed} {len(reach.waiting)}"
            tx.audit(
                None, f"refused_{Kind.RULE_UNREACHABLE.value}", actor_id=message.user, detail=detail, brand=self.brand
            )
            return Outcome(Kind.RULE_UNREACHABLE, detail=detail)
        if not post.fits or len(text) > MAX_DRAFT_CHARS:
            tx.audit(
                None, "refused_too_long", actor_id=message.user, detail=" ".join(post.problems()), brand=self.brand
            )
            return Outcome(Kind.TOO_LONG, post=post)
        draft.waiting_since = draft.pending_since
        draft.escalate_at = due_at(draft.pending_since or self.clock(), draft.publish_at, self.escalate_after)
        tx.insert_draft(draft, author_id=message.user)
        images = draft_media.rows(message.media)
        stored_media.save(tx.session, draft.id or 0, 1, images)
        detail = "from an edit" if message.edited_ts else None
        tx.audit(draft.id, "submitted", actor_id=message.user, to=Status.PENDING, version=1, detail=detail)
        # Its cards' slots, with the draft: committed before any card is posted, as a slot must be (CardNotices).
        slots = tuple(a for a in self.card_slots if a != message.user and tx.claim_card(draft.id or 0, a))
        kind = Kind.FILES_DROPPED if message.media_dropped else Kind.SUBMITTED
        return Outcome(
            kind,
            draft=draft,
            post=post,
            media=message.media_dropped,
            detail=self._said(draft.publish_at),
            cards=slots,
            images=tuple(images),
        )

    def revise(self, message: IncomingMessage) -> Outcome:
        """The writer edited their message: a new version, pending again, old cards can't approve.

        Only the newest edit counts (by `edited_ts`); an edit of a message with no draft (refused, or never seen)
        is that message's submission. After a deletion nothing counts. `message.text` is already the post's
        characters (bot.slack.text).
        """
        proposal, bad_time = self._proposal(message.text)
        text = clean(proposal.text)
        fresh = self._new_draft(message, text)
        fresh.publish_at, fresh.publish_said = proposal.at, proposal.said
        longest = self._longest_approver_name(message.user)  # before the transaction: names may need Slack
        rules = self.text_rules()  # before the transaction too: Mastodon's first read of its limit is HTTP
        fresh_post = self._compose(fresh, longest, rules=rules)
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
            open_to_writer = draft.status in OPEN_FOR_WRITER or is_scheduled(tx, draft, now)
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
                return Outcome(Kind.SLACK_ONLY, draft=draft, refusals=message.refusals, networks=self.brand_networks())
            if message.media_refusals and draft.status in OPEN_FOR_WRITER | draft_media.REOPENED:
                detail = draft_media.named(message.media_refusals)
                tx.audit(draft.id, "refused_media", actor_id=message.user, version=draft.version, detail=detail)
                networks = self.brand_networks()
                return Outcome(Kind.MEDIA_REFUSED, draft=draft, media=message.media_refusals, networks=networks)
            images_changed = draft_media.changed(tx.session, draft, message.media)
            if draft.text == text and draft.publish_at == publish_at and not images_changed:
                return Outcome(Kind.IGNORED, draft=draft)
            posted = deliveries.posted(tx.session, draft.id, draft.version)  # up (or partly) on some network
            open_now = OPEN_FOR_WRITER | (draft_media.REOPENED if images_changed and not posted else set())
            if draft.status not in open_now and not open_to_writer:
                return self._too_late(tx, Kind.NOT_EDITABLE, draft, message.user)
            post = self._compose(draft, longest, text, rules=rules)
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
        return Outcome(kind, draft=draft, delivered=self.delivered(tx, draft))

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
                    tx.audit(None, "message_deleted", actor_id=user or "", detail=f"{channel} {ts}", brand=self.brand)
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


def _named(message: IncomingMessage) -> str:
    """The audit's detail for a refusal: `broadcast:here custom_emoji:partyparrot`."""
    return " ".join(f"{r.problem.value}:{r.name}" for r in message.refusals)
