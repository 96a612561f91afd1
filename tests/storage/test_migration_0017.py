"""Migration 0017 (deliveries) on a populated database: every draft past approval becomes its X delivery, with every
delivery field it had; drafts not approved get none; and the way back down puts them back into the draft rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import MetaData, select
from sqlalchemy.engine import Engine

from storage import deliveries
from storage.migrate import downgrade, upgrade
from storage.models import Status
from storage.store import Store
from tests.storage.test_migrations import current, differences, engine  # noqa: F401 (fixture)

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
# status → the delivery fields that draft had at 0016 (JSON as stored: text)
DRAFTS: dict[str, dict[str, object]] = {
    "pending": {},
    "rejected": {},
    "approved": {
        "final_parts": '["Soon."]',
        "attempts": 1,
        "next_attempt_at": AT + timedelta(minutes=2),
        "last_error": "X rate limit reached",
    },
    "publishing": {
        "final_parts": '["One", "Two"]',
        "post_ids": '["201"]',
        "attempt_id": "a1",
        "claimed_by": "host:42:99:m",
        "lease_until": AT + timedelta(seconds=90),
        "attempts": 1,
    },
    "published": {
        "final_parts": '["Part 1", "Part 2", "Part 3"]',
        "post_ids": '["301", "302", "303"]',
        "post_url": "https://x.com/acme/status/301",
        "attempts": 2,
        "published_at": AT,
    },
    "unknown": {
        "final_parts": '["Maybe."]',
        "attempts": 1,
        "looks": 3,
        "next_attempt_at": AT + timedelta(seconds=30),
        "last_error": "X answered 503; it is not among the account's recent posts",
    },
    "failed": {"final_parts": '["No."]', "attempts": 1, "last_error": "X refused the keys (401)"},
    "deleted": {
        "final_parts": '["Gone."]',
        "post_ids": '["501"]',
        "post_url": "https://x.com/acme/status/501",
        "attempts": 1,
        "published_at": AT,
        "deleted_ids": '["501"]',
        "deleted_at": AT + timedelta(hours=1),
        "deleted_by": "U0OWNER",
        "delete_reason": "typo",
    },
}
LISTS = {"final_parts", "post_ids", "deleted_ids"}
TIMES = {"next_attempt_at", "lease_until", "published_at", "deleted_at"}
ON_DELIVERY = (
    "final_parts",
    "post_ids",
    "post_url",
    "attempt_id",
    "claimed_by",
    "lease_until",
    "attempts",
    "next_attempt_at",
    "looks",
    "last_error",
    "published_at",
    "deleted_ids",
    "deleted_at",
)


DRAFT_INDEXES = {"ix_draft_status_next", "ix_draft_brand_status_published"}  # 0018 drops them with the columns


def left_for_0018(found: list[object]) -> set[str]:
    """What 0017 has that the models no longer do: the draft's columns and indexes migration 0018 drops."""
    names = set()
    for diff in found:
        kind, *rest = diff  # type: ignore[misc]
        if kind == "remove_column":
            assert rest[1] == "draft", diff
            names.add(rest[2].name)
        else:
            assert kind == "remove_index" and rest[0].table.name == "draft", diff
            names.add(rest[0].name)
    return names


def stored(value: object, sqlite: bool) -> object:
    return value.replace(tzinfo=None) if sqlite and isinstance(value, datetime) else value


def expected(status: str, name: str) -> object:
    value = DRAFTS[status].get(name, 0 if name in ("attempts", "looks") else None)
    if name in LISTS and value is not None:
        import json

        return json.loads(str(value))
    return value


def test_every_draft_past_approval_becomes_its_x_delivery_and_back(engine: Engine) -> None:  # noqa: F811
    upgrade(engine, "0016")
    sqlite = engine.dialect.name == "sqlite"
    old = MetaData()
    old.reflect(engine)
    ids: dict[str, int] = {}
    with engine.begin() as connection:
        for n, (status, fields) in enumerate(DRAFTS.items()):
            values = {k: stored(v, sqlite) for k, v in fields.items()}
            values.setdefault("attempts", 0)
            values.setdefault("looks", 0)
            ids[status] = connection.execute(
                old.tables["draft"]
                .insert()
                .values(
                    brand="acme",
                    channel="C0DRAFTS",
                    ts=f"1.00000{n}",
                    writer_id="U0WRITER",
                    writer_name="Wendy",
                    status=status,
                    version=2,
                    text=status,
                    decided_at=stored(AT - timedelta(minutes=5), sqlite),
                    created_at=stored(AT - timedelta(hours=1), sqlite),
                    updated_at=stored(AT, sqlite),
                    **values,
                )
            ).inserted_primary_key[0]

    upgrade(engine, "0017")
    assert current(engine) == "0017"
    assert left_for_0018(differences(engine)) == set(ON_DELIVERY) - {"final_parts"} | DRAFT_INDEXES
    store = Store(engine)
    with store.read() as tx:
        found = {status: deliveries.of_draft(tx.session, draft_id) for status, draft_id in ids.items()}
    assert found["pending"] == [] and found["rejected"] == []  # nothing was decided to go out
    for status in ("approved", "publishing", "published", "unknown", "failed", "deleted"):
        [delivery] = found[status]
        assert (delivery.network, delivery.status, delivery.version, delivery.brand) == ("x", status, 2, "acme")
        assert delivery.keys is None  # X took none; a key is chosen per part from now on
        assert delivery.created_at == AT - timedelta(minutes=5)  # when it was approved
        for name in ON_DELIVERY:
            assert getattr(delivery, name) == expected(status, name), (status, name)
    with store.read() as tx:  # the aggregate of the one delivery is the draft's own status: nothing changes
        for status, draft_id in ids.items():
            statuses = [d.status for d in deliveries.of_draft(tx.session, draft_id)]
            assert deliveries.aggregate(statuses) in (None, Status(status))

    # The way back down is lossless: each draft's row gets its X delivery's fields back.
    with store.transaction() as tx:
        [published] = deliveries.of_draft(tx.session, ids["published"])
        assert deliveries.move(
            tx.session,
            published.id or 0,
            frm={Status.PUBLISHED},
            to=Status.PUBLISHED,
            post_url="https://x.com/acme/status/301?moved=after-0017",
        )
    downgrade(engine, "0016")
    assert current(engine) == "0016"
    with engine.connect() as connection:
        draft = old.tables["draft"]
        row = connection.execute(select(draft).where(draft.c.id == ids["published"])).mappings().one()
        assert row["post_url"] == "https://x.com/acme/status/301?moved=after-0017"
        assert row["post_ids"] == '["301", "302", "303"]'
        pending = connection.execute(select(draft).where(draft.c.id == ids["pending"])).mappings().one()
        assert pending["post_ids"] is None and pending["status"] == "pending"
    upgrade(engine)
    assert differences(engine) == []
