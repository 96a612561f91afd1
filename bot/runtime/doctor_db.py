"""`countersign doctor`'s database checks: reachable, and at the migration this code ships.

Read-only: a SQLite file that isn't there is reported, never created (SQLite would make an empty one on connect),
and the revision is read in a deferred transaction so a running bot's writes don't wait on doctor. The URL is
shown with its password masked.
"""

from __future__ import annotations

from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.networks.base import Check
from storage.engine import READ_ONLY, MissingDriver, make_engine
from storage.migrate import alembic_config, head_revision

MIGRATE_FIX = "run `countersign migrate`"
URL_FIX = "check DATABASE_URL (host, port, database name, user, password) and that the database server is up"


def check_database(url: str) -> list[Check]:
    try:
        parsed = make_url(url)
    except ArgumentError:
        return [Check("DATABASE_URL is not a database URL", False, "set it like sqlite:///countersign.db")]
    shown = parsed.render_as_string(hide_password=True)
    missing = _missing_sqlite_file(parsed.get_backend_name(), parsed.database)
    if missing:
        fix = f"{MIGRATE_FIX} to create it, or point DATABASE_URL at the existing file"
        return [Check(f"no SQLite database at {missing}", False, fix)]
    try:
        engine = make_engine(url)
    except MissingDriver as exc:
        return [Check(f"can't open {shown}: {exc}", False, "pip install 'countersign[postgres]'")]
    except Exception as exc:
        return [Check(f"can't open {shown}: {_reason(exc, parsed.password)}", False, URL_FIX)]
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(**{READ_ONLY: True})
            connection.execute(text("SELECT 1"))
            current = MigrationContext.configure(connection).get_current_revision()
    except Exception as exc:
        return [Check(f"can't reach the database at {shown}: {_reason(exc, parsed.password)}", False, URL_FIX)]
    finally:
        engine.dispose()
    return [Check(f"database {shown} is reachable", True), _revision_check(current)]


def _missing_sqlite_file(backend: str, database: str | None) -> str | None:
    if backend != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return None if Path(database).exists() else str(Path(database).resolve())


def _revision_check(current: str | None) -> Check:
    head = head_revision()
    if current == head:
        return Check(f"database schema is at the latest migration ({head})", True)
    if current is None:
        return Check("database has no Countersign schema yet", False, MIGRATE_FIX)
    if _known(current):
        return Check(f"database schema is at migration {current}, behind the latest ({head})", False, MIGRATE_FIX)
    fix = "run the Countersign version that migrated it, or upgrade this one"
    return Check(f"database schema is at migration {current}, which this Countersign doesn't know", False, fix)


def _known(revision: str) -> bool:
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


def _reason(exc: Exception, password: str | None) -> str:
    """The driver's own first line (SQLAlchemy's wrapper adds SQL and a link), without the password."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    line = reason[0] if reason else type(exc).__name__
    return line.replace(password, "***") if password else line
