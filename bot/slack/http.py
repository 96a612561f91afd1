"""Kept connections to Slack for slack_sdk's sync WebClient, which has no session or pool of its own.

slack_sdk 3.x sends every Web API call through `urllib.request.urlopen(req, context=ssl, timeout=…)`. Its only
transport options are `ssl` and `proxy`, and setting either makes it build a fresh opener per call; urllib's own
HTTP handlers open a new connection for each request and send `Connection: close`. A call thus pays a TCP (and,
against real Slack, a TLS) handshake and, as http.client makes a fresh default TLS context for every connection it
isn't given one for, a read of the system's whole CA bundle: ~35 CPU-ms a call on this project's machines, where a
kept connection costs ~0.5 (benchmarks/experiments/tls_calls.py). With `ssl` and `proxy` unset, `urlopen` uses
the process's default opener, which Python lets a program choose with `urllib.request.install_opener`: the one
seam that needs neither a patch of slack_sdk nor an override of its internals. It also reaches the WebClient Bolt
builds for every request (same base URL) and Bolt's `respond()` (slack_sdk's WebhookClient, same code path).

`keep_connections(base_url)` installs, once per process, an opener whose `KeptConnections` handler serves the
origins it was given over kept-alive HTTP/1.1 connections and leaves every other URL, and any proxied request,
to urllib's usual handlers. What slack_sdk sees is unchanged: urllib's processors still add the headers and turn a
non-2xx answer into `HTTPError`; a failure to send is `URLError(reason)`, a failure while reading the answer is the
raw exception (RemoteDisconnected, TimeoutError, …), exactly as `AbstractHTTPHandler.do_open` raises them, so
bot.slack.retry still tells a call that never reached Slack from one that may have.

A kept connection can go stale (the server closes it when idle). One found closed, readable or idle past
`MAX_IDLE_S` is dropped before use, not sent on; a connection that fails mid-call is closed, never reused, and the
error goes to slack_sdk's retry handlers as it would have (a `chat.postMessage` is not re-sent blind). Safe across
threads: a connection serves one call at a time, taken from and given back to a per-origin stack under a lock.
"""

from __future__ import annotations

import http.client
import io
import select
import socket
import ssl
import threading
import time
import urllib.request
from urllib.error import URLError
from urllib.parse import urlsplit
from urllib.response import addinfourl

MAX_IDLE_S = 30.0  # below the 60 s idle timeout common to HTTP front ends: a connection older than this isn't reused
MAX_KEPT = 16  # idle connections kept per origin (the app calls Slack from at most ~20 threads at once)

Origin = tuple[str, str]  # (scheme, host[:port]) as urllib's Request has them


class KeptConnections(urllib.request.BaseHandler):
    """An urllib handler that reuses HTTP/1.1 connections to the origins it was given."""

    handler_order = 400  # before urllib's HTTPHandler / HTTPSHandler (500); after ProxyHandler (100)

    def __init__(self) -> None:
        self._origins: set[Origin] = set()
        self._idle: dict[Origin, list[tuple[http.client.HTTPConnection, float]]] = {}
        self._lock = threading.Lock()
        self._tls: ssl.SSLContext | None = None  # made on the first HTTPS connection, then shared by all
        self.opened = 0  # connections made so far (for tests and benchmarks)

    def keep(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        with self._lock:
            self._origins.add((parts.scheme.lower(), parts.netloc.lower()))

    def http_open(self, req: urllib.request.Request) -> addinfourl | None:
        return self._open("http", req)

    def https_open(self, req: urllib.request.Request) -> addinfourl | None:
        return self._open("https", req)

    def _open(self, scheme: str, req: urllib.request.Request) -> addinfourl | None:
        origin = (scheme, req.host.lower())
        if req.has_proxy() or origin not in self._origins:
            return None  # urllib's own handler takes it
        headers = dict(req.unredirected_hdrs)
        headers.update({k: v for k, v in req.headers.items() if k not in headers})
        headers = {name.title(): value for name, value in headers.items()}  # no "Connection: close"
        connection = self._take(origin, req.timeout)
        try:
            try:
                connection.request(
                    req.get_method(),
                    req.selector,
                    req.data,
                    headers,
                    encode_chunked=req.has_header("Transfer-encoding"),
                )
            except OSError as err:
                raise URLError(err) from err
            answer = connection.getresponse()
            body = answer.read()
        except BaseException:
            connection.close()
            raise
        if answer.will_close:
            connection.close()
        else:
            self._give(origin, connection)
        response = addinfourl(io.BytesIO(body), answer.headers, req.get_full_url(), answer.status)
        response.msg = answer.reason  # what urllib's HTTPErrorProcessor reads, as do_open sets it
        return response

    def _take(self, origin: Origin, timeout: float | None) -> http.client.HTTPConnection:
        """A kept connection still fit to send on, or a new (unopened) one."""
        now = time.monotonic()
        while True:
            with self._lock:
                stack = self._idle.get(origin)
                kept = stack.pop() if stack else None
            if kept is None:
                break
            connection, since = kept
            if now - since <= MAX_IDLE_S and connection.sock is not None and not _readable(connection.sock):
                connection.sock.settimeout(timeout)
                connection.timeout = timeout
                return connection
            connection.close()  # stale: the server closed it, sent something unasked, or it idled too long
        scheme, host = origin
        with self._lock:
            self.opened += 1
            if scheme == "https" and self._tls is None:
                self._tls = _tls_context()
            tls = self._tls
        if scheme == "https":
            return http.client.HTTPSConnection(host, timeout=timeout, context=tls)
        return http.client.HTTPConnection(host, timeout=timeout)

    def _give(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            stack = self._idle.setdefault(origin, [])
            if len(stack) < MAX_KEPT:
                stack.append((connection, time.monotonic()))
                return
        connection.close()

    def close(self) -> None:
        """Close every idle connection (urllib calls this when the opener is closed)."""
        with self._lock:
            idle, self._idle = self._idle, {}
        for stack in idle.values():
            for connection, _ in stack:
                connection.close()


def _tls_context() -> ssl.SSLContext:
    """What http.client would make for each connection (it does, when given none: OpenSSL then reads the whole
    CA bundle again, tens of CPU-ms; benchmarks/experiments/tls_calls.py), made once."""
    context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    if context.post_handshake_auth is not None:
        context.post_handshake_auth = True
    return context


def _readable(sock: socket.socket) -> bool:
    """An idle connection with something to read has been closed by the server (EOF) or is out of step."""
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


_handler = KeptConnections()
_install_lock = threading.Lock()
_installed = False


def keep_connections(*base_urls: str) -> KeptConnections:
    """Make slack_sdk's calls to these URLs' origins (Bolt's and response_url posts included) reuse connections;
    installs the process's default urllib opener the first time. Returns the handler."""
    global _installed
    for base_url in base_urls:
        _handler.keep(base_url)
    with _install_lock:
        if not _installed:
            urllib.request.install_opener(urllib.request.build_opener(_handler))
            _installed = True
    return _handler
