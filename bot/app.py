"""The Bolt app factory: no globals, nothing built at import."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltResponse

from bot.logs import new_correlation_id
from bot.services import Services
from handlers import actions, commands, drafts, views

log = logging.getLogger(__name__)


def build_app(services: Services, *, socket_mode: bool = False) -> App:
    settings = services.settings
    app = App(
        signing_secret=settings.slack_signing_secret or None,
        client=services.client,
        # Ack first, work after: listeners run on this pool once ack() has answered Slack.
        process_before_response=False,
        listener_executor=services.listeners,
        request_verification_enabled=not socket_mode,
        logger=logging.getLogger("countersign.bolt"),
    )

    @app.middleware
    def correlate(next: Any) -> Any:
        new_correlation_id()
        return next()

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse | None:
        kind = body.get("type") if isinstance(body, dict) else None
        log.error("listener failed on a %s payload: %s: %s", kind, type(error).__name__, error, exc_info=error)
        return None

    for module in (drafts, actions, views, commands):
        module.register(app, services)
    return app
