"""Everything the app shows in Slack about a draft: its cards and the writer's thread.

Cards are re-rendered from the database under a per-draft lock, so whichever update lands last
shows the newest state; a card is reserved in the database before it is posted, so concurrent
paths never post two cards to one approver.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.approval.escalation_rule import still_to_decide
from bot.approval.outcomes import Kind, Outcome
from bot.approval.post_text import Part, PostText, weighted_length
from bot.approval.workflow import Workflow
from bot.intake import draft_media
from bot.runtime import failpoints
from bot.slack import escalation_blocks
from bot.slack import lookup as slack_lookup
from bot.slack.blocks import approval_card, card_link
from bot.slack.replies import decision_reply, intake_reply, revision_refused
from bot.slack.retry import never_reached_slack
from bot.slack.schedule_blocks import Timing
from storage import cards, deliveries, notices, reports
from storage import media as stored_media
from storage.cards import mark_all_shown as cards_shown
from storage.models import Card, Draft, DraftMedia, Status
from storage.store import Store
from storage.types import utcnow

log = logging.getLogger(__name__)
LOCK_STRIPES = 64
SLACK_FAILURES = (SlackApiError, OSError)  # an error answer, or Slack unreachable after slack_sdk's retries
GONE = {"message_not_found", "channel_not_found", "is_archived"}  # nothing left to update
ABANDONED_CLAIM = timedelta(minutes=2)
MISSING_GRACE = timedelta(seconds=30)
NEED_A_PERSON = (Status.UNKNOWN, Status.FAILED)
# States whose move the writer hears about in their thread (see replies.decision_reply), and how far back the
# catch-up looks for a reply that never got out: after a longer outage, an old reply would only be noise.
TOLD = (Status.CHANGES_REQUESTED, Status.REJECTED, Status.PUBLISHED, Status.FAILED, Status.UNKNOWN)
TOLD += (Status.DELETED,)  # Delete from X (bot/delivery/deleter.py)
TELL_WITHIN = timedelta(days=2)


def _why(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return str(exc.response.get("error"))
    return f"Slack unreachable: {type(exc).__name__}"


REFRESH_ROUNDS = 3  # renders of one refresh at most, when other instances keep moving the draft


class Notifier:
    def __init__(
        self,
        client: WebClient,
        store: Store,
        workflow: Workflow,
        *,
        approvers: tuple[str, ...],
        approval_channel: str = "",
        team_url: str = "",
        bot_user_id: str = "",
        backups: tuple[str, ...] = (),
    ) -> None:
        self.backups = backups  # BACKUP_APPROVERS: a card each (in their DM) once a draft is escalated
        self.team_url = team_url
        self.bot_user_id = bot_user_id
        self.client = client
        self.store = store
        self.workflow = workflow
        self.approvers = approvers
        self.approval_channel = approval_channel
        self._locks = [threading.Lock() for _ in range(LOCK_STRIPES)]

    def _lock(self, draft_id: int) -> threading.Lock:
        return self._locks[draft_id % LOCK_STRIPES]

    @property
    def audience(self) -> str:
        if self.approval_channel:
            return f"<#{self.approval_channel}>"
        return " and ".join(f"<@{a}>" for a in self.approvers)

    # -- what the writer did -------------------------------------------------------------------

    def intake(self, outcome: Outcome, channel: str, ts: str) -> None:
        """After submit/revise: cards first (the approver is waiting), then the writer's thread."""
        if outcome.kind in {Kind.SUBMITTED, Kind.FILES_DROPPED} and outcome.draft is not None:
            self.post_cards(outcome.draft)
        elif outcome.kind is Kind.REVISED and outcome.draft is not None:
            self.refresh_cards(outcome.draft.id or 0)
        elif outcome.kind is Kind.WITHDRAWN and outcome.draft is not None:
            self.refresh_cards(outcome.draft.id or 0)
            return  # the message is gone; a reply in its thread would reach no one
        if (
            outcome.draft is not None
            and outcome.draft.status in (Status.PENDING, Status.APPROVED)  # approved: scheduled, still editable
            and outcome.kind
            in {
                Kind.TOO_LONG,
                Kind.EMPTY,
                Kind.SLACK_ONLY,
                Kind.MEDIA_REFUSED,
                Kind.BAD_TIME,
            }
        ):
            text = revision_refused(outcome)
        else:
            text = intake_reply(outcome, self.audience)
        if text:
            self.reply(channel, ts, text)

    # -- cards ---------------------------------------------------------------------------------

    def card_targets(self) -> list[tuple[str, str]]:
        """(approver_id, channel) per card: one DM per approver, or one card in the approvals channel."""
        if self.approval_channel:
            return [("", self.approval_channel)]
        return [(approver, approver) for approver in self.approvers]

    def card_post(self, draft: Draft, approver_id: str) -> PostText:
        if draft.final_parts:
            return PostText(parts=tuple(Part(t, weighted_length(t)) for t in draft.final_parts))
        return self.workflow.post_text(draft, approver_id or None)

    def render(self, draft: Draft, approver_id: str, media: list[DraftMedia] | None = None) -> dict:
        """The card's message; `media`: the version's image rows, when the caller has read them already."""
        if media is None:
            with self.store.read() as tx:
                media = stored_media.of_version(tx.session, draft.id or 0, draft.version)
        images = draft_media.items(media)
        timing = Timing(self.workflow.clock(), self.workflow.zone, self.workflow.grace)
        card_post = self.card_post(draft, approver_id)
        standing = self.workflow.standing(draft, approver_id or None)
        card = approval_card(
            draft,
            card_post,
            shared=not approver_id,
            media=images,
            timing=timing,
            standing=standing,
            links=self._links(draft),
        )
        if draft.escalated_at is not None and draft.status == Status.PENDING and self.backups:
            line = self.why_line(draft) if approver_id in self.backups else self.escalated_line(draft)
            card = escalation_blocks.with_why(card, line) if line else card
        return card

    def escalated_line(self, draft: Draft) -> str:
        """On an approver's card of an escalated draft: who else was asked, so nobody wonders who decided."""
        waited = self.workflow.clock() - (draft.waiting_since or draft.pending_since or draft.created_at)
        names = [self.workflow.directory.name(b) for b in self.backups if b != draft.writer_id]
        return escalation_blocks.escalated_line(names, waited)

    def why_line(self, draft: Draft) -> str:
        """Why a backup has this card: who hasn't answered, for how long (and when it is due to go out)."""
        now = self.workflow.clock()
        answered = [a for a, _ in self.workflow.yeses(draft)]  # APPROVAL_RULE: those who said yes have answered
        waiting = [self.workflow.directory.name(a) for a in still_to_decide(draft, self.approvers, answered)]
        waited = now - (draft.waiting_since or draft.pending_since or draft.created_at)
        zone = self.workflow.zone
        return escalation_blocks.why_line(waiting, waited, publish_at=draft.publish_at, now=now, zone=zone)

    def post_cards(
        self,
        draft: Draft,
        *,
        look_first: bool = False,
        targets: list[tuple[str, str]] | None = None,
        while_pending: bool = False,
    ) -> None:
        """One card per target (default: the approvers'). `look_first` (the catch-up): a card whose post never
        answered may be in Slack already; then it is adopted (and brought up to date) instead of posted a second
        time. `while_pending` (escalation): a card claimed after the draft was decided is given back, not posted."""
        draft_id = draft.id or 0
        for approver_id, channel in self.card_targets() if targets is None else targets:
            if draft.writer_id == approver_id:
                continue  # an approver who wrote the draft can't decide on it; don't ask them
            with self._lock(draft_id):
                # The slot is claimed (committed before the post, so no other path posts a second card) and the
                # draft read as it is now, under the lock, in one transaction.
                with self.store.transaction() as tx:
                    if not tx.claim_card(draft_id, approver_id):
                        continue
                    current = tx.get(draft_id) or draft
                    if while_pending and current.status != Status.PENDING:  # escalation: decided since the claim
                        tx.release_card(draft_id, approver_id)
                        continue
                    images = stored_media.of_version(tx.session, draft_id, current.version)
                if look_first and self._adopt(current, approver_id, channel):
                    continue
                try:
                    sent = self.client.chat_postMessage(
                        channel=channel,
                        metadata=slack_lookup.card_metadata(draft_id, approver_id),
                        **self.render(current, approver_id, images),
                    )
                except SLACK_FAILURES as exc:
                    log.error("draft %s: card to %s failed (%s); catch-up will retry", draft_id, channel, _why(exc))
                    with self.store.transaction() as tx:
                        tx.release_card(draft_id, approver_id)
                    continue
                with self.store.transaction() as tx:
                    cards.fill_shown(tx.session, draft_id, approver_id, sent["channel"], sent["ts"], current)

    def _adopt(self, draft: Draft, approver_id: str, target: str, *, instead_of: str = "") -> bool:
        """Record the card Slack kept from a post that never answered (or whose ts a process that stopped never
        saved), and show the draft as it is now on it. `instead_of`: the recorded card's ts, gone from Slack."""
        draft_id = draft.id or 0
        found = slack_lookup.find_card(self.client, target, draft_id, approver_id, self.bot_user_id)
        if found is None or found[1] == instead_of:
            return False
        log.warning("draft %s: the card to %s was in Slack already; keeping it", draft_id, target)
        with self.store.transaction() as tx:
            tx.fill_card(draft_id, approver_id, *found)
            card = next(c for c in tx.cards(draft_id) if c.approver_id == approver_id)
        self._update(card, draft)
        return True

    def refresh_cards(self, draft_id: int) -> None:
        """Re-render every card of the draft from what the database says now.

        The lock is this process's: another instance (its publisher) may move the draft and update the cards while
        this update is on its way, and land first. So once the update is recorded, the draft is read again in that
        transaction; if it moved meanwhile, the cards are rendered again, and the newest state is the last one sent."""
        with self._lock(draft_id):
            for _ in range(REFRESH_ROUNDS):
                if not self._refresh_once(draft_id):
                    return

    def _refresh_once(self, draft_id: int) -> bool:
        """One round of `refresh_cards`: True if the draft moved on while its cards were being updated."""
        with self.store.read() as tx:
            draft = tx.get(draft_id)
            cards = tx.cards(draft_id)
            # The version's images, read once for every card (each card's render would read them again).
            images = stored_media.of_version(tx.session, draft_id, draft.version) if draft and cards else []
        if draft is None:
            return False
        shown = []
        for card in cards:
            if draft.status == Status.PUBLISHED and (card.shown_status, card.shown_version) == (
                draft.status,
                draft.version,
            ):
                continue  # shown already: the decision's handler and the publisher both get here once it's out
            if self._update(card, draft, images, mark=False):
                shown.append(card.id or 0)
        if not shown:
            return False
        with self.store.transaction() as tx:  # one write for every card that took the update
            cards_shown(tx.session, shown, draft.status, draft.version)
            now = tx.get(draft_id)
        return now is not None and (now.status, now.version) != (draft.status, draft.version)

    def show_on_unrecorded(self, draft_id: int, channel: str, ts: str, clicker: str) -> bool:
        """A card nobody recorded was clicked (posted by a process that stopped before saving its ts; the
        catch-up has since posted the one that is kept up to date): show the draft as it is now on it too,
        as nothing else knows it exists. If the clicker has no recorded card for the draft at all (it was never
        re-posted: the draft was decided on this one), this one becomes theirs and is kept up to date from now on.
        Returns whether it was such a card."""
        approver = "" if self.approval_channel else clicker
        with self.store.read() as tx:
            recorded = tx.cards(draft_id)
            known = {(c.channel, c.ts) for c in recorded}
            draft = tx.get(draft_id) if (channel, ts) not in known else None  # the usual case reads no draft
        if draft is None or (channel, ts) in known:
            return False
        with self._lock(draft_id):
            try:
                self.client.chat_update(channel=channel, ts=ts, **self.render(draft, approver))
            except SLACK_FAILURES as exc:
                log.warning("draft %s: unrecorded card %s/%s not updated (%s)", draft_id, channel, ts, _why(exc))
                return True
            if all(c.approver_id != approver for c in recorded):
                with self.store.transaction() as tx:
                    tx.claim_card(draft_id, approver)
                    tx.fill_card(draft_id, approver, channel, ts)
                    card = next(c for c in tx.cards(draft_id) if c.approver_id == approver)
                    cards.mark_shown(tx.session, card.id or 0, draft.status, draft.version)
        return True

    def _update(self, card: Card, draft: Draft, media: list[DraftMedia] | None = None, *, mark: bool = True) -> bool:
        """Show `draft` on `card`. Returns whether the card now counts as showing it (updated, or gone from Slack
        with nothing to adopt); `mark`: record that here (else the caller records it, for several cards at once)."""
        failpoints.hit("before-card-update")
        try:
            self.client.chat_update(channel=card.channel, ts=card.ts, **self.render(draft, card.approver_id, media))
        except SLACK_FAILURES as exc:
            if _why(exc) not in GONE:
                log.error(
                    "draft %s: card %s/%s not updated (%s); catch-up will retry",
                    draft.id,
                    card.channel,
                    card.ts,
                    _why(exc),
                )
                return False
            log.warning("draft %s: card %s/%s is gone from Slack (%s)", draft.id, card.channel, card.ts, _why(exc))
            if self._adopt(draft, card.approver_id, card.channel, instead_of=card.ts):
                return False  # the adopted card was updated and recorded by `_adopt`
        if mark:
            with self.store.transaction() as tx:
                cards.mark_shown(tx.session, card.id or 0, draft.status, draft.version)
        return True

    def catch_up(self, now: datetime, limit: int = 20) -> int:
        """Cards Slack never got: post the missing ones, bring stale ones up to date. Returns drafts touched."""
        with self.store.transaction() as tx:
            cards.drop_abandoned_claims(tx.session, now - ABANDONED_CLAIM)
            targets = self.card_targets()
            dm_approvers = [approver for approver, _ in targets if approver]
            brand = self.workflow.brand  # each brand's notifier catches up its own drafts (bot/runtime/desks)
            missing = cards.short_of_cards(
                tx.session,
                len(targets),
                now - MISSING_GRACE,
                limit,
                dm_approvers,
                not_counted=self.backups,
                brand=brand,
            )
            stale = cards.behind(tx.session, limit, brand=brand)
            # Unknown or failed with no card on record (the card that was clicked was posted by a process that
            # died before saving its ts): without one, nobody has the buttons to settle it.
            waiting = reports.drafts_in(tx.session, self.workflow.brand, NEED_A_PERSON, limit=limit)
            unseen = [d for d in waiting if not tx.cards(d.id or 0)]
        for draft in missing + unseen:
            self.post_cards(draft, look_first=True)
        for draft_id in stale:
            self.refresh_cards(draft_id)
        return len(missing) + len(unseen) + len(stale)

    # -- decisions and publishing ------------------------------------------------------------

    def decided(self, draft_id: int, outcome: Outcome | None = None) -> None:
        """Cards show the new state; the writer hears about anything final, once. `outcome`: the move's own, when
        the caller made it: a reply it claimed (`told`) is sent from its row, and a move with nothing to tell
        (an approval to publish now) reads nothing more; whoever moves the draft next tells their own move."""
        self.refresh_cards(draft_id)
        if outcome is None or outcome.draft is None:
            self.tell_writer(draft_id)
        elif outcome.told is not None:
            self._tell_move(outcome.draft, outcome.told)
        elif decision_reply(outcome.draft) is not None:
            self.tell_writer(draft_id)

    def tell_writer(self, draft_id: int, now: datetime | None = None, *, look_first: bool = False) -> bool:
        """Reply in the writer's thread about the draft's latest move, if it calls for one and nobody has.

        An approve click's listener and the publisher that posts the approval (on this instance or another)
        both get here, and may both find the draft published: the first to claim the move tells. A reply Slack
        refused is released for the catch-up. One whose answer was lost (a reset after sending) stays claimed,
        so the other live caller can't send it again at once; the catch-up takes it over once the claim is
        abandoned and (`look_first`) reads the thread back before sending. Returns whether this call told.
        """
        now = now or utcnow()
        with self.store.read() as tx:  # most moves (approved, publishing) have nothing to tell: no write lock
            draft = tx.get(draft_id)
            text = decision_reply(draft, self._signers(draft), self._links(draft, tx)) if draft is not None else None
            move = notices.latest_move(tx.session, draft_id) if text else None
        if draft is None or move is None or move.id is None or move.to_status != draft.status:
            return False
        with self.store.transaction() as tx:
            if not notices.claim(tx.session, draft_id, move.id, now):
                return False
        assert text is not None
        return self._tell_claimed(draft, move.id, text, look_first=look_first)

    def published(self, draft: Draft, move_id: int) -> None:
        """After the publisher's outcome, whose transaction also claimed telling the writer (`move_id`): cards
        first, then the reply, with the row as written (a published draft moves no further)."""
        self.refresh_cards(draft.id or 0)
        self._tell_move(draft, move_id)

    def _tell_move(self, draft: Draft, move_id: int) -> None:
        """Tell the writer of the move whose telling the caller claimed with it (`move_id`), from its row."""
        text = decision_reply(draft, self._signers(draft), self._links(draft))
        if text is None:  # nothing to say after all: free the move for whoever would
            with self.store.transaction() as tx:
                notices.release(tx.session, move_id)
            return
        self._tell_claimed(draft, move_id, text)

    def _links(self, draft: Draft, tx: Any = None) -> list[tuple[str, str | None]]:
        """Each network's post of a published version (read only when there is one to show)."""
        if draft.status != Status.PUBLISHED or draft.id is None:
            return []
        if tx is not None:
            return deliveries.links(tx.session, draft.id)
        with self.store.read() as reading:
            return deliveries.links(reading.session, draft.id)

    def _signers(self, draft: Draft) -> tuple[str, ...]:
        """Who approved the draft's version, when APPROVAL_RULE asked several (the writer's reply names them)."""
        standing = self.workflow.standing(draft, None)
        return standing.progress.counted if standing is not None else ()

    def _tell_claimed(self, draft: Draft, move_id: int, text: str, *, look_first: bool = False) -> bool:
        """Send the reply of a move this caller claimed; mark it sent, or release it if Slack refused it."""
        draft_id = draft.id or 0
        metadata = slack_lookup.reply_metadata(draft_id, move_id)
        told = (
            look_first
            and slack_lookup.reply_exists(self.client, draft.channel, draft.ts, draft_id, move_id, self.bot_user_id)
        ) or self._reply(draft.channel, draft.ts, text, metadata)
        with self.store.transaction() as tx:
            if told:
                notices.mark_sent(tx.session, move_id, utcnow())
            elif told is False:
                notices.release(tx.session, move_id)
        return bool(told)

    def tell_writers(self, now: datetime, limit: int = 20) -> int:
        """Replies Slack never got (it was down, or the process stopped): send them now. Returns how many."""
        with self.store.transaction() as tx:
            notices.drop_abandoned_claims(tx.session, now - ABANDONED_CLAIM)
            waiting = notices.untold(
                tx.session, TOLD, now - TELL_WITHIN, now - MISSING_GRACE, limit, brand=self.workflow.brand
            )
        return sum(self.tell_writer(draft.id or 0, now, look_first=True) for draft in waiting)

    def remind(self, draft: Draft, waited: str, due: str = "") -> None:
        """A fresh message (so it notifies) pointing at each approver's card for a draft still waiting."""
        with self.store.read() as tx:
            cards = tx.cards(draft.id or 0)
        said_yes = {approver for approver, _ in self.workflow.yeses(draft)}  # APPROVAL_RULE: theirs is in already
        for card in cards:
            if card.approver_id in said_yes:
                continue
            who = f"<@{card.approver_id}>" if card.approver_id else self.audience
            link = card_link(self.team_url, card)
            text = (
                f":alarm_clock: {who}, draft #{draft.id} by <@{draft.writer_id}> has waited {waited} for a decision."
                + (f" It is proposed to go out {due}." if due else "")
                + (f" <{link}|Open the card>" if link else "")
            )
            try:
                self.client.chat_postMessage(channel=card.channel, text=text, unfurl_links=False)
            except SLACK_FAILURES as exc:
                log.error("reminder for draft %s to %s failed: %s", draft.id, card.channel, _why(exc))

    def reply(self, channel: str, thread_ts: str, text: str) -> bool:
        return self._reply(channel, thread_ts, text) is True

    def _reply(self, channel: str, thread_ts: str, text: str, metadata: dict | None = None) -> bool | None:
        """True: Slack took it. False: it didn't (an error answer, or no connection was made). None: the answer
        was lost after the request went out (a reset, a timeout): Slack may have posted it."""
        try:
            self.client.chat_postMessage(
                channel=channel, thread_ts=thread_ts, text=text, unfurl_links=False, metadata=metadata
            )
        except SLACK_FAILURES as exc:
            log.error("thread reply in %s/%s failed: %s", channel, thread_ts, _why(exc))
            return False if isinstance(exc, SlackApiError) or never_reached_slack(exc) else None
        return True

    def ephemeral(self, channel: str | None, user: str, text: str) -> None:
        """Only `user` sees it, in `channel`. With no channel (a modal, the App Home) it goes to the app's DM
        with them: chat.postEphemeral needs a conversation, and a user id is none (`channel_not_found`)."""
        try:
            if channel:
                self.client.chat_postEphemeral(channel=channel, user=user, text=text)
            else:
                self.client.chat_postMessage(channel=user, text=text, unfurl_links=False)
        except SLACK_FAILURES as exc:
            log.warning("ephemeral to %s failed: %s", user, _why(exc))
