"""Approval cards: who gets one, what it shows, posting each once (reserved in the database first), and updating every
card of a draft from the database under its lock, so whichever update lands last shows the newest state."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.approval.escalation_rule import still_to_decide
from bot.approval.post_text import PostText, approved
from bot.intake import draft_media
from bot.runtime import failpoints
from bot.slack import escalation_blocks
from bot.slack import lookup as slack_lookup
from bot.slack.blocks import approval_card
from bot.slack.notify_base import (
    ABANDONED_CLAIM,
    GONE,
    MISSING_GRACE,
    NEED_A_PERSON,
    REFRESH_ROUNDS,
    SLACK_FAILURES,
    NotifierBase,
    _why,
)
from bot.slack.schedule_blocks import Timing
from storage import cards, deliveries, reports
from storage import media as stored_media
from storage.models import Card, Delivery, Draft, DraftMedia, Status
from storage.store import Tx

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VersionRows:
    """What a card of a draft's version shows besides the draft: its images, and its deliveries (one per network),
    read together once for every card of the draft."""

    media: list[DraftMedia] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)

    @classmethod
    def read(cls, tx: Tx, draft: Draft) -> VersionRows:
        draft_id = draft.id or 0
        media = stored_media.of_version(tx.session, draft_id, draft.version)
        return cls(media, deliveries.of_draft(tx.session, draft_id, draft.version))


class RecordedCards:
    """The cards (channel, ts) this process has seen recorded: a click on one of them needs no read to tell it from a
    card nobody recorded (`CardNotices.show_on_unrecorded`). A recorded card stays recorded, so the set is never
    wrong; it is bounded, and forgetting only costs that read again."""

    LIMIT = 20_000

    def __init__(self) -> None:
        self._seen: set[tuple[str, str]] = set()

    def add(self, channel: str, ts: str) -> None:
        if len(self._seen) >= self.LIMIT:
            self._seen.clear()
        self._seen.add((channel, ts))

    def __contains__(self, card: object) -> bool:
        return card in self._seen


def skips(card: Card, draft: Draft) -> bool:
    """Whether a refresh leaves `card` alone: it is recorded as showing the published draft already (the decision's
    handler and the publisher both refresh once the post is out). Only as good as the record, so a refresher that
    sent the card a stale state itself doesn't ask (`CardNotices.refresh_cards`)."""
    return draft.status == Status.PUBLISHED and (card.shown_status, card.shown_version) == (draft.status, draft.version)


def card_targets(approvers: Sequence[str], approval_channel: str = "") -> list[tuple[str, str]]:
    """(approver_id, channel) per card: one DM per approver, or one card in the approvals channel."""
    if approval_channel:
        return [("", approval_channel)]
    return [(approver, approver) for approver in approvers]


