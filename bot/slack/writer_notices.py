"""The writer's thread: what intake and each decision are told there, claimed once in the database so a move is told
once, whichever instance gets there, and caught up after Slack was away."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from slack_sdk.errors import SlackApiError

from bot.approval.outcomes import Kind, Outcome
from bot.delivery.publisher import Published
from bot.slack import lookup as slack_lookup
from bot.slack.cards import VersionRows
from bot.slack.notify_base import (
    ABANDONED_CLAIM,
    MISSING_GRACE,
    SLACK_FAILURES,
    TELL_WITHIN,
    TOLD,
    NotifierBase,
    _why,
)
from bot.slack.replies import decision_reply, intake_reply, revision_refused
from bot.slack.retry import never_reached_slack
from storage import deliveries, notices
from storage.models import Delivery, Draft, Status
from storage.store import Tx
from storage.types import utcnow

log = logging.getLogger(__name__)


class WriterNotices(NotifierBase):
    def intake(self, outcome: Outcome, channel: str, ts: str) -> None:
        """After submit/revise: cards first (the approver is waiting), then the writer's thread."""
        if outcome.kind in {Kind.SUBMITTED, Kind.FILES_DROPPED} and outcome.draft is not None:
            self.post_cards(outcome.draft, claimed=outcome.cards, images=outcome.images)
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
            text = self._decision(draft, deliveries.of_draft(tx.session, draft_id)) if draft is not None else None
            move = notices.latest_move(tx.session, draft_id) if text else None
        if draft is None or move is None or move.id is None or move.to_status != draft.status:
            return False
        with self.store.transaction() as tx:
            if not notices.claim(tx.session, draft_id, move.id, now):
                return False
        assert text is not None
        return self._tell_claimed(draft, move.id, text, look_first=look_first)

    def published(self, published: Published) -> None:
        """After the publisher's outcome, whose transaction claimed telling the writer and read what this shows
        (`Published`): the cards first, then the reply, then one transaction records both (what the cards show,
        the reply sent). A published draft rarely moves on (a deletion, an Undo); if it did, its cards are
        refreshed again."""
        draft, move_id = published.draft, published.move_id
        rows = VersionRows(list(published.media), list(published.deliveries))
        with self._lock(draft.id or 0):
            shown = self._show(draft, published.cards, rows)
            text = self._decision(draft, rows.deliveries)
            told = False if text is None else self._send_claimed(draft, move_id, text)
            with self.store.transaction() as tx:
                moved = self._record_shown(tx, shown, draft)
                _settle_telling(tx, move_id, told)
        if moved:  # what the cards were sent is stale now: sent again, whatever their record says by then
            self.refresh_cards(draft.id or 0, resend=shown)

    def _tell_move(self, draft: Draft, move_id: int) -> None:
        """Tell the writer of the move whose telling the caller claimed with it (`move_id`), from its row."""
        text = self._decision(draft, self._delivered(draft))
        if text is None:  # nothing to say after all: free the move for whoever would
            with self.store.transaction() as tx:
                notices.release(tx.session, move_id)
            return
        self._tell_claimed(draft, move_id, text)

    def _decision(self, draft: Draft, delivered: Sequence[Delivery]) -> str | None:
        """The reply of the draft's move, naming each network of its version (`delivered`) or, once an Undo dropped
        them, the brand's."""
        networks = [str(n) for n in self.workflow.networks(draft.brand)]
        return decision_reply(draft, self._signers(draft), delivered=delivered, networks=networks)

    def _delivered(self, draft: Draft) -> list[Delivery]:
        """The version's deliveries, read in a transaction of their own, closed before the reply goes to Slack
        (only for a move the writer hears of: most have nothing to tell)."""
        if draft.id is None or draft.status not in TOLD:
            return []
        with self.store.read() as reading:
            return deliveries.of_draft(reading.session, draft.id, draft.version)

    def _signers(self, draft: Draft) -> tuple[str, ...]:
        """Who approved the draft's version, when APPROVAL_RULE asked several (the writer's reply names them)."""
        standing = self.workflow.standing(draft, None)
        return standing.progress.counted if standing is not None else ()

    def _tell_claimed(self, draft: Draft, move_id: int, text: str, *, look_first: bool = False) -> bool:
        """Send the reply of a move this caller claimed; mark it sent, or release it if Slack refused it."""
        told = self._send_claimed(draft, move_id, text, look_first=look_first)
        with self.store.transaction() as tx:
            _settle_telling(tx, move_id, told)
        return bool(told)

    def _send_claimed(self, draft: Draft, move_id: int, text: str, *, look_first: bool = False) -> bool | None:
        """The reply of a move this caller claimed, sent (`look_first`: unless the thread has it already). As
        `_reply` answers: True sent, False not, None unknown (the answer was lost)."""
        metadata = slack_lookup.reply_metadata(draft.id or 0, move_id)
        return (
            look_first
            and slack_lookup.reply_exists(
                self.client, draft.channel, draft.ts, draft.id or 0, move_id, self.bot_user_id
            )
        ) or self._reply(draft.channel, draft.ts, text, metadata)

    def tell_writers(self, now: datetime, limit: int = 20) -> int:
        """Replies Slack never got (it was down, or the process stopped): send them now. Returns how many."""
        with self.store.transaction() as tx:
            notices.drop_abandoned_claims(tx.session, now - ABANDONED_CLAIM)
            waiting = notices.untold(
                tx.session, TOLD, now - TELL_WITHIN, now - MISSING_GRACE, limit, brand=self.workflow.brand
            )
        return sum(self.tell_writer(draft.id or 0, now, look_first=True) for draft in waiting)

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


def _settle_telling(tx: Tx, move_id: int, told: bool | None) -> None:
    """After a claimed move's reply: sent, it is marked so; refused (or nothing to say), the claim is released for
    whoever would tell it; unknown (an answer lost after sending), it stays claimed until the catch-up looks."""
    if told:
        notices.mark_sent(tx.session, move_id, utcnow())
    elif told is False:
        notices.release(tx.session, move_id)
