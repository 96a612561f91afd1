"""Migration 0015 (escalation) upgrades a database at 0012 with its drafts intact, and goes back down."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from storage.engine import make_engine
from storage.migrate import downgrade, upgrade
from tests import db


@pytest.fixture(params=db.BACKENDS)
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with db.isolated_database(request.param, tmp_path) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("draft")}


def test_0015_adds_the_escalation_times_to_drafts_written_at_0012(engine: Engine) -> None:
    upgrade(engine, "0012")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO draft (brand, channel, ts, writer_id, writer_name, status, version, text, attempts, looks,"
                " created_at, updated_at) VALUES ('default', 'C0DRAFTS', '1.0', 'U0W', 'W', 'pending', 1, 'hi', 0, 0,"
                " '2026-12-01 09:00:00+00:00', '2026-12-01 09:00:00+00:00')"
            )
        )
    assert not {"waiting_since", "escalate_at", "escalated_at"} & columns(engine)
    upgrade(engine, "0015")
    assert {"waiting_since", "escalate_at", "escalated_at"} <= columns(engine)
    assert "ix_draft_status_escalate_at" in {i["name"] for i in inspect(engine).get_indexes("draft")}
    with engine.connect() as conn:
        row = conn.execute(text("SELECT text, waiting_since, escalate_at, escalated_at FROM draft")).one()
    assert tuple(row) == ("hi", None, None, None)  # drafts from before never escalate by surprise
    downgrade(engine, "0012")
    assert not {"waiting_since", "escalate_at", "escalated_at"} & columns(engine)
