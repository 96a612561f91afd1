"""Everything the app shows in Slack about a draft: its cards, the writer's thread, and reminders.

Split by what each part owns: cards (`bot.slack.cards`), the writer's thread (`bot.slack.writer_notices`), reminders
(`bot.slack.reminder_notices`); `Notifier` is all three on one set of collaborators, as every caller has it.
"""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient

from bot.approval.outcomes import Outcome
from bot.approval.workflow import Workflow
from bot.slack.cards import CardNotices, RecordedCards
from bot.slack.notify_base import LOCK_STRIPES, SLACK_FAILURES, _why
from bot.slack.reminder_notices import ReminderNotices
from bot.slack.replies import decision_reply
from bot.slack.writer_notices import WriterNotices
from storage.store import Store

__all__ = ["SLACK_FAILURES", "Notifier", "_why"]
log = logging.getLogger(__name__)


class Notifier(CardNotices, WriterNotices, ReminderNotices):
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
        self.recorded = RecordedCards()

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
