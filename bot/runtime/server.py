"""HTTP mode: Bolt behind waitress, a production-grade multi-threaded WSGI server.

Routes: POST /slack/events (signed Slack requests), GET /healthz (the process serves), GET /readyz
(the database answers and is migrated). Socket Mode serves the two health routes alone, on HEALTH_PORT.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from waitress import wasyncore
from waitress.server import create_server

from storage.migrate import is_current
from storage.store import Store

log = logging.getLogger(__name__)
SLACK_PATH = "/slack/events"
SERVER_THREADS = 16


class _SlackHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, except that a body Bolt can't even parse (not UTF-8, not JSON, ids of the wrong type)
    gets a 400: Bolt builds its request before checking the signature, and would raise a 500 with a traceback."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        try:
            bolt_request = BoltRequest(
                body=request.get_body(), query=request.query_string, headers=request.get_headers()
            )
        except (ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            log.warning("unreadable request body at %s (%s)", SLACK_PATH, type(exc).__name__)
            return BoltResponse(status=400, body="")
        return self.app.dispatch(bolt_request)


WsgiApp = Callable[..., Iterable[bytes]]


def wsgi_app(app: App, store: Store) -> WsgiApp:
    """HTTP mode: Slack at /slack/events, health beside it."""
    return health_app(store, fallback=_SlackHandler(app, path=SLACK_PATH))


def health_app(
    store: Store, *, connected: Callable[[], bool] | None = None, fallback: WsgiApp | None = None
) -> WsgiApp:
    """GET /healthz and /readyz; anything else goes to `fallback` (Slack, in HTTP mode) or is a 404.

    In Socket Mode `connected` says whether the WebSocket to Slack is up: without it nothing reaches the
    bot, so the instance is not ready (though alive: slack_sdk reconnects by itself)."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "")
        if path == "/healthz" and method == "GET":
            return _json(start_response, 200, {"ok": True})
        if path == "/readyz" and method == "GET":
            ready, detail = _ready(store, connected)
            return _json(start_response, 200 if ready else 503, {"ok": ready, "detail": detail})
        if fallback is not None:
            return fallback(environ, start_response)
        return _json(start_response, 404, {"ok": False, "detail": "not found"})

    return application


def _ready(store: Store, connected: Callable[[], bool] | None = None) -> tuple[bool, str]:
    try:
        if not is_current(store.engine):
            return False, "database not migrated"
    except Exception as exc:  # any database error means not ready
        return False, f"database unreachable: {type(exc).__name__}"
    if connected is not None and not connected():
        return False, "not connected to Slack (Socket Mode)"
    return True, "ready"


def _json(start_response: Callable[..., Any], status: int, body: dict[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    reason = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


class HttpServer:
    """waitress bound at construction (port 0 picks a free port); stoppable from another thread."""

    def __init__(self, application: WsgiApp, host: str, port: int, *, threads: int = SERVER_THREADS) -> None:
        self._server = create_server(application, host=host, port=port, threads=threads, ident="countersign")
        self.port: int = self._server.effective_port
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.run, name="countersign-http", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Let requests in progress finish, then close every socket from inside the server's own loop
        (closing them from here races its select; closing them first fails the requests still answering)."""
        self._server.task_dispatcher.shutdown(timeout=timeout)
        with contextlib.suppress(OSError):  # the loop already closed its trigger: nothing left to signal
            self._server.trigger.pull_trigger(lambda: wasyncore.close_all(self._server._map))
        if self._thread is not None:
            self._thread.join(timeout)
