"""Which Slack Web API calls slack_sdk may send again after a connection error.

slack_sdk's `ConnectionErrorRetryHandler` re-sends any call whose connection failed, including a reset or a
dropped connection after Slack had already done the work. For `chat.update` or `users.info` that is harmless;
for `chat.postMessage` it is a second card or a second thread reply. So a call that creates something is only
re-sent when the error shows the request never reached Slack (the connection was refused); any other failure
is left to the caller, which can look for what Slack kept before posting again (see `bot.slack.lookup`).
"""

from __future__ import annotations

import errno
import socket
from urllib.error import URLError

from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

# Calls whose repetition makes a second thing: a message, an ephemeral, a modal (a trigger is single-use anyway).
NOT_IDEMPOTENT = frozenset(
    {"chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage", "views.open", "views.push"}
)
_NEVER_SENT = (errno.ECONNREFUSED, errno.ENETUNREACH, errno.EHOSTUNREACH)


def method_of(url: str) -> str:
    """`https://slack.com/api/chat.postMessage?x=1` -> `chat.postMessage`."""
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def never_reached_slack(error: BaseException | None) -> bool:
    """The connection was never made (refused, no route, name not resolved): Slack can't have seen the call."""
    reason = error.reason if isinstance(error, URLError) else error
    if isinstance(reason, ConnectionRefusedError | socket.gaierror):
        return True
    return isinstance(reason, OSError) and reason.errno in _NEVER_SENT


class SafeConnectionErrorRetryHandler(ConnectionErrorRetryHandler):
    """Retries connection errors like slack_sdk's handler, except that a call which creates something is
    re-sent only when it never reached Slack."""

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        return method_of(request.url) not in NOT_IDEMPOTENT or never_reached_slack(error)
