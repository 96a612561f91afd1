"""What every part of the Notifier shares: its collaborators and per-draft locks, what counts as Slack failing, and
which moves the writer hears of. The parts are split by what they own: cards (`bot.slack.cards`), the writer's
thread (`bot.slack.writer_notices`), reminders (`bot.slack.reminder_notices`)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import TYPE_CHECKING

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.approval.workflow import Workflow
from storage.models import Status
from storage.store import Store

if TYPE_CHECKING:
    from bot.slack.cards import RecordedCards

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


class NotifierBase:
    """The state the Notifier's parts share (set by `bot.slack.notify.Notifier`)."""

    client: WebClient
    store: Store
    workflow: Workflow
    approvers: tuple[str, ...]
    approval_channel: str
    team_url: str
    bot_user_id: str
    backups: tuple[str, ...]
    _locks: list[threading.Lock]
    recorded: RecordedCards  # bot.slack.cards

    def _lock(self, draft_id: int) -> threading.Lock:
        return self._locks[draft_id % LOCK_STRIPES]

    @property
    def audience(self) -> str:
        if self.approval_channel:
            return f"<#{self.approval_channel}>"
        return " and ".join(f"<@{a}>" for a in self.approvers)
