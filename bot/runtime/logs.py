"""Logging set-up: one line per record (text, or JSON with LOG_FORMAT=json), a short correlation id per
Slack request, secrets never printed."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import threading
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


REDACTED = "[redacted]"
_secrets: set[str] = set()  # every secret an app in this process was built with; logging is process-wide
_secrets_lock = threading.Lock()
_secrets_pattern: re.Pattern[str] | None = None
_make_record: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()


def redact_everywhere(secrets: Iterable[str]) -> None:
    """Scrub these secrets from every log record this process makes from now on: message, traceback and stack,
    whichever logger makes it and whichever handler (ours, pytest's, an embedding app's) gets it, whether or not
    `configure()` ran. At DEBUG, requests-oauthlib and oauthlib log the X keys (`oauth_consumer_key`,
    `oauth_token`) in signed headers and base strings; slack_sdk, tweepy and Bolt may print others in errors."""
    global _secrets_pattern, _make_record
    with _secrets_lock:
        _secrets.update(s for s in secrets if len(s) >= 6)
        ordered = sorted(_secrets, key=len, reverse=True)
        _secrets_pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None
        if logging.getLogRecordFactory() is not _redacting_record:
            _make_record = logging.getLogRecordFactory()
            logging.setLogRecordFactory(_redacting_record)


def _redacting_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _make_record(*args, **kwargs)
    pattern = _secrets_pattern
    if pattern is None:
        return record
    try:
        message = record.getMessage()
    except Exception:  # a malformed logging call; logging itself reports it when the record is emitted
        return record
    scrubbed = pattern.sub(REDACTED, message)
    if scrubbed != message:
        record.msg, record.args = scrubbed, None
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        trace = logging.Formatter().formatException(record.exc_info)
        if pattern.search(trace):
            record.exc_text = pattern.sub(REDACTED, trace)  # formatters use exc_text once it is set
    if record.stack_info:
        record.stack_info = pattern.sub(REDACTED, record.stack_info)
    return record


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
    redact_everywhere(secrets)
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
