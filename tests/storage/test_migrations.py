"""Alembic migrations on SQLite and (with COUNTERSIGN_TEST_DATABASE_URL) PostgreSQL, whatever the revisions are.

Every revision is applied one at a time from an empty database, the result must be exactly what the
SQLModel models describe, and the way back down to nothing and up again must work too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.engine import make_engine
from storage.migrate import alembic_config, downgrade, is_current, upgrade
from tests import db


@pytest.fixture(params=db.BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with db.isolated_database(request.param, tmp_path) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return [r.revision for r in reversed(list(script.walk_revisions("base", "heads")))]


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def differences(engine: Engine) -> list[object]:
    """What autogenerate would write to make the database match the models; [] when they agree."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_the_revisions_form_one_line() -> None:
    """Two migrations written in parallel on the same parent would give two heads: `upgrade head` refuses."""
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1, f"several heads, merge them: {script.get_heads()}"
    assert len(script.get_bases()) == 1, f"several bases: {script.get_bases()}"


def test_each_revision_in_turn_ends_exactly_at_the_models(engine: Engine) -> None:
    assert tables(engine) == set()
    for revision in revisions():
        upgrade(engine, revision)
        assert current(engine) == revision
    assert is_current(engine)
    assert differences(engine) == []
    assert tables(engine) == set(SQLModel.metadata.tables)


def test_down_to_nothing_and_up_again(engine: Engine) -> None:
    upgrade(engine)
    for revision in reversed(revisions()[:-1]):  # one step down at a time: every downgrade() runs
        downgrade(engine, revision)
        assert current(engine) == revision
    downgrade(engine, "base")
    assert current(engine) is None and tables(engine) == set()
    assert not is_current(engine)
    upgrade(engine)
    assert is_current(engine)
    assert differences(engine) == []


def test_migrating_again_changes_nothing(engine: Engine) -> None:
    upgrade(engine)
    upgrade(engine)
    assert is_current(engine) and differences(engine) == []


@pytest.mark.parametrize("backend", [db.POSTGRESQL])
def test_instances_starting_together_migrate_once(backend: str, tmp_path: Path) -> None:
    """Without the advisory lock the losers fail on "relation already exists"; with it they wait, then
    find the schema current."""
    with db.isolated_database(backend, tmp_path) as url:
        engines = [make_engine(url) for _ in range(4)]
        failures: list[BaseException] = []
        barrier = threading.Barrier(len(engines))

        def start(engine: Engine) -> None:
            barrier.wait()
            try:
                upgrade(engine)
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=start, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        try:
            assert failures == []
            assert all(is_current(e) for e in engines)
            assert differences(engines[0]) == []
        finally:
            for engine in engines:
                engine.dispose()
