"""diagnose() on the exceptions the real atproto SDK raises against the stand-in, one per kind of failure."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import httpx
import pytest
from atproto import Client, Session
from atproto_client import exceptions as atx
from atproto_client import models
from atproto_client.request import Request

from bot.networks.base import Verdict
from bot.networks.bluesky.errors import diagnose
from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.networks.bluesky.tid import new_tid
from tests.networks.bluesky.conftest import HANDLE, PASSWORD

FIX = "Create an app password at Settings → Privacy and security → App passwords and set BLUESKY_APP_PASSWORD."


def client_for(pds: BlueskySandbox, read_timeout: float = 2.0) -> Client:
    client = Client(pds.url, request=Request(timeout=httpx.Timeout(read_timeout, connect=2.0)))
    client.login(HANDLE, PASSWORD, fetch_bsky_profile=False)
    return client


def create(pds: BlueskySandbox, client: Client, text: str = "Hello.") -> Callable[[], object]:
    record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-01-01T00:00:00.000Z"}
    data = models.ComAtprotoRepoCreateRecord.Data(
        repo=pds.did, collection="app.bsky.feed.post", rkey=new_tid(), record=record
    )
    return lambda: client.com.atproto.repo.create_record(data)


def raised(call: Callable[[], object]) -> BaseException:
    with pytest.raises(Exception) as caught:  # whatever the SDK raises: the tests then say which
        call()
    return caught.value


def test_connection_refused_is_retry(pds: BlueskySandbox) -> None:
    client = client_for(pds)
    pds.go_down()
    exc = raised(create(pds, client))
    assert isinstance(exc, atx.NetworkError) and exc.response is None
    assert diagnose(exc).verdict is Verdict.RETRY


def test_connect_timeout_is_retry_read_timeout_is_uncertain(pds: BlueskySandbox) -> None:
    try:
        raise atx.InvokeTimeoutError from httpx.ConnectTimeout("timed out")
    except atx.InvokeTimeoutError as exc:
        assert diagnose(exc).verdict is Verdict.RETRY  # how the SDK wraps httpx's connect timeout
    client = client_for(pds, read_timeout=0.3)
    pds.hang(seconds=1.0)
    exc = raised(create(pds, client))
    assert isinstance(exc, atx.InvokeTimeoutError) and isinstance(exc.__cause__, httpx.ReadTimeout)
    assert diagnose(exc).verdict is Verdict.UNCERTAIN


def test_a_dropped_connection_is_uncertain(pds: BlueskySandbox) -> None:
    client = client_for(pds)
    pds.drop()
    assert diagnose(raised(create(pds, client))).verdict is Verdict.UNCERTAIN


def test_429_is_retry_at_the_reset(pds: BlueskySandbox) -> None:
    client = client_for(pds)
    pds.rate_limit(reset_in=600)
    diagnosis = diagnose(raised(create(pds, client)))
    assert diagnosis.verdict is Verdict.RETRY
    assert diagnosis.retry_at is not None and 590 <= diagnosis.retry_at - time.time() <= 601


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_uncertain(pds: BlueskySandbox, status: int) -> None:
    client = client_for(pds)
    pds.fail(status=status)
    diagnosis = diagnose(raised(create(pds, client)))
    assert diagnosis.verdict is Verdict.UNCERTAIN and str(status) in diagnosis.reason


def test_a_wrong_app_password_is_failed_with_the_fix(pds: BlueskySandbox) -> None:
    exc = raised(lambda: Client(pds.url).login(HANDLE, "wrong-wrong-wrong-wrong"))
    diagnosis = diagnose(exc)
    assert diagnosis.verdict is Verdict.FAILED
    assert "Invalid identifier or password" in diagnosis.reason and diagnosis.reason.endswith(FIX)
    assert diagnose(exc, password_var="ACME_BSKY_PW").reason.endswith("set ACME_BSKY_PW.")


def test_an_unverifiable_token_is_failed_with_the_fix(pds: BlueskySandbox) -> None:
    payload = base64.urlsafe_b64encode(json.dumps({"exp": int(time.time()) + 7200}).encode()).decode().rstrip("=")
    forged = f"eyJhbGciOiJIUzI1NiJ9.{payload}.c2ln"
    client = Client(pds.url)
    client.login(session_string=Session(HANDLE, pds.did, forged, forged, pds.url).export(), fetch_bsky_profile=False)
    exc = raised(create(pds, client))
    assert isinstance(exc, atx.BadRequestError) and exc.response.content.error == "InvalidToken"
    diagnosis = diagnose(exc)
    assert diagnosis.verdict is Verdict.FAILED and diagnosis.reason.endswith(FIX)


def test_an_expired_token_is_retry(pds: BlueskySandbox) -> None:
    client = client_for(pds)
    pds.expire_access_tokens()
    assert diagnose(raised(create(pds, client))).verdict is Verdict.RETRY


def test_a_refused_record_is_failed_with_the_servers_message(pds: BlueskySandbox) -> None:
    client = client_for(pds)
    diagnosis = diagnose(raised(create(pds, client, "a" * 301)))
    assert diagnosis.verdict is Verdict.FAILED
    assert diagnosis.reason == (
        "Bluesky refused the post (400 InvalidRequest): Invalid app.bsky.feed.post record: "
        "grapheme too big (maximum 300, got 301) at $.record.text"
    )


def test_an_upload_over_the_limit_is_failed(pds: BlueskySandbox) -> None:
    client = client_for(pds)
    pds.upload_limit = 100
    exc = raised(lambda: client.com.atproto.repo.upload_blob(b"\xff\xd8\xff" + b"\0" * 200))
    assert isinstance(exc, atx.NetworkError)  # the SDK files 413 with the transport errors
    diagnosis = diagnose(exc)
    assert diagnosis.verdict is Verdict.FAILED and "too large" in diagnosis.reason


def test_anything_else_is_uncertain() -> None:
    assert diagnose(RuntimeError("surprise")).verdict is Verdict.UNCERTAIN
    assert diagnose(httpx.RemoteProtocolError("Server disconnected")).verdict is Verdict.UNCERTAIN
