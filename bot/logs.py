"""Logging set-up: one line per record, a short correlation id per Slack request, secrets never printed."""

from __future__ import annotations

import contextvars
import logging
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")


class ContextExecutor(ThreadPoolExecutor):
    """A pool whose tasks run in the submitter's context, so a request's correlation id follows its
    listener onto the worker thread (Bolt acks on the request thread and works on this pool)."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


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
