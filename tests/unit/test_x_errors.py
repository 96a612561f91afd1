"""diagnose(): what a tweepy/requests exception means for a post (retry, uncertain, failed).

HTTP errors are raised by tweepy itself: a real tweepy.Client whose session hands back a real
requests.Response with X's status, headers and JSON problem body, so the exception class is tweepy's
choice. Connection errors are built the way requests builds them, and also produced for real on loopback.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.client import RemoteDisconnected
from typing import Any

import pytest
import requests
import tweepy
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError, ProtocolError

from bot.networks.x.client import XAccount
from bot.networks.x.errors import Verdict, diagnose

NOW = 1_763_800_000.0
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."


def x_response(
    status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    response.url = "https://api.twitter.com/2/tweets"
    response.headers.update({"content-type": "application/json; charset=utf-8", **(headers or {})})
    response._content = json.dumps(body).encode() if body is not None else b""
    return response


def problem(status: int, detail: str, title: str | None = None, type_: str = "about:blank") -> dict[str, Any]:
    return {"title": title or HTTPStatus(status).phrase, "detail": detail, "type": type_, "status": status}


class CannedSession(requests.Session):
    def __init__(self, response: requests.Response) -> None:
        super().__init__()
        self.response = response

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        return self.response


def raised_by_tweepy(response: requests.Response) -> tweepy.TweepyException:
    client = tweepy.Client(consumer_key="k", consumer_secret="s", access_token="t", access_token_secret="ts")
    client.session = CannedSession(response)
    with pytest.raises(tweepy.TweepyException) as caught:
        client.create_tweet(text="Fresh beans are in.", user_auth=True)
    return caught.value


# -- 429 -------------------------------------------------------------------------------------


def rate_limited(**headers: str) -> tweepy.TweepyException:
    exc = raised_by_tweepy(x_response(429, problem(429, "Too Many Requests"), headers))
    assert isinstance(exc, tweepy.TooManyRequests)
    return exc


def test_429_is_retried_at_the_15_minute_reset() -> None:
    exc = rate_limited(
        **{"x-rate-limit-limit": "100", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(NOW) + 600)}
    )
    diagnosis = diagnose(exc, now=NOW)
    assert diagnosis.verdict is Verdict.RETRY
    assert diagnosis.retry_at == NOW + 600


def test_429_with_the_daily_user_cap_exhausted_waits_for_the_24_hour_reset() -> None:
    exc = rate_limited(
        **{
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(NOW) + 600),
            "x-user-limit-24hour-limit": "17",
            "x-user-limit-24hour-remaining": "0",
            "x-user-limit-24hour-reset": str(int(NOW) + 50_000),
        }
    )
    diagnosis = diagnose(exc, now=NOW)
    assert diagnosis.verdict is Verdict.RETRY
    assert diagnosis.retry_at == NOW + 50_000


def test_429_with_the_daily_app_cap_exhausted_waits_for_its_reset() -> None:
    exc = rate_limited(
        **{
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(NOW) + 600),
            "x-app-limit-24hour-remaining": "0",
            "x-app-limit-24hour-reset": str(int(NOW) + 80_000),
        }
    )
    assert diagnose(exc, now=NOW).retry_at == NOW + 80_000


def test_429_ignores_a_daily_window_that_still_has_room() -> None:
    exc = rate_limited(
        **{
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(NOW) + 600),
            "x-user-limit-24hour-remaining": "12",
            "x-user-limit-24hour-reset": str(int(NOW) + 50_000),
        }
    )
    assert diagnose(exc, now=NOW).retry_at == NOW + 600


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-rate-limit-remaining": "0", "x-rate-limit-reset": str(int(NOW) - 5)},  # already past
        {"x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": "soon"},  # tweepy doesn't parse it
    ],
)
def test_429_without_a_usable_reset_still_waits_a_little(headers: dict[str, str]) -> None:
    diagnosis = diagnose(rate_limited(**headers), now=NOW)
    assert diagnosis.verdict is Verdict.RETRY
    assert diagnosis.retry_at is not None
    assert NOW < diagnosis.retry_at <= NOW + 15 * 60


# -- other HTTP answers ----------------------------------------------------------------------


def test_403_duplicate_content_is_uncertain_not_failed() -> None:
    exc = raised_by_tweepy(x_response(403, problem(403, DUPLICATE)))
    assert isinstance(exc, tweepy.Forbidden)
    diagnosis = diagnose(exc, now=NOW)
    assert diagnosis.verdict is Verdict.UNCERTAIN
    assert diagnosis.retry_at is None


def test_403_for_another_reason_fails_and_points_at_the_keys() -> None:
    detail = "Your client app is not configured with the appropriate oauth1 app permissions for this endpoint."
    exc = raised_by_tweepy(x_response(403, problem(403, detail)))
    diagnosis = diagnose(exc, now=NOW)
    assert diagnosis.verdict is Verdict.FAILED
    assert "keys" in diagnosis.reason
    assert "oauth1 app permissions" in diagnosis.reason


def test_401_fails_and_points_at_the_keys() -> None:
    exc = raised_by_tweepy(x_response(401, problem(401, "Unauthorized")))
    assert isinstance(exc, tweepy.Unauthorized)
    diagnosis = diagnose(exc, now=NOW)
    assert diagnosis.verdict is Verdict.FAILED
    assert "keys" in diagnosis.reason


def test_402_fails_and_says_the_account_is_out_of_credits() -> None:
    body = problem(
        402,
        "Your enrolled account does not have any credits to fulfill this request.",
        title="CreditsDepleted",
        type_="https://api.twitter.com/2/problems/credits",
    )
    exc = raised_by_tweepy(x_response(402, body))
    assert type(exc) is tweepy.HTTPException
    diagnosis = diagnose(exc, now=NOW)
    assert diagnosis.verdict is Verdict.FAILED
    assert "credits" in diagnosis.reason


def test_400_fails_with_xs_message() -> None:
    body = {
        "errors": [{"message": "Your Tweet text is too long."}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }
    exc = raised_by_tweepy(x_response(400, body))
    assert isinstance(exc, tweepy.BadRequest)
    diagnosis = diagnose(exc, now=NOW)
    assert diagnosis.verdict is Verdict.FAILED
    assert "Your Tweet text is too long." in diagnosis.reason


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_is_uncertain(status: int) -> None:
    exc = raised_by_tweepy(x_response(status, problem(status, HTTPStatus(status).phrase)))
    assert isinstance(exc, tweepy.TwitterServerError)
    diagnosis = diagnose(exc, now=NOW)
    assert diagnosis.verdict is Verdict.UNCERTAIN
    assert str(status) in diagnosis.reason


def test_5xx_with_an_html_body_is_still_uncertain() -> None:
    response = x_response(503)
    response._content = b"<html>Over capacity</html>"
    diagnosis = diagnose(raised_by_tweepy(response), now=NOW)
    assert diagnosis.verdict is Verdict.UNCERTAIN


# -- connection errors, built the way requests builds them ------------------------------------


def refused() -> requests.ConnectionError:
    conn = HTTPConnection("api.twitter.com", 443)
    reason = NewConnectionError(conn, "Failed to establish a new connection: [Errno 111] Connection refused")
    pool = HTTPConnectionPool("api.twitter.com", 443)
    return requests.ConnectionError(MaxRetryError(pool, "/2/tweets", reason=reason))


def unresolvable() -> requests.ConnectionError:
    conn = HTTPConnection("api.twitter.com", 443)
    reason = NameResolutionError("api.twitter.com", conn, socket.gaierror(-2, "Name or service not known"))
    pool = HTTPConnectionPool("api.twitter.com", 443)
    return requests.ConnectionError(MaxRetryError(pool, "/2/tweets", reason=reason))


def dropped() -> requests.ConnectionError:
    cause = RemoteDisconnected("Remote end closed connection without response")
    return requests.ConnectionError(ProtocolError("Connection aborted.", cause))


def reset() -> requests.ConnectionError:
    cause = ConnectionResetError(104, "Connection reset by peer")
    return requests.ConnectionError(ProtocolError("Connection aborted.", cause))


@pytest.mark.parametrize(
    ("make", "verdict"),
    [
        (refused, Verdict.RETRY),
        (unresolvable, Verdict.RETRY),
        (lambda: requests.ConnectTimeout("connect timed out"), Verdict.RETRY),
        (lambda: requests.ReadTimeout("read timed out"), Verdict.UNCERTAIN),
        (dropped, Verdict.UNCERTAIN),
        (reset, Verdict.UNCERTAIN),
        (lambda: RuntimeError("boom"), Verdict.UNCERTAIN),
    ],
    ids=["refused", "unresolvable", "connect-timeout", "read-timeout", "dropped", "reset", "unexpected"],
)
def test_connection_failures(make: Any, verdict: Verdict) -> None:
    diagnosis = diagnose(make(), now=NOW)
    assert diagnosis.verdict is verdict
    assert diagnosis.retry_at is None
    assert diagnosis.reason


# -- the same, for real, through XAccount on loopback ---------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def account(port: int) -> XAccount:
    return XAccount(
        api_key="k",
        api_secret="s",
        access_token="t",
        access_token_secret="ts",
        base_url=f"http://127.0.0.1:{port}",
        timeout=(1.0, 0.3),
    )


@pytest.fixture
def misbehaving_server() -> Iterator[tuple[int, list[str]]]:
    """Accepts connections and then does what `mode[0]` says: 'drop' or 'hang'."""
    mode = ["drop"]
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(5)
    held: list[socket.socket] = []

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        conn.recv(65536)
        if mode[0] == "drop":
            conn.close()
        else:
            held.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], mode
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def test_a_refused_connection_for_real_is_retried() -> None:
    with pytest.raises(requests.ConnectionError) as caught:
        account(free_port()).post("Fresh beans are in.")
    assert diagnose(caught.value, now=NOW).verdict is Verdict.RETRY


def test_a_connection_dropped_for_real_after_sending_is_uncertain(misbehaving_server: tuple[int, list[str]]) -> None:
    port, mode = misbehaving_server
    mode[0] = "drop"
    with pytest.raises(requests.ConnectionError) as caught:
        account(port).post("Fresh beans are in.")
    assert diagnose(caught.value, now=NOW).verdict is Verdict.UNCERTAIN


def test_a_read_timeout_for_real_is_uncertain(misbehaving_server: tuple[int, list[str]]) -> None:
    port, mode = misbehaving_server
    mode[0] = "hang"
    with pytest.raises(requests.ReadTimeout) as caught:
        account(port).post("Fresh beans are in.")
    assert diagnose(caught.value, now=NOW).verdict is Verdict.UNCERTAIN
