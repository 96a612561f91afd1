"""Plumbing shared by the sandbox HTTP servers.

The stand-ins must be driven by unpatched clients over real sockets, so each one is a small threaded HTTP
server whose owner turns a parsed `Request` into a `Reply`. Faults (errors, delays, dropped connections,
outages) live here too because every server needs the same lifecycle to simulate them.
"""

from __future__ import annotations

import contextlib
import email.policy
import json
import logging
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self, TypeVar
from urllib.parse import parse_qs, parse_qsl, urlsplit

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass
class Request:
    """One HTTP request as the server saw it (header names lower-cased)."""

    method: str
    path: str
    query: dict[str, str]  # the last value of each parameter
    headers: dict[str, str]
    body: bytes
    at: float
    queries: dict[str, list[str]] = field(default_factory=dict)  # every value, in order: `uris=a&uris=b` (XRPC arrays)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """Decode the body as JSON; raises ValueError so callers can answer 400 like the real APIs."""
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def form(self) -> dict[str, str]:
        """Fields of a urlencoded or multipart form (file parts are skipped)."""
        if self.content_type != "multipart/form-data":
            return dict(parse_qsl(self.body.decode("utf-8"), keep_blank_values=True))
        head = f"Content-Type: {self.headers['content-type']}\r\n\r\n".encode()
        message = BytesParser(policy=email.policy.HTTP).parsebytes(head + self.body)
        fields: dict[str, str] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if isinstance(name, str) and part.get_filename() is None:
                fields[name] = part.get_payload(decode=True).decode("utf-8")
        return fields


@dataclass
class Reply:
    """What to send back; `drop=True` closes the socket without any answer."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False

    @classmethod
    def of_json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Reply:
        merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, json.dumps(payload).encode("utf-8"), merged)


@dataclass
class Fault:
    """A scheduled misbehaviour, consumed one use at a time."""

    kind: str
    remaining: int
    options: dict[str, Any] = field(default_factory=dict)


class Faults:
    """Faults keyed by method/route; the key "*" matches everything. Callers hold the owner's lock."""

    def __init__(self) -> None:
        self._items: dict[str, list[Fault]] = {}

    def add(self, key: str, kind: str, times: int, **options: Any) -> None:
        self._items.setdefault(key, []).append(Fault(kind, times, options))

    def take(self, key: str, kind: str) -> Fault | None:
        for candidate in (key, "*"):
            for fault in self._items.get(candidate, []):
                if fault.kind == kind and fault.remaining > 0:
                    fault.remaining -= 1
                    return fault
        return None

    def clear(self) -> None:
        self._items.clear()


class _Handler(BaseHTTPRequestHandler):
    """Reads a request, hands it to the owner, writes its reply; then the next request on the same connection.

    HTTP/1.1 keep-alive as Slack's and X's front ends do it: every reply carries Content-Length, the connection
    stays open unless the client sent `Connection: close` (or spoke HTTP/1.0), and a connection left idle for the
    owner's `idle_timeout` is closed by the server, so a client that keeps connections must notice one gone stale.
    Request bodies come with Content-Length or chunked (requests sends a generator body chunked).
    """

    protocol_version = "HTTP/1.1"
    # TCP_NODELAY, as web servers set it: without it, the body (a second write after the headers) waits for the
    # client's delayed ACK of the headers, ~40 ms, on every answer of a kept connection.
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        self.timeout = self.server.owner.idle_timeout  # the socket's timeout: idle between requests, or mid-read
        super().setup()
        with self.server.owner._lock:
            self.server.owner.connections_opened += 1

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while size := int(self.rfile.readline(1024).split(b";", 1)[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline(8)  # the CRLF after each chunk
            while self.rfile.readline(1024).strip():  # trailers, up to the blank line
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        body = self._read_body()
        request = Request(
            method=self.command,
            path=parts.path,
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            at=time.perf_counter(),
            queries=parse_qs(parts.query, keep_blank_values=True),
        )
        try:
            reply = self.server.owner.handle(request)
        except Exception as error:  # a sandbox bug: answer visibly instead of a bare disconnect
            logger.exception("sandbox failed on %s %s", self.command, parts.path)
            reply = Reply.of_json({"sandbox_error": repr(error)}, 500)
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection:  # the client asked for it (send_header("Connection", …) would also set it)
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the owner records every request."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default 5 would stall bursts of concurrent clicks on SYN retries

    def __init__(self, address: tuple[str, int], owner: SandboxServer) -> None:
        self.owner = owner
        self.open_sockets: set[socket.socket] = set()
        self._sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        """Reset in-flight connections, as a crashed server would."""
        with self._sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # the client went away (timeout, reset): expected in fault tests
        super().handle_error(request, client_address)


def wait_until(
    condition: threading.Condition,
    predicate: Callable[[], T | None],
    timeout: float,
    describe: Callable[[], str] | None = None,
) -> T:
    """Re-evaluate `predicate` whenever `condition` is notified; return its first truthy value."""
    deadline = time.monotonic() + timeout
    with condition:
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                detail = describe() if describe else ""
                raise TimeoutError(f"condition not met within {timeout:g}s{detail}")
            condition.wait(remaining)


class SandboxServer:
    """Lifecycle of a loopback HTTP stand-in: start/stop, outages on the same port, waiting on changes."""

    name = "sandbox"
    idle_timeout = 30.0  # seconds a kept connection may sit idle before the server closes it

    def __init__(self) -> None:
        self.connections_opened = 0  # TCP connections accepted since start: what keep-alive saves shows here
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._server: _Server | None = None
        self._port = 0
        self._halt = threading.Event()

    def handle(self, request: Request) -> Reply:
        raise NotImplementedError

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError(f"{self.name} is not started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def start(self) -> Self:
        if self._server is None:
            self._listen()
        return self

    def stop(self) -> None:
        self._unlisten()

    def go_down(self) -> None:
        """Stop listening so connections are refused; in-flight requests are cut."""
        self._unlisten()

    def come_up(self) -> None:
        """Listen again on the same port (clients keep their configured URL)."""
        if self._server is None:
            self._listen()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def wait_until(self, predicate: Callable[[], T | None], timeout: float = 5.0) -> T:
        return wait_until(self._changed, predicate, timeout)

    def _notify(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def _pause(self, seconds: float) -> bool:
        """Sleep like a slow server; returns False if the server went down meanwhile."""
        return not self._halt.wait(seconds)

    def _listen(self) -> None:
        server = _Server(("127.0.0.1", self._port), self)
        self._port = server.server_address[1]
        self._halt.clear()
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}:{self._port}",
            daemon=True,
        )
        thread.start()
        self._server = server

    def _unlisten(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._halt.set()
        server.shutdown()
        server.server_close()
        server.cut_connections()
