"""Running the bot: migrate, build, start the publisher, serve Slack (HTTP or Socket Mode)."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.runtime.app import build_app
from bot.runtime.brands import Brands
from bot.runtime.server import HttpServer, health_app, wsgi_app
from bot.runtime.services import Services, StartupError, build_services
from bot.runtime.settings import Settings
from storage.engine import MissingDriver
from storage.migrate import upgrade_url

log = logging.getLogger(__name__)


def migrate(settings: Settings) -> None:
    """Bring the schema up to date, or stop the start with one line saying which database didn't answer."""
    try:
        upgrade_url(settings.database_url)
    except MissingDriver as exc:
        raise StartupError(str(exc)) from None
    except SQLAlchemyError as exc:
        where = make_url(settings.database_url).render_as_string(hide_password=True)
        cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StartupError(f"cannot use the database at DATABASE_URL={where} ({cause})") from None


@dataclass
class Running:
    """A started bot; `stop()` ends it. Used by `countersign run`, the demo and the tests."""

    services: Services
    app: App
    url: str = ""
    _stoppers: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for stop in reversed(self._stoppers):
            try:
                stop()
            except Exception:
                log.exception("error while stopping")
        self._stoppers.clear()


def start_http(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 3000,
    *,
    worker_id: str | None = None,
    scheduler: bool = True,
    clock: Callable[[], datetime] | None = None,
    brands: Brands | None = None,
) -> Running:
    """Start serving in background threads and return; the server is accepting when this returns. `clock`: the
    "now" of scheduled posts (tests move it; default the real one)."""
    migrate(settings)
    services = build_services(settings, worker_id=worker_id, brands=brands, **({"clock": clock} if clock else {}))
    app = build_app(services)
    server = HttpServer(wsgi_app(app, services.store), host, port)
    server.start()
    services.publisher.start()
    if scheduler:  # tests that drive `tick()` with their own clock leave the loop off
        services.scheduler.start()
    running = Running(services, app, url=f"http://{host}:{server.port}")
    running._stoppers += [services.close, server.stop]
    return running


def start_socket_mode(
    settings: Settings, *, worker_id: str | None = None, scheduler: bool = True, brands: Brands | None = None
) -> Running:
    migrate(settings)
    services = build_services(settings, worker_id=worker_id, brands=brands)
    app = build_app(services, socket_mode=True)
    handler = SocketModeHandler(app, app_token=settings.slack_app_token)
    health = _health_server(settings, services, handler.client.is_connected)
    handler.connect()
    services.publisher.start()
    if scheduler:  # tests that drive `tick()` with their own clock leave the loop off
        services.scheduler.start()
    running = Running(services, app, url=f"http://{settings.health_host}:{health.port}" if health else "")
    running._stoppers += [services.close, handler.close, *([health.stop] if health else [])]
    return running


def _health_server(settings: Settings, services: Services, connected: Callable[[], bool]) -> HttpServer | None:
    """Socket Mode's /healthz and /readyz on HEALTH_PORT (for the Dockerfile's HEALTHCHECK and probes)."""
    if settings.health_port is None:
        return None
    try:
        server = HttpServer(
            health_app(services.store, connected=connected), settings.health_host, settings.health_port, threads=2
        )
    except OSError as exc:
        services.close()
        where = f"HEALTH_HOST={settings.health_host} HEALTH_PORT={settings.health_port}"
        raise StartupError(
            f"cannot serve health checks at {where} ({exc.strerror or exc}); pick another port, or HEALTH_PORT=0 "
            "to turn them off"
        ) from None
    server.start()
    return server


def serve_forever(running: Running) -> None:
    """Block until SIGINT/SIGTERM, then stop cleanly."""
    done = threading.Event()

    def _stop(*_: Any) -> None:
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    done.wait()
    log.info("stopping")
    running.stop()
