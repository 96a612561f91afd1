"""Which Slack calls slack_sdk may send again after a connection error (issue 9, case 11a)."""

from __future__ import annotations

from http.client import RemoteDisconnected
from urllib.error import URLError

import pytest
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.state import RetryState

from bot.slack.retry import SafeConnectionErrorRetryHandler, method_of


def can_retry(method: str, error: Exception) -> bool:
    request = HttpRequest(method="POST", url=f"https://slack.com/api/{method}", headers={})
    return SafeConnectionErrorRetryHandler(max_retry_count=2).can_retry(
        state=RetryState(), request=request, response=None, error=error
    )


RESET = URLError(ConnectionResetError(104, "Connection reset by peer"))
REFUSED = URLError(ConnectionRefusedError(111, "Connection refused"))


@pytest.mark.parametrize("error", [RESET, ConnectionResetError(), RemoteDisconnected("closed")])
def test_a_post_that_may_have_reached_slack_is_not_sent_again(error: Exception) -> None:
    assert not can_retry("chat.postMessage", error)
    assert not can_retry("chat.postEphemeral", error)


@pytest.mark.parametrize("method", ["chat.update", "users.info", "views.publish", "conversations.open"])
def test_idempotent_calls_keep_slack_sdks_retries(method: str) -> None:
    assert can_retry(method, RESET)


def test_a_post_that_never_reached_slack_is_retried() -> None:
    assert can_retry("chat.postMessage", REFUSED)


def test_the_method_is_read_from_the_url() -> None:
    assert method_of("http://127.0.0.1:1/api/chat.postMessage") == "chat.postMessage"
    assert method_of("https://slack.com/api/users.info?user=U1") == "users.info"
