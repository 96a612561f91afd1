"""diagnose() for each kind of failure, on the exceptions Mastodon.py really raises against the stand-in."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from mastodon import MastodonAPIError, MastodonIllegalArgumentError

from bot.networks.base import Verdict
from bot.networks.mastodon.account import MastodonAccount
from bot.networks.mastodon.errors import RateLimited, diagnose
from bot.networks.mastodon.sandbox import MastodonSandbox


def failure(call: Callable[[], object]) -> BaseException:
    with pytest.raises(Exception) as raised:
        call()
    return raised.value


def test_refused_connection_is_retry(sandbox: MastodonSandbox) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    account = MastodonAccount(f"http://127.0.0.1:{port}", "token-test")
    diagnosis = account.diagnose(failure(lambda: account.post("x", key="k")))
    assert (diagnosis.verdict, diagnosis.reason) == (Verdict.RETRY, "could not connect to the Mastodon instance")


def test_429_is_retry_at_the_reset_header(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    sandbox.fail("POST /api/v1/statuses", 429, reset_in=120)
    exc = failure(lambda: account.post("x", key="k"))
    assert isinstance(exc, RateLimited) and exc.reset is not None
    diagnosis = account.diagnose(exc)
    assert diagnosis.verdict is Verdict.RETRY
    assert diagnosis.retry_at == pytest.approx(time.time() + 120, abs=3)


def test_reset_header_is_read_as_iso_8601() -> None:
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    reset = (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    diagnosis = diagnose(RateLimited(reset), now=now.timestamp())
    assert diagnosis.retry_at == (now + timedelta(minutes=5)).timestamp()
    assert diagnose(RateLimited(None), now=now.timestamp()).retry_at == now.timestamp() + 60


def test_read_timeout_is_retry_because_of_the_key(sandbox: MastodonSandbox) -> None:
    sandbox.hang("POST /api/v1/statuses", seconds=2)
    impatient = MastodonAccount(sandbox.url, "token-test", timeout=(1.0, 0.3))
    diagnosis = impatient.diagnose(failure(lambda: impatient.post("x", key="k")))
    assert diagnosis.verdict is Verdict.RETRY
    assert diagnosis.reason.startswith("the instance did not answer in time")
    assert "same Idempotency-Key within the hour" in diagnosis.reason


def test_dropped_connection_is_retry_because_of_the_key(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    sandbox.drop("POST /api/v1/statuses")
    diagnosis = account.diagnose(failure(lambda: account.post("x", key="k")))
    assert diagnosis.verdict is Verdict.RETRY
    assert diagnosis.reason.startswith("the connection to the instance dropped")


@pytest.mark.parametrize("status", [500, 502, 503, 504, 507])
def test_5xx_is_retry_because_of_the_key(account: MastodonAccount, sandbox: MastodonSandbox, status: int) -> None:
    sandbox.fail("POST /api/v1/statuses", status)
    diagnosis = account.diagnose(failure(lambda: account.post("x", key="k")))
    assert diagnosis.verdict is Verdict.RETRY
    assert (
        diagnosis.reason == f"the instance answered {status}: sending again with the same Idempotency-Key within "
        "the hour cannot post twice"
    )


def test_401_is_failed_with_the_fix(sandbox: MastodonSandbox) -> None:
    account = MastodonAccount(sandbox.url, "revoked", token_env="ACME_MASTODON_TOKEN")
    diagnosis = account.diagnose(failure(lambda: account.post("x", key="k")))
    assert diagnosis.verdict is Verdict.FAILED
    assert "refused the access token (401)" in diagnosis.reason and "ACME_MASTODON_TOKEN" in diagnosis.reason


def test_403_missing_scope_is_failed_with_the_fix(sandbox: MastodonSandbox) -> None:
    sandbox.add_token("reader", {"read"})
    account = MastodonAccount(sandbox.url, "reader", token_env="ACME_MASTODON_TOKEN")
    diagnosis = account.diagnose(failure(lambda: account.post("x", key="k")))
    assert diagnosis.verdict is Verdict.FAILED
    assert "This action is outside the authorized scopes" in diagnosis.reason
    assert "ACME_MASTODON_TOKEN" in diagnosis.reason


def test_403_for_the_account_is_failed(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    sandbox.fail("POST /api/v1/statuses", 403, body={"error": "Your login is currently disabled"})
    diagnosis = account.diagnose(failure(lambda: account.post("x", key="k")))
    assert diagnosis.verdict is Verdict.FAILED
    assert "Your login is currently disabled" in diagnosis.reason and "suspended" in diagnosis.reason


def test_422_is_failed_with_the_servers_message(account: MastodonAccount) -> None:
    diagnosis = account.diagnose(failure(lambda: account.post("a" * 501, key="k")))
    assert diagnosis == type(diagnosis)(
        Verdict.FAILED, "the instance refused the post (422): Validation failed: Text character limit of 500 exceeded"
    )


def test_422_media_not_processed_yet_is_retry(account: MastodonAccount, sandbox: MastodonSandbox) -> None:
    sandbox.media_processing(polls=5, seconds=60, large_over=10)
    media = account.api.media_post(b"x" * 100, mime_type="image/png")  # not waited for, on purpose
    diagnosis = account.diagnose(failure(lambda: account.post("x", key="k", media=[media["id"]])))
    assert diagnosis.verdict is Verdict.RETRY and "still processing" in diagnosis.reason


def test_404_reply_target_is_failed(account: MastodonAccount) -> None:
    diagnosis = account.diagnose(failure(lambda: account.post("x", key="k", reply_to="1")))
    assert diagnosis.verdict is Verdict.FAILED and "does not appear to exist" in diagnosis.reason


def test_unknown_is_uncertain() -> None:
    assert diagnose(RuntimeError("boom")).verdict is Verdict.UNCERTAIN
    odd = MastodonAPIError("Could not parse response as JSON, response code was 200")
    assert diagnose(odd).verdict is Verdict.UNCERTAIN


def test_a_refused_argument_is_failed_not_retried() -> None:
    assert diagnose(MastodonIllegalArgumentError("Invalid media dict")).verdict is Verdict.FAILED
