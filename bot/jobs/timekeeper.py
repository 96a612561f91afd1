"""Nothing waits unseen: times that passed without a post are told to people, once, instead of kept quiet.

Two cases, found on every scheduler tick (any instance; the telling is claimed compare-and-set per version):
- a draft still *pending* at the time its writer proposed: approvers and the writer hear it missed its time; it
  stays decidable (*Approve now*, or *Change time* to approve it for a new one);
- an *approved* draft whose time went by more than `SCHEDULE_GRACE` ago without being tried (the brand was
  paused, or no instance was running): the publisher holds it back, and the approvers are asked *Post now* /
  *New time* / *Cancel* on the card.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.intake.schedule_line import describe
from bot.slack.blocks import card_link
from bot.slack.notify import SLACK_FAILURES, Notifier, _why
from storage import schedule
from storage.models import Draft, Status
from storage.store import Store

log = logging.getLogger(__name__)


class Timekeeper:
    def __init__(
        self, store: Store, notifier: Notifier, zone: ZoneInfo, grace: timedelta, *, brand: str | None = None
    ) -> None:
        self.brand = brand  # one brand's drafts (its notifier's cards); None: every draft
        self.store = store
        self.notifier = notifier
        self.zone = zone
        self.grace = grace

    def run(self, now: datetime) -> int:
        """Tell about every passed time nobody was told about yet; returns how many drafts were told."""
        with self.store.read() as tx:
            waiting = schedule.missed(tx.session, now, brand=self.brand)
            waiting += schedule.late(tx.session, now, self.grace, brand=self.brand)
        told = 0
        for draft in waiting:
            with self.store.transaction() as tx:
                if not schedule.claim_notice(tx.session, draft, now):
                    continue  # decided, edited or told by another instance meanwhile
                tx.audit(
                    draft.id,
                    "time_missed" if draft.status == Status.PENDING else "time_passed_unposted",
                    actor_id="countersign",
                    version=draft.version,
                    detail=draft.publish_at.isoformat() if draft.publish_at else None,
                )
            self.notifier.refresh_cards(draft.id or 0)  # the card now says so, with the buttons to choose
            self._tell(draft, now)
            told += 1
        return told

    def _tell(self, draft: Draft, now: datetime) -> None:
        when = describe(draft.publish_at, now, self.zone) if draft.publish_at else "its time"
        pending = draft.status == Status.PENDING
        if pending:
            what = (
                f"was to go out {when} but is still waiting for a decision, so it didn't."
                " It can still be approved: *Approve now*, or *Change time* for a new time."
            )
        else:
            what = (
                f"was approved to go out {when} and didn't (publishing was paused, or the bot was down)."
                " It won't go out late on its own: *Post now*, *New time* or *Cancel* on the card."
            )
        with self.store.read() as tx:
            cards = tx.cards(draft.id or 0)
        for card in cards:
            who = f"<@{card.approver_id}>" if card.approver_id else self.notifier.audience
            link = card_link(self.notifier.team_url, card)
            text = f":warning: {who}, draft #{draft.id} by <@{draft.writer_id}> {what}"
            text += f" <{link}|Open the card>" if link else ""
            try:
                self.notifier.client.chat_postMessage(channel=card.channel, text=text, unfurl_links=False)
            except SLACK_FAILURES as exc:
                log.error("time notice for draft %s to %s failed: %s", draft.id, card.channel, _why(exc))
        if pending:
            self.notifier.reply(
                draft.channel,
                draft.ts,
                f"Draft #{draft.id} missed its proposed time ({when}): it wasn't decided in time, so nothing went"
                " out. The approvers were told; they can still approve it for a new time, or edit your `at:` line.",
            )
