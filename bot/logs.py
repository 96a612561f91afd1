"""Logging set-up: one line per record, a short correlation id per Slack request, secrets never printed."""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Iterable

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")


def new_correlation_id() -> str:
    cid = uuid.uuid4().hex[:8]
    correlation_id.set(cid)
    return cid


class Redactor(logging.Filter):
    """Replaces any configured secret in a formatted message, wherever it came from."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        record.cid = correlation_id.get()
        if self.secrets:
            message = record.getMessage()
            redacted = message
            for secret in self.secrets:
                redacted = redacted.replace(secret, "[redacted]")
            if redacted != message or record.exc_info:
                record.msg, record.args = redacted, None
        return True


def configure(level: str = "INFO", secrets: Iterable[str] = ()) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(cid)s] %(name)s: %(message)s"))
    handler.addFilter(Redactor(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("urllib3", "slack_sdk.web.base_client", "waitress.queue"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
