"""Reminders as people see them: a DM to each approver still to decide, pointing at their card."""

from __future__ import annotations

import logging

from bot.slack.blocks import card_link
from bot.slack.notify_base import (
    SLACK_FAILURES,
    NotifierBase,
    _why,
)
from storage.models import Draft

log = logging.getLogger(__name__)


class ReminderNotices(NotifierBase):
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
