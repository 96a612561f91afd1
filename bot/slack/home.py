"""Publishing the App Home tab for one user, from the database."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

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
        # The deployment's brands, once built (bot.runtime.services): the viewer's queue is of the brands they approve.
        self.desks: Callable[[], Any] | None = None

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
        services = self.desks() if self.desks is not None else None
        everyone = list(services.desks.values()) if services is not None else []
        mine = [d for d in everyone if user_id in d.policy.approvers]  # a backup decides from their cards
        is_approver = bool(mine) if services is not None else user_id in self.settings.approvers
        home = mine[0] if mine else (everyone[0] if everyone else None)
        brand, zone = (home.key, home.brand.timezone) if home else ("default", self.settings.timezone)
        networks = home.workflow.brand_networks() if home else ("x",)
        report = status.build(self.store, self.settings, brand=brand, zone=zone, viewer=user_id, networks=networks)
        queue, images, labels = [], {}, {}
        for desk in mine or ([None] if is_approver else []):
            workflow = desk.workflow if desk is not None else self.workflow
            with self.store.read() as tx:
                pending = reports.drafts_in(tx.session, workflow.brand, [Status.PENDING], limit=QUEUE_SHOWN + 1)
                images.update(stored_media.counts(tx.session, pending))
            queue += [(d, workflow.post_text(d, user_id)) for d in pending if d.writer_id != user_id]
            if desk is not None and len(mine) > 1:  # several brands: each draft says whose it is
                labels.update({d.id or 0: desk.name for d in pending})
        queue.sort(key=lambda item: item[0].pending_since or item[0].created_at)
        now = self.workflow.clock()
        drafts = coming_up.load(self.store, now, brand=brand)
        title = "Coming up (next 7 days)"
        coming = coming_up.blocks(drafts, now, zone, title=title, is_approver=is_approver)
        timing = Timing(now, zone, self.settings.schedule_grace)
        view = home_view(
            report,
            queue,
            is_approver=is_approver,
            notice=notice,
            images=images,
            coming=coming,
            timing=timing,
            labels=labels,
        )
        try:
            self.client.views_publish(user_id=user_id, view=view)
        except SlackApiError as exc:
            log.warning("App Home for %s not published: %s", user_id, exc.response.get("error"))
