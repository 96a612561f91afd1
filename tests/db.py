"""Databases for tests: SQLite always, PostgreSQL when `COUNTERSIGN_TEST_DATABASE_URL` is set.

Parametrize a fixture over `BACKENDS` and open `isolated_database(request.param, tmp_path)`: the test
gets the URL of an empty database of its own, which the app migrates like any other. Test ids read
`[sqlite]` and `[postgresql]`; without the variable the PostgreSQL leg is skipped with the reason.

On PostgreSQL "a database of its own" is a fresh schema in the configured database, picked through
`search_path` in the URL's `options`: creating and dropping one takes about a millisecond, where
CREATE DATABASE + DROP DATABASE takes ~45 ms. Everything Countersign creates (tables, sequences,
alembic_version) lands in that schema. The one thing schemas share is the migration advisory lock,
which is what several instances on one database share too.

A module that wants a migrated store of each kind (tests/unit/test_workflow.py, later) needs four lines,
as tests/storage/test_store.py does:

    @pytest.fixture(params=db.BACKENDS)
    def store(request, tmp_path):
        with db.isolated_database(request.param, tmp_path) as url:
            engine = make_engine(url)
            upgrade(engine)  # ~90 ms on PostgreSQL, ~20 ms on SQLite (four revisions)
            yield Store(engine)
            engine.dispose()
"""

from __future__ import annotations

import hashlib
import itertools
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import URL, make_url

ENV = "COUNTERSIGN_TEST_DATABASE_URL"
SQLITE = "sqlite"
POSTGRESQL = "postgresql"
SKIP_REASON = f"PostgreSQL leg: {ENV} is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
# Without the variable the PostgreSQL leg carries a skip mark (rather than skipping inside the fixture): pytest's
# `-rs` summary then folds the skips into one line per file instead of one per test function.
BACKENDS = (
    SQLITE,
    pytest.param(POSTGRESQL, marks=[] if os.environ.get(ENV, "").strip() else [pytest.mark.skip(reason=SKIP_REASON)]),
)

# cs_test_<host>_<pid>_<n>: a run can tell its own schemas, and those a dead run on this host left behind.
_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:6]
_PREFIX = f"cs_test_{_HOST}_"
_counter = itertools.count(1)


def server_url() -> URL | None:
    """The PostgreSQL database tests may use (they create and drop schemas in it), or None."""
    value = os.environ.get(ENV, "").strip()
    return make_url(value) if value else None


@contextmanager
def isolated_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database for one test, removed afterwards. Skips the PostgreSQL leg when
    `COUNTERSIGN_TEST_DATABASE_URL` is unset; fails (not skips) when it is set and the server is down."""
    if backend == SQLITE:
        yield f"sqlite:///{tmp_path / 'countersign.db'}"
        return
    if backend != POSTGRESQL:
        raise ValueError(f"unknown backend {backend!r}")
    base = server_url()
    if base is None:
        pytest.skip(SKIP_REASON)
    schema = f"{_PREFIX}{os.getpid()}_{next(_counter)}"
    admin = _admin()
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield schema_url(base, schema)
    finally:
        _drop(admin, schema)


def schema_url(base: URL, schema: str) -> str:
    """`base` with every session on `schema` (and named after it, so leftovers can be found)."""
    options = base.query.get("options", "")
    if isinstance(options, tuple):
        options = " ".join(options)
    url = base.update_query_dict({"options": f"{options} -csearch_path={schema}".strip(), "application_name": schema})
    return url.render_as_string(hide_password=False)


@cache
def _admin() -> Any:
    """One autocommit connection per test process for CREATE/DROP SCHEMA; sweeps a dead run's schemas."""
    try:
        import psycopg
    except ImportError:
        pytest.fail(f'{ENV} is set but psycopg is not installed: pip install -e ".[dev,postgres]"', pytrace=False)
    base = server_url()
    assert base is not None
    conninfo = base.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        connection = psycopg.connect(conninfo, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        where = base.render_as_string(hide_password=True)
        pytest.fail(f"{ENV} is set but PostgreSQL at {where} does not answer: {exc}", pytrace=False)
    _sweep(connection)
    return connection


def _drop(admin: Any, schema: str) -> None:
    """Drop a test's schema; a connection the test leaked (it would hold locks) is closed first."""
    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (schema,))
    admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _sweep(admin: Any) -> None:
    """Schemas left by runs on this host that were killed before their teardown (their pid is gone)."""
    rows = admin.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", (_PREFIX,)).fetchall()
    for (schema,) in rows:
        pid = schema[len(_PREFIX) :].split("_")[0]
        if pid.isdigit() and not _alive(int(pid)):
            _drop(admin, schema)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
