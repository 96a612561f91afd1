"""The one way an unexpected failure reaches people: a log line with the request's reference, and that
reference (never a traceback) told privately to whoever clicked or typed."""

from __future__ import annotations

import logging
from typing import Any

from bot.approval.refs import slack_id
from bot.runtime.logs import correlation_id
from bot.slack.notify import Notifier
from bot.slack.replies import unexpected_error

log = logging.getLogger("bot.runtime.failures")


def report(notifier: Notifier, body: Any, error: BaseException) -> None:
    kind = body.get("type") if isinstance(body, dict) else None
    reference = correlation_id.get()
    log.error(
        "listener failed on a %s payload (reference %s): %s", kind, reference, type(error).__name__, exc_info=error
    )
    if not isinstance(body, dict):
        return
    user = body.get("user")
    container = body.get("container")
    user_id = slack_id(user.get("id")) if isinstance(user, dict) else None
    channel = slack_id(container.get("channel_id")) if isinstance(container, dict) else None
    if user_id is not None:
        notifier.ephemeral(channel, user_id, unexpected_error(reference))
