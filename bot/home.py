"""Publishing the App Home tab for one user, from the database."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import status
from bot.coalesce import Coalescer
from bot.home_view import QUEUE_SHOWN, home_view
from bot.settings import Settings
from bot.workflow import Workflow
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

    def publish(self, user_id: str) -> None:
        """Publish `user_id`'s App Home, folding requests that arrive while it is being built into one more."""
        self._refresh(user_id)

    def _publish(self, user_id: str) -> None:
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
        view = home_view(report, queue, is_approver=is_approver, images=images)
        try:
            self.client.views_publish(user_id=user_id, view=view)
        except SlackApiError as exc:
            log.warning("App Home for %s not published: %s", user_id, exc.response.get("error"))