class CardNotices(NotifierBase):
    def card_targets(self) -> list[tuple[str, str]]:
        return card_targets(self.approvers, self.approval_channel)

    def card_post(self, draft: Draft, approver_id: str) -> PostText:
        if draft.final_parts:
            return approved(draft.final_parts, self.workflow.text_rules())
        return self.workflow.post_text(draft, approver_id or None)

    def render(self, draft: Draft, approver_id: str, rows: VersionRows | None = None) -> dict:
        """The card's message; `rows`: the version's images and deliveries, when the caller has read them already."""
        if rows is None:
            with self.store.read() as tx:
                rows = VersionRows.read(tx, draft)
        images = draft_media.items(rows.media)
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
            deliveries=rows.deliveries,
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
        claimed: Sequence[str] = (),
        images: Sequence[DraftMedia] = (),
    ) -> None:
        """One card per target (default: the approvers'). `look_first` (the catch-up): a card whose post never
        answered may be in Slack already; then it is adopted (and brought up to date) instead of posted a second
        time. `while_pending` (escalation): a card claimed after the draft was decided is given back, not posted.
        `claimed`: the slots the intake claimed with the draft (`images`: its version's), whose cards show `draft`
        as the intake wrote it: what moves it later finds the card behind and brings it up to date."""
        draft_id = draft.id or 0
        for approver_id, channel in self.card_targets() if targets is None else targets:
            if draft.writer_id == approver_id:
                continue  # an approver who wrote the draft can't decide on it; don't ask them
            with self._lock(draft_id):
                if approver_id in claimed:
                    current, rows = draft, VersionRows(list(images))
                else:
                    # The slot is claimed (committed before the post, so no other path posts a second card) and the
                    # draft read as it is now, under the lock, in one transaction.
                    with self.store.transaction() as tx:
                        if not tx.claim_card(draft_id, approver_id):
                            continue
                        current = tx.get(draft_id) or draft
                        if while_pending and current.status != Status.PENDING:  # escalation: decided since
                            tx.release_card(draft_id, approver_id)
                            continue
                        rows = VersionRows.read(tx, current)
                if look_first and self._adopt(current, approver_id, channel):
                    continue
                try:
                    sent = self.client.chat_postMessage(
                        channel=channel,
                        metadata=slack_lookup.card_metadata(draft_id, approver_id),
                        **self.render(current, approver_id, rows),
                    )
                except SLACK_FAILURES as exc:
                    log.error("draft %s: card to %s failed (%s); catch-up will retry", draft_id, channel, _why(exc))
                    with self.store.transaction() as tx:
                        tx.release_card(draft_id, approver_id)
                    continue
                with self.store.transaction() as tx:
                    cards.fill_shown(tx.session, draft_id, approver_id, sent["channel"], sent["ts"], current)
                self.recorded.add(sent["channel"], sent["ts"])

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

    def refresh_cards(self, draft_id: int, resend: Iterable[int] = ()) -> None:
        """Re-render every card of the draft from what the database says now.

        The lock is this process's: another instance (its publisher) may move the draft and update the cards while
        this update is on its way, and land first. So once the update is recorded (what Slack shows now, even if
        stale), the draft is read again in that transaction; if it moved meanwhile, the cards are rendered again, and
        the newest state is the last one sent. A card this call sent a stale state is always sent again, whatever
        its record says by then: another instance may have recorded the newest state on it after its own update,
        which this one's stale update then overwrote in Slack (`resend`: such cards of the caller's)."""
        stale = set(resend)
        with self._lock(draft_id):
            for _ in range(REFRESH_ROUNDS):
                moved, shown = self._refresh_once(draft_id, stale)
                if not moved:
                    return
                stale.update(shown)

    def _refresh_once(self, draft_id: int, resend: Collection[int] = ()) -> tuple[bool, list[int]]:
        """One round of `refresh_cards`: whether the draft moved on while its cards were being updated, and the
        cards updated."""
        with self.store.read() as tx:
            draft = tx.get(draft_id)
            found = tx.cards(draft_id)
            # The version's images and deliveries, read once for every card (each card's render would read them again).
            rows = VersionRows.read(tx, draft) if draft and found else VersionRows()
        if draft is None:
            return False, []
        shown = self._show(draft, found, rows, resend)
        if not shown:
            return False, shown
        with self.store.transaction() as tx:  # one write for every card that took the update
            moved = self._record_shown(tx, shown, draft)
        return moved, shown

    def _show(self, draft: Draft, found: Sequence[Card], rows: VersionRows, resend: Collection[int] = ()) -> list[int]:
        """Show `draft` on each of its cards `found` (the caller holds the draft's lock). Returns the ids of the cards
        that now show it, for `_record_shown`. `resend`: cards the caller sent a stale state, updated in any case."""
        shown = []
        for card in found:
            self.recorded.add(card.channel, card.ts)
            if card.id not in resend and skips(card, draft):
                continue  # shown already: the decision's handler and the publisher both get here once it's out
            if self._update(card, draft, rows, mark=False):
                shown.append(card.id or 0)
        return shown

    @staticmethod
    def _record_shown(tx: Tx, shown: Sequence[int], draft: Draft) -> bool:
        """Record in `tx` that the cards `shown` show `draft` (what Slack shows now, even if stale), and read the
        draft again: whether it moved on meanwhile, so the cards must be rendered again."""
        if not shown:
            return False
        cards.mark_all_shown(tx.session, shown, draft.status, draft.version)
        now = tx.get(draft.id or 0)
        return now is not None and (now.status, now.version) != (draft.status, draft.version)

    def show_on_unrecorded(self, draft_id: int, channel: str, ts: str, clicker: str) -> bool:
        """A card nobody recorded was clicked (posted by a process that stopped before saving its ts; the
        catch-up has since posted the one that is kept up to date): show the draft as it is now on it too,
        as nothing else knows it exists. If the clicker has no recorded card for the draft at all (it was never
        re-posted: the draft was decided on this one), this one becomes theirs and is kept up to date from now on.
        Returns whether it was such a card."""
        approver = "" if self.approval_channel else clicker
        if (channel, ts) in self.recorded:  # the usual case: a card this process posted or updated
            return False
        with self.store.read() as tx:
            recorded = tx.cards(draft_id)
            known = {(c.channel, c.ts) for c in recorded}
            draft = tx.get(draft_id) if (channel, ts) not in known else None
        for card in recorded:
            self.recorded.add(card.channel, card.ts)
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

    def _update(self, card: Card, draft: Draft, rows: VersionRows | None = None, *, mark: bool = True) -> bool:
        """Show `draft` on `card`. Returns whether the card now counts as showing it (updated, or gone from Slack
        with nothing to adopt); `mark`: record that here (else the caller records it, for several cards at once)."""
        failpoints.hit("before-card-update")
        try:
            self.client.chat_update(channel=card.channel, ts=card.ts, **self.render(draft, card.approver_id, rows))
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
