"""Alembic migrations on SQLite and (with COUNTERSIGN_TEST_DATABASE_URL) PostgreSQL, whatever the revisions are.

Every revision is applied one at a time from an empty database, the result must be exactly what the
SQLModel models describe, and the way back down to nothing and up again must work too.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, func, inspect, select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.engine import make_engine
from storage.migrate import alembic_config, downgrade, is_current, upgrade
from storage.store import Store
from tests import db
from tests.delivered import due_drafts


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


def test_rows_written_at_the_first_revision_survive_every_upgrade(engine: Engine) -> None:
    """SQLite's batch mode copies each altered table; PostgreSQL alters in place. Data must come through both."""
    first = revisions()[0]
    upgrade(engine, first)
    at = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    if engine.dialect.name == "sqlite":
        at = at.replace(tzinfo=None)  # what UTCDateTime stores there
    old = MetaData()
    old.reflect(engine)
    draft_row = dict(
        brand="default",
        channel="C0DRAFTS",
        ts="1.000001",
        writer_id="U0WRITER",
        writer_name="Wendy",
        status="published",
        version=2,
        text="Survivor.",
        attempts=1,
        created_at=at,
        updated_at=at,
    )
    with engine.begin() as connection:
        draft_id = connection.execute(old.tables["draft"].insert().values(**draft_row)).inserted_primary_key[0]
        rows = {
            "draft_version": dict(draft_id=draft_id, version=2, text="Survivor.", author_id="U0WRITER", created_at=at),
            "card": dict(draft_id=draft_id, approver_id="U0OWNER", channel="D0OWNER", ts="2.000001", created_at=at),
            "audit_event": dict(draft_id=draft_id, actor_id="U0OWNER", actor_team_id="T0", action="approved", at=at),
            "slack_event": dict(event_id="Ev0001", received_at=at),
        }
        for table, row in rows.items():
            connection.execute(old.tables[table].insert().values(**row))
    upgrade(engine)
    assert differences(engine) == []
    with engine.connect() as connection:
        for table in ["draft", *rows]:
            assert connection.execute(select(func.count()).select_from(SQLModel.metadata.tables[table])).scalar() == 1
    draft = Store(engine).get(draft_id)
    assert draft is not None
    assert (draft.text, draft.version, draft.status) == ("Survivor.", 2, "published")
    assert draft.created_at == at.replace(tzinfo=UTC) and draft.created_at.tzinfo == UTC
    with Store(engine).transaction() as tx:  # and the migrated tables take new rows
        tx.audit(draft_id, "checked", actor_id="U0OWNER")
        assert [a.action for a in tx.audit_trail(draft_id)] == ["approved", "checked"]


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


def test_0014_from_0012_keeps_an_approved_draft_due_at_once(engine: Engine) -> None:
    """A draft approved before UNDO_WINDOW existed has no `undo_until`: it is not held back by the upgrade."""
    upgrade(engine, "0012")
    old = MetaData()
    old.reflect(engine)
    at = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    stored = at.replace(tzinfo=None) if engine.dialect.name == "sqlite" else at
    row = dict(
        brand="default", channel="C0DRAFTS", ts="1.5", writer_id="U0WRITER", writer_name="Wendy", status="approved",
        version=1,
        text="Queued before the upgrade.", attempts=0, looks=0, created_at=stored, updated_at=stored,
        decided_at=stored,
    )  # fmt: skip
    with engine.begin() as connection:
        draft_id = connection.execute(old.tables["draft"].insert().values(**row)).inserted_primary_key[0]
    upgrade(engine, "0014")
    assert current(engine) == "0014"
    upgrade(engine)  # the model (and the due query) is the head's: the rows 0014 left must read at the head
    with Store(engine).read() as tx:
        draft = tx.get(draft_id)
        assert draft is not None and (draft.undo_until, draft.undone_by, draft.undone_at) == (None, None, None)
        assert due_drafts(tx, at + timedelta(seconds=1)) == [draft_id]  # its X delivery (0017)
