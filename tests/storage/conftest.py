"""A migrated, empty database per test: SQLite, and PostgreSQL when COUNTERSIGN_TEST_DATABASE_URL is set."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage.engine import make_engine
from storage.migrate import upgrade
from storage.store import Store
from tests import db


@pytest.fixture(params=db.BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with db.isolated_database(request.param, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        yield Store(engine)
        engine.dispose()
