"""Bring the schema to the newest Alembic revision; safe when several instances start at once."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# Any fixed 64-bit number: instances agree on it, so only one migrates at a time on PostgreSQL.
ADVISORY_LOCK_KEY = 0x0C0_5167


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate to `revision`. On PostgreSQL, instances starting together take turns: the first one
    migrates, the others wait for the lock, then find nothing left to do."""
    with engine.connect() as connection, _migration_lock(connection), _foreign_keys_off(connection):
        command.upgrade(alembic_config(connection), revision)
        connection.commit()


def downgrade(engine: Engine, revision: str) -> None:
    """Step the schema back to `revision` ("base" for none), under the same lock as `upgrade`."""
    with engine.connect() as connection, _migration_lock(connection), _foreign_keys_off(connection):
        command.downgrade(alembic_config(connection), revision)
        connection.commit()


@contextmanager
def _migration_lock(connection: Connection) -> Iterator[None]:
    """A session-level advisory lock on PostgreSQL (SQLite's own write lock is enough there).

    Alembic runs its transaction on this same connection (handed over in `config.attributes`), so the
    lock is taken and committed first, outlives alembic's commit, and is released explicitly: the
    connection goes back to a pool, where a forgotten session lock would block the next start forever.
    """
    if connection.dialect.name != "postgresql":
        yield
        return
    connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": ADVISORY_LOCK_KEY})
    connection.commit()  # end the transaction the SELECT began; the lock belongs to the session
    try:
        yield
    finally:
        _unlock(connection)


@contextmanager
def _foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite's foreign keys off while migrating, as its own way to change a table asks: a batch rebuild copies a
    table, drops it and renames the copy, and the drop of a table others point at (`draft`) fails with them on.
    The pragma is a no-op inside a transaction, so it is set on the driver's connection before alembic begins;
    before they are on again, every reference is checked, so a migration can't leave a row pointing nowhere."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _unlock(connection: Connection) -> None:
    try:
        connection.rollback()  # after a failed migration the transaction is aborted and refuses any query
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
        connection.commit()
    except Exception:
        # Closing the session is the other way to release it; don't hide the migration's own error.
        log.warning("could not release the migration lock; closing the connection instead", exc_info=True)
        connection.invalidate()


def upgrade_url(url: str) -> None:
    from storage.engine import make_engine

    engine = make_engine(url)
    try:
        upgrade(engine)
    finally:
        engine.dispose()


@cache
def head_revision() -> str | None:
    """The newest revision this code ships (read once: parsing the scripts costs ~5 ms, and /readyz asks often)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_current(engine: Engine) -> bool:
    """True when the database is at the newest revision (what `/readyz` reports)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() == head_revision()
