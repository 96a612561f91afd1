"""Socket Mode stand-in: a loopback WebSocket server speaking Slack's envelope protocol.

slack_sdk's built-in client connects with plain ws:// when the URL's port isn't 443, so the app's real
Socket Mode code can run against this server: hello on connect, envelopes in, acks (with optional
response payloads) out, and `disconnect` requests to exercise reconnection.

The shapes follow what Slack sends (and slack_sdk's own Socket Mode test fixtures): `hello` and `disconnect`
carry `num_connections`, `debug_info` and `connection_info.app_id`; every envelope carries
`accepts_response_payload`; only `events_api` envelopes carry `retry_attempt` and `retry_reason` (Slack
redelivers an event whose ack didn't arrive in time, with `retry_reason: "timeout"` and the same event_id).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import uuid
from typing import Any, Self

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from bot.sandbox.http_base import wait_until

RESPONSE_PAYLOAD_TYPES = {"view_submission", "block_suggestion"}


class SocketModeSandbox:
    """Accepts Socket Mode clients, sends them envelopes and records what they answer."""

    def __init__(self, app_id: str = "A0APP", path: str = "/link") -> None:
        self.app_id = app_id
        self.path = path
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._server: Server | None = None
        self._port = 0
        self._open: list[ServerConnection] = []
        self._retiring: set[ServerConnection] = set()
        self.connection_count = 0
        self.received: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self._acks: dict[str, dict[str, Any]] = {}

    @property
    def url(self) -> str:
        if not self._port:
            raise RuntimeError("Socket Mode sandbox is not started")
        return f"ws://127.0.0.1:{self._port}{self.path}"

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._open)

    def start(self) -> Self:
        if self._server is None:
            # close_timeout bounds stop(): the builtin client drops the socket instead of echoing a close.
            self._server = serve(self._serve_client, "127.0.0.1", self._port, compression=None, close_timeout=1)
            self._port = self._server.socket.getsockname()[1]
            # Handler threads inherit daemon-ness from this thread, so a forgotten stop() can't block exit.
            threading.Thread(
                target=self._server.serve_forever, name=f"socket-sandbox:{self._port}", daemon=True
            ).start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def reset(self) -> None:
        with self._lock:
            self.received.clear()
            self.sent.clear()
            self._acks.clear()

    def _serve_client(self, connection: ServerConnection) -> None:
        with self._changed:
            self._open.append(connection)
            self.connection_count += 1
            hello = {
                "type": "hello",
                "num_connections": len(self._open),
                "debug_info": {"host": "sandbox-127.0.0.1", "build_number": 1, "approximate_connection_time": 3600},
                "connection_info": {"app_id": self.app_id},
            }
            retired, self._retiring = list(self._retiring), set()
            self._changed.notify_all()
        for old in retired:
            # Slack closes a refreshed connection once the client has opened its replacement.
            threading.Thread(target=old.close, kwargs={"reason": "refreshed"}, daemon=True).start()
        try:
            connection.send(json.dumps(hello))
            for raw in connection:
                self._record(raw)
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                if connection in self._open:
                    self._open.remove(connection)
                self._retiring.discard(connection)
                self._changed.notify_all()

    def _record(self, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            message = {"raw": raw}
        with self._changed:
            self.received.append(message)
            envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
            if envelope_id:
                self._acks.setdefault(envelope_id, message)
            self._changed.notify_all()

    def send(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        retry_attempt: int = 0,
        retry_reason: str | None = None,
        accepts_response_payload: bool | None = None,
    ) -> str:
        """Send one envelope to the newest connection (Slack picks one connection per envelope)."""
        if accepts_response_payload is None:
            accepts_response_payload = envelope_type == "slash_commands" or (
                envelope_type == "interactive" and payload.get("type") in RESPONSE_PAYLOAD_TYPES
            )
        envelope: dict[str, Any] = {
            "envelope_id": str(uuid.uuid4()),
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": accepts_response_payload,
        }
        if envelope_type == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = (
                retry_reason if retry_reason is not None else ("timeout" if retry_attempt else "")
            )
        with self._lock:
            if not self._open:
                raise RuntimeError("no Socket Mode client is connected")
            connection = self._open[-1]
            self.sent.append(envelope)
        connection.send(json.dumps(envelope))
        return envelope["envelope_id"]

    def wait_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Return the client's ack for `envelope_id` (it may carry "payload")."""
        return wait_until(
            self._changed,
            lambda: self._acks.get(envelope_id),
            timeout,
            lambda: f"; no ack for envelope {envelope_id}; received: {self.received}",
        )

    def acks(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._acks)

    def wait_connected(self, timeout: float = 5.0, total: int | None = None) -> int:
        """Wait for an open connection (and at least `total` connections ever); returns the total."""

        def ready() -> int | None:
            if self._open and (total is None or self.connection_count >= total):
                return self.connection_count
            return None

        return wait_until(
            self._changed, ready, timeout, lambda: f"; open={len(self._open)}, total={self.connection_count}"
        )

    def wait_open(self, count: int, timeout: float = 5.0) -> int:
        """Wait until exactly `count` connections are open (a refreshed one closed once its successor opened)."""
        return wait_until(
            self._changed,
            lambda: len(self._open) == count and self.connection_count,
            timeout,
            lambda: f"; open={len(self._open)}, total={self.connection_count}",
        )

    def disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask every connected client to reconnect; each old connection is closed once a new one opens."""
        with self._lock:
            connections = list(self._open)
            message = json.dumps(
                {
                    "type": "disconnect",
                    "reason": reason,
                    "num_connections": len(connections),
                    "debug_info": {"host": "sandbox-127.0.0.1"},
                    "connection_info": {"app_id": self.app_id},
                }
            )
            self._retiring.update(connections)
        for connection in connections:
            with contextlib.suppress(ConnectionClosed):
                connection.send(message)

    def drop_connections(self) -> None:
        """Cut every connection without a close frame, like a network failure."""
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.socket.shutdown(socket.SHUT_RDWR)
