"""Logging set-up: one line per record (text, or JSON with LOG_FORMAT=json), a short correlation id per
Slack request, secrets never printed."""

from __future__ import annotations

import contextvars
import json
import logging
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
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


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log pipelines: time, level, logger, message, correlation id, error.

    Secrets are removed from the whole line (the traceback too), not only from the message.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": getattr(record, "cid", correlation_id.get()),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        line = json.dumps(entry, ensure_ascii=False)
        for secret in self.secrets:
            line = line.replace(secret, "[redacted]")
        return line


FORMATS = ("text", "json")


def configure(level: str = "INFO", secrets: Iterable[str] = (), fmt: str = "text") -> None:
    secrets = tuple(secrets)
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter(secrets))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(cid)s] %(name)s: %(message)s"))
    handler.addFilter(Redactor(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("urllib3", "slack_sdk.web.base_client", "waitress.queue"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
