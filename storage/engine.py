"""The one place an engine is made, with the connection settings each backend needs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlmodel import create_engine

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = "countersign_read_only"  # execution option of `Store.read()` connections

# PostgreSQL pool, sized for one instance: 16 listener threads, the HTTP server's threads (health and
# readiness), the publisher and the scheduler. Ten stay open; bursts may open fifteen more, and a thread
# that still finds none waits `POOL_TIMEOUT_S` rather than forever. Three instances stay at 75, under
# PostgreSQL's default max_connections of 100.
PG_POOL_SIZE = 10
PG_MAX_OVERFLOW = 15
PG_POOL_TIMEOUT_S = 15
PG_CONNECT_TIMEOUT_S = 10


class MissingDriver(RuntimeError):
    """The database's Python driver isn't installed (psycopg 3 for PostgreSQL): an install step, not a bug."""


def make_engine(url: str, **kwargs: Any) -> Engine:
    """SQLite gets WAL, a busy timeout, foreign keys and IMMEDIATE write transactions.

    IMMEDIATE takes the write lock at BEGIN, so two threads doing compare-and-set never both read
    and then fail to upgrade their lock half-way (SQLite's "database is locked" on commit). Read-only
    transactions (`Store.read()`) begin DEFERRED: in WAL mode they never wait for the writer.

    PostgreSQL gets psycopg 3 (also for a bare `postgresql://`), a pre-ping so a connection the server
    or a firewall dropped is replaced instead of failing a request, a bounded pool, and sessions in UTC.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        return _postgresql_engine(parsed, **kwargs)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _postgresql_engine(url: URL, **kwargs: Any) -> Engine:
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if url.get_driver_name() == "psycopg":
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise MissingDriver(
                "DATABASE_URL is a PostgreSQL database, which needs psycopg 3: pip install 'countersign[postgres]'"
            ) from None
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", PG_POOL_SIZE)
    kwargs.setdefault("max_overflow", PG_MAX_OVERFLOW)
    kwargs.setdefault("pool_timeout", PG_POOL_TIMEOUT_S)
    return create_engine(url, connect_args=_pg_connect_args(url, kwargs.pop("connect_args", {})), **kwargs)


def _pg_connect_args(url: URL, given: dict[str, Any]) -> dict[str, Any]:
    """libpq parameters, without overriding what the URL says (connect_args would replace its query).

    The session time zone is UTC: stored values are absolute either way, but date arithmetic in SQL
    (`date_trunc`, `::date`) then means the same thing on every instance and in a psql shell.
    """
    args = dict(given)
    if "connect_timeout" not in url.query:
        args.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
    options = url.query.get("options", "")
    if isinstance(options, tuple):
        options = " ".join(options)
    if "timezone" not in options.lower():
        args["options"] = f"{options} -c TimeZone=UTC".strip()
    return args


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
