"""Migration 0018 (the draft's delivery columns dropped) on a populated database: every draft and every row that
points at one survives the rebuild of `draft`, the twelve columns and their indexes go, and the way back down
fills them from each draft's first delivery of its current version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import MetaData, inspect, select, text
from sqlalchemy.engine import Engine

from storage.migrate import downgrade, upgrade
from tests.storage.test_migration_0017 import ON_DELIVERY
from tests.storage.test_migrations import current, differences, engine  # noqa: F401 (fixture)

AT = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DROPPED = set(ON_DELIVERY) - {"final_parts"}  # the decision's parts stay on the draft


def at(value: datetime, sqlite: bool) -> datetime:
    return value.replace(tzinfo=None) if sqlite else value


def seed(db: Engine) -> dict[str, int]:
    """At 0017: a pending draft with a card and its audit row, a draft published on X and Bluesky (version 2, whose
    version 1 went to X first), and a failed one: every kind of row that points at `draft`."""
    sqlite = db.dialect.name == "sqlite"
    old = MetaData()
    old.reflect(db)
    draft, delivery = old.tables["draft"], old.tables["delivery"]
    ids: dict[str, int] = {}
    with db.begin() as connection:
        for n, (name, status, version) in enumerate(
            (("pending", "pending", 1), ("published", "published", 2), ("failed", "failed", 1))
        ):
            ids[name] = connection.execute(
                draft.insert().values(
                    brand="acme",
                    channel="C0DRAFTS",
                    ts=f"2.00000{n}",
                    writer_id="U0WRITER",
                    writer_name="Wendy",
                    status=status,
                    version=version,
                    text=f"{name} text",
                    decided_by=None if name == "pending" else "U0OWNER",
                    final_parts=None if name == "pending" else f'["{name} text"]',
                    attempts=3 if name == "published" else 0,  # the projection's figures, about to go
                    looks=0,
                    post_url="https://x.com/acme/status/old" if name == "published" else None,
                    created_at=at(AT - timedelta(hours=1), sqlite),
                    updated_at=at(AT, sqlite),
                )
            ).inserted_primary_key[0]
            connection.execute(
                old.tables["draft_version"]
                .insert()
                .values(
                    draft_id=ids[name], version=1, text=f"{name} text", author_id="U0WRITER", created_at=at(AT, sqlite)
                )
            )
            connection.execute(
                old.tables["audit_event"]
                .insert()
                .values(
                    brand="acme",
                    draft_id=ids[name],
                    action="submitted",
                    actor_id="U0WRITER",
                    actor_team_id="",
                    at=at(AT, sqlite),
                )
            )
        connection.execute(
            old.tables["card"]
            .insert()
            .values(
                draft_id=ids["pending"],
                approver_id="U0OWNER",
                channel="D0OWNER",
                ts="3.000001",
                created_at=at(AT, sqlite),
            )
        )
        common = {"brand": "acme", "keys": None, "attempt_id": None, "claimed_by": None, "lease_until": None}
        common |= {"next_attempt_at": None, "looks": 0, "deleted_ids": None, "deleted_at": None}
        common |= {"created_at": at(AT, sqlite), "updated_at": at(AT, sqlite)}
        for version, network, post, attempts in ((1, "x", "100", 1), (2, "x", "200", 2), (2, "bluesky", "b2", 1)):
            url = (
                f"https://x.com/acme/status/{post}" if network == "x" else f"https://bsky.app/profile/acme/post/{post}"
            )
            connection.execute(
                delivery.insert().values(
                    draft_id=ids["published"],
                    version=version,
                    network=network,
                    status="published",
                    final_parts='["published text"]',
                    post_ids=f'["{post}"]',
                    post_url=url,
                    attempts=attempts,
                    last_error=None,
                    published_at=at(AT + timedelta(minutes=version), sqlite),
                    **common,
                )
            )
        connection.execute(
            delivery.insert().values(
                draft_id=ids["failed"],
                version=1,
                network="x",
                status="failed",
                final_parts='["failed text"]',
                post_ids=None,
                post_url=None,
                attempts=2,
                last_error="X refused the keys (401)",
                published_at=None,
                **common,
            )
        )
    return ids


def counts(db: Engine) -> dict[str, int]:
    with db.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
            for table in ("draft", "draft_version", "audit_event", "card", "delivery")
        }


def test_the_rebuild_keeps_every_draft_and_what_points_at_it_and_the_way_down_refills_from_the_first_delivery(
    engine: Engine,  # noqa: F811
) -> None:
    upgrade(engine, "0017")
    ids = seed(engine)
    before = counts(engine)

    upgrade(engine, "0018")
    assert current(engine) == "0018"
    assert differences(engine) == []
    assert counts(engine) == before
    columns = {c["name"] for c in inspect(engine).get_columns("draft")}
    assert not columns & DROPPED
    indexes = {i["name"] for i in inspect(engine).get_indexes("draft")}
    assert not indexes & {"ix_draft_status_next", "ix_draft_brand_status_published"}
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, status, version, text, decided_by FROM draft ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [
            (ids["pending"], "pending", 1, "pending text", None),
            (ids["published"], "published", 2, "published text", "U0OWNER"),
            (ids["failed"], "failed", 1, "failed text", "U0OWNER"),
        ]
        if engine.dialect.name == "sqlite":  # the rebuild ran with foreign keys off: nothing may point nowhere
            assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1  # and they are on again

    downgrade(engine, "0017")
    assert current(engine) == "0017"
    old = MetaData()
    old.reflect(engine)
    draft = old.tables["draft"]
    with engine.connect() as connection:
        found = {r["id"]: r for r in connection.execute(select(draft)).mappings()}
    published, failed, pending = found[ids["published"]], found[ids["failed"]], found[ids["pending"]]
    # Version 2's first delivery (X's, the lowest id), not version 1's, nor the projection that was dropped.
    assert (published["post_ids"], published["post_url"], published["attempts"]) == (
        '["200"]',
        "https://x.com/acme/status/200",
        2,
    )
    assert (failed["last_error"], failed["attempts"], failed["post_ids"]) == ("X refused the keys (401)", 2, None)
    assert (pending["post_ids"], pending["attempts"], pending["looks"]) == (None, 0, 0)
    assert {i["name"] for i in inspect(engine).get_indexes("draft")} >= {
        "ix_draft_status_next",
        "ix_draft_brand_status_published",
    }

    upgrade(engine)
    assert differences(engine) == []
    assert counts(engine) == before
