"""Kept connections: the sandboxes speak HTTP/1.1 keep-alive as Slack's and X's front ends do, and the app's
clients (bot.runtime.services: slack_sdk's WebClient through bot.slack.http, tweepy's Client on its one session) reuse
connections, from many threads at once, through stale connections and outages, without sending anything twice.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.error import HTTPError, URLError

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.networks.x.client import XAccount
from bot.runtime.accounts import x_account
from bot.runtime.services import slack_client
from bot.sandbox import SlackSandbox, XSandbox
from bot.sandbox.http_base import Reply, Request, SandboxServer, _Server
from bot.slack.http import KeptConnections


@pytest.fixture(scope="module")
def slack_server() -> Iterator[SlackSandbox]:
    with SlackSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def slack(slack_server: SlackSandbox) -> Iterator[SlackSandbox]:
    if not slack_server.is_up:
        slack_server.come_up()
    slack_server.reset()
    yield slack_server
    slack_server.idle_timeout = SandboxServer.idle_timeout


@pytest.fixture(scope="module")
def x_server() -> Iterator[XSandbox]:
    with XSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def x(x_server: XSandbox) -> XSandbox:
    x_server.reset()
    return x_server


def settings_for(slack: SlackSandbox | None, x: XSandbox | None = None) -> SimpleNamespace:
    """What bot.runtime.services reads to build the clients."""
    return SimpleNamespace(
        slack_bot_token=slack.bot_token if slack else "xoxb-unused",
        slack_api_url=slack.url if slack else "http://127.0.0.1:9/api/",
        x_api_key=x.consumer_key if x else "k",
        x_api_secret="s",
        x_access_token="t",
        x_access_token_secret="s",
        x_api_url=x.url if x else "http://127.0.0.1:9",
    )


@pytest.fixture
def client(slack: SlackSandbox) -> WebClient:
    return slack_client(settings_for(slack))  # type: ignore[arg-type]


@pytest.fixture
def account(x: XSandbox) -> XAccount:
    return x_account(settings_for(None, x))  # type: ignore[arg-type]


def opened(server: SandboxServer) -> int:
    with server._lock:
        return server.connections_opened


def raw(server: SandboxServer) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)


# -- the sandboxes on the wire -----------------------------------------------------------------------------------


def test_the_sandbox_answers_several_requests_on_one_connection(slack: SlackSandbox) -> None:
    connection, before = raw(slack), opened(slack)
    answers = []
    for _ in range(3):
        connection.request("POST", "/api/auth.test", headers={"Authorization": f"Bearer {slack.bot_token}"})
        answer = connection.getresponse()
        answers.append((answer.status, answer.getheader("Content-Length"), answer.getheader("Connection")))
        answer.read()
        assert not answer.will_close
    connection.close()
    assert all(status == 200 and length and int(length) > 0 and conn is None for status, length, conn in answers)
    assert opened(slack) - before == 1


def test_an_answer_on_a_kept_connection_does_not_wait_for_a_delayed_ack(slack: SlackSandbox) -> None:
    """Headers and body are two writes; without TCP_NODELAY the body waits for the client's delayed ACK (40 ms
    or more on Linux) on every answer after the first. The median of ten answers shows which it is."""
    connection, took = raw(slack), []
    headers = {"Authorization": f"Bearer {slack.bot_token}"}
    for _ in range(11):
        started = time.perf_counter()
        connection.request("POST", "/api/auth.test", headers=headers)
        connection.getresponse().read()
        took.append(time.perf_counter() - started)
    connection.close()
    assert sorted(took[1:])[5] < 0.030


def test_the_sandbox_closes_when_the_client_asks(slack: SlackSandbox) -> None:
    connection = raw(slack)
    connection.request("POST", "/api/auth.test", headers={"Connection": "close"})
    answer = connection.getresponse()
    answer.read()
    assert answer.getheader("Connection") == "close" and answer.will_close
    connection.close()


def test_the_sandbox_reads_a_chunked_body_and_keeps_the_connection_in_step(slack: SlackSandbox) -> None:
    connection = raw(slack)
    headers = {"Authorization": f"Bearer {slack.bot_token}", "Content-Type": "application/x-www-form-urlencoded"}
    body = iter([b"channel=C0CHUNK", b"&text=in%20two%20chunks"])
    connection.request("POST", "/api/chat.postMessage", body=body, headers=headers, encode_chunked=True)
    first = connection.getresponse()
    first.read()
    connection.request("POST", "/api/auth.test", headers=headers)
    second = connection.getresponse()
    second.read()
    connection.close()
    assert first.status == 200 and second.status == 200
    assert [m.text for m in slack.messages("C0CHUNK")] == ["in two chunks"]


def test_the_sandbox_closes_a_connection_left_idle(slack: SlackSandbox) -> None:
    slack.idle_timeout = 0.2
    with socket.create_connection(("127.0.0.1", slack.port), timeout=5) as sock:
        time.sleep(0.5)
        assert sock.recv(1) == b""  # the server's FIN: EOF without a request sent


def test_x_sandbox_keeps_the_connection_too(x: XSandbox) -> None:
    connection, before = raw(x), opened(x)
    for _ in range(2):
        connection.request("GET", "/2/users/me", headers={"Authorization": "OAuth oauth_consumer_key=x"})
        answer = connection.getresponse()
        answer.read()
        assert not answer.will_close
    connection.close()
    assert opened(x) - before == 1


# -- slack_sdk's WebClient, as the app builds it ---------------------------------------------------------------


def test_the_web_client_reuses_one_connection_for_many_calls(slack: SlackSandbox, client: WebClient) -> None:
    before = opened(slack)
    for i in range(20):
        assert client.chat_postMessage(channel="C0KEEP", text=f"call {i}")["ok"]
    assert [m.text for m in slack.messages("C0KEEP")] == [f"call {i}" for i in range(20)]
    assert opened(slack) - before == 1


def test_a_client_bolt_would_build_per_request_shares_the_kept_connections(
    slack: SlackSandbox, client: WebClient
) -> None:
    client.auth_test()
    before = opened(slack)
    per_request = WebClient(token=client.token, base_url=client.base_url)  # what Bolt's _init_context makes
    for _ in range(5):
        per_request.auth_test()
    assert opened(slack) == before


def test_web_client_calls_from_many_threads_each_get_their_own_answer(slack: SlackSandbox, client: WebClient) -> None:
    client.auth_test()
    before, errors, results = opened(slack), [], {}
    gate = threading.Barrier(8)

    def worker(n: int) -> None:
        gate.wait()
        try:
            for i in range(15):
                text = f"thread {n} call {i}"
                answer = client.chat_postMessage(channel="C0THREADS", text=text)
                results[text] = answer["message"]["text"]
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(results) == 120 and all(sent == answered for sent, answered in results.items())
    assert sorted(m.text for m in slack.messages("C0THREADS")) == sorted(results)  # each exactly once
    assert opened(slack) - before <= 8  # at most one connection per thread at a time, then reused


def test_a_connection_the_server_closed_when_idle_is_not_sent_on(slack: SlackSandbox, client: WebClient) -> None:
    slack.idle_timeout = 0.2
    slack.go_down()  # cut the connections earlier tests left open under the default idle timeout
    slack.come_up()
    client.chat_postMessage(channel="C0STALE", text="before the idle close")
    before = opened(slack)
    time.sleep(0.5)  # the sandbox has closed the kept connection
    client.chat_postMessage(channel="C0STALE", text="after the idle close")
    assert [m.text for m in slack.messages("C0STALE")] == ["before the idle close", "after the idle close"]
    assert opened(slack) - before == 1  # a fresh connection, no error, no second post


def test_after_an_outage_the_kept_connection_is_dropped_and_a_new_one_made(
    slack: SlackSandbox, client: WebClient
) -> None:
    client.chat_postMessage(channel="C0OUTAGE", text="before")
    slack.go_down()
    with pytest.raises(URLError) as refused:
        WebClient(token=client.token, base_url=client.base_url, retry_handlers=[]).auth_test()
    assert isinstance(refused.value.reason, ConnectionRefusedError)  # bot.slack.retry still reads it as never sent
    slack.come_up()
    client.chat_postMessage(channel="C0OUTAGE", text="after")
    assert [m.text for m in slack.messages("C0OUTAGE")] == ["before", "after"]


def test_slack_errors_on_a_kept_connection_read_as_before(slack: SlackSandbox, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as refused, pytest.warns(UserWarning, match="text"):
        client.chat_postMessage(channel="C0ERR", text="")  # ok:false with HTTP 200
    assert refused.value.response["error"] == "no_text"
    slack.fail("chat.postMessage", "ratelimited", times=1, status=429, retry_after=0)
    assert client.chat_postMessage(channel="C0ERR", text="after a 429")["ok"]  # the 429 handler retried
    assert [m.text for m in slack.messages("C0ERR")] == ["after a 429"]


def test_a_lost_answer_on_a_kept_connection_is_not_sent_again(slack: SlackSandbox, client: WebClient) -> None:
    client.auth_test()
    slack.reset_after("chat.postMessage", times=1)  # Slack did the work, then the connection broke
    with pytest.raises((URLError, ConnectionError, http.client.HTTPException)):
        client.chat_postMessage(channel="C0LOST", text="once")
    assert [m.text for m in slack.messages("C0LOST")] == ["once"]  # bot.slack.lookup finds it; never posted twice
    assert client.chat_postMessage(channel="C0LOST", text="next")["ok"]  # the broken connection wasn't kept


def test_response_url_posts_reuse_the_connection(slack: SlackSandbox, client: WebClient) -> None:
    url = f"{slack.response_url_base}/T0ACME/1/abc"
    hook = WebhookClient(url)
    hook.send(text="first")
    before = opened(slack)
    hook.send(text="second")
    assert opened(slack) == before


def test_other_urls_keep_urllibs_own_handling(slack: SlackSandbox, client: WebClient) -> None:
    with XSandbox() as elsewhere:  # an origin never given to bot.slack.http
        before = opened(elsewhere)
        for _ in range(2):
            with pytest.raises(HTTPError) as refused:  # 401 without OAuth, on a connection of its own
                urllib.request.urlopen(f"{elsewhere.url}/2/users/me", timeout=5)
            assert refused.value.code == 401 and refused.value.headers["Connection"] == "close"
        assert opened(elsewhere) - before == 2


# -- tweepy's Client, one per account ----------------------------------------------------------------------------


def test_the_x_account_reuses_its_connection(x: XSandbox, account: XAccount) -> None:
    account.me()
    before = opened(x)
    ids = [account.post(f"Kept connection post {i}") for i in range(10)]
    assert len(set(ids)) == 10 and len(x.live_posts()) == 10
    assert opened(x) == before


def test_x_posts_from_many_threads_share_the_account_safely(x: XSandbox, account: XAccount) -> None:
    account.me()
    before, errors, ids = opened(x), [], []
    gate = threading.Barrier(6)

    def worker(n: int) -> None:
        gate.wait()
        try:
            for i in range(5):
                ids.append(account.post(f"Thread {n} post {i}"))
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and len(set(ids)) == 30
    assert sorted(p.text for p in x.live_posts()) == sorted(f"Thread {n} post {i}" for n in range(6) for i in range(5))
    assert opened(x) - before <= 6


class CookieSetter(SandboxServer):
    """An answer with Set-Cookie, as a web front end may add to any response."""

    name = "cookie-setter"

    def handle(self, request: Request) -> Reply:
        return Reply.of_json({"data": {}}, headers={"Set-Cookie": "guest_id=v1%3A1; Path=/; Max-Age=3600"})


def test_the_x_session_keeps_no_cookies(account: XAccount) -> None:
    with CookieSetter() as front:
        plain = requests.Session()
        plain.get(f"{front.url}/2/users/me", timeout=5)
        account.client.session.get(f"{front.url}/2/users/me")
    assert len(plain.cookies) == 1  # what a Session does by default: a jar every thread would share
    assert len(account.client.session.cookies) == 0


# -- over TLS, as against real Slack ---------------------------------------------------------------------------


@pytest.fixture
def tls_slack(slack: SlackSandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The Slack sandbox's answers over HTTPS on loopback (a self-signed certificate the process trusts); its URL."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    argv = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    argv += ["-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=localhost"]
    subprocess.run([*argv, "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # read when a handler makes its TLS context
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = _Server(("127.0.0.1", 0), slack)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}/api/"
    server.shutdown()
    server.server_close()
    server.cut_connections()


def test_over_tls_one_handshake_serves_many_calls(slack: SlackSandbox, tls_slack: str) -> None:
    kept = KeptConnections()  # a handler of its own: its TLS context is made now, trusting the test's certificate
    kept.keep(tls_slack)
    opener = urllib.request.build_opener(kept)
    before = opened(slack)
    for i in range(5):
        request = urllib.request.Request(f"{tls_slack}chat.postMessage", data=f"channel=C0TLS&text=tls {i}".encode())
        request.add_header("Authorization", f"Bearer {slack.bot_token}")
        with opener.open(request, timeout=5) as answer:
            assert json.loads(answer.read())["ok"]
    assert [m.text for m in slack.messages("C0TLS")] == [f"tls {i}" for i in range(5)]
    assert opened(slack) - before == 1 and kept.opened == 1


def test_over_tls_a_certificate_the_process_does_not_trust_is_refused(tls_slack: str) -> None:
    kept = KeptConnections()
    kept.keep(tls_slack)
    os.environ.pop("SSL_CERT_FILE")  # before its context is made: the system CAs, which don't know the certificate
    with pytest.raises(URLError) as refused:
        urllib.request.build_opener(kept).open(f"{tls_slack}auth.test", data=b"", timeout=5)
    assert isinstance(refused.value.reason, ssl.SSLCertVerificationError)
