"""Publishing the App Home tab for one user, from the database."""

from __future__ import annotations

import logging
import threading

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.approval.workflow import Workflow
from bot.intake.coalesce import Coalescer
from bot.reports import coming_up, status
from bot.runtime.settings import Settings
from bot.slack.home_view import QUEUE_SHOWN, home_view
from bot.slack.schedule_blocks import Timing
from storage import media as stored_media
from storage import reports
from storage.models import Status
from storage.store import Store

log = logging.getLogger(__name__)


class Home:
    def __init__(self, client: WebClient, store: Store, workflow: Workflow, settings: Settings) -> None:
        self.client = client
        self.store = store
        self.workflow = workflow
        self.settings = settings
        self._refresh: Coalescer[str] = Coalescer(self._publish)
        self._notices: dict[str, str] = {}
        self._notices_lock = threading.Lock()

    def publish(self, user_id: str, notice: str | None = None) -> None:
        """Publish `user_id`'s App Home, folding requests that arrive while it is being built into one more.

        `notice`: what a click in the Home tab came to (a refusal). Slack has no ephemeral for a view (a user
        id is no channel for chat.postEphemeral), so it is shown at the top of the tab they are looking at,
        once: the next publish shows the plain queue."""
        if notice:
            with self._notices_lock:
                self._notices[user_id] = notice
        self._refresh(user_id)

    def _publish(self, user_id: str) -> None:
        with self._notices_lock:
            notice = self._notices.pop(user_id, None)
        is_approver = user_id in self.settings.approvers
        report = status.build(self.store, self.settings, viewer=user_id)
        queue = []
        if is_approver:
            with self.store.read() as tx:
                pending = reports.drafts_in(tx.session, "default", [Status.PENDING], limit=QUEUE_SHOWN + 1)
                images = stored_media.counts(tx.session, pending)
            queue = [(d, self.workflow.post_text(d, user_id)) for d in pending if d.writer_id != user_id]
        else:
            images = {}
        now = self.workflow.clock()
        drafts = coming_up.load(self.store, now)
        title = "Coming up (next 7 days)"
        coming = coming_up.blocks(drafts, now, self.settings.timezone, title=title, is_approver=is_approver)
        timing = Timing(now, self.settings.timezone, self.settings.schedule_grace)
        view = home_view(
            report, queue, is_approver=is_approver, notice=notice, images=images, coming=coming, timing=timing
        )
        try:
            self.client.views_publish(user_id=user_id, view=view)
        except SlackApiError as exc:
            log.warning("App Home for %s not published: %s", user_id, exc.response.get("error"))
