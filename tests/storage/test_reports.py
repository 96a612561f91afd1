"""The queries behind `/countersign status` and the digest (storage/reports.py), on SQLite and (with
COUNTERSIGN_TEST_DATABASE_URL) PostgreSQL: what they count and in which order they list drafts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from bot.jobs.schedule import Week
from bot.reports import status
from bot.runtime.settings import Settings
from storage import deliveries, reports
from storage.models import Delivery, Draft, Status
from storage.store import Store
from tests.delivered import insert

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # a Sunday: this week began on Monday 16 November
LAST_WEEK = NOW - timedelta(days=8)
SETTINGS = Settings.from_env(
    {
        "SLACK_BOT_TOKEN": "xoxb-1-bot-token",
        "SLACK_SIGNING_SECRET": "signing-secret-value",
        "X_API_KEY": "x-key-value",
        "X_API_SECRET": "x-secret-value",
        "X_ACCESS_TOKEN": "x-access-token-value",
        "X_ACCESS_TOKEN_SECRET": "x-access-secret-value",
        "DRAFTS_CHANNEL": "C0DRAFTS",
        "APPROVERS": "U0OWNER",
        "AGENCY_NAME": "Acme Agency",
        "TIMEZONE": "UTC",
    }
)
_ts = itertools.count(1)


HOUR_AGO = NOW - timedelta(hours=1)


def add(store: Store, state: str, at: datetime = HOUR_AGO, brand: str = "default", **values: object) -> int:
    draft = Draft(
        brand=brand,
        channel="C0DRAFTS",
        ts=f"1763800000.{next(_ts):06d}",
        writer_id="U0WRITER",
        text=f"A {state} draft",
        status=state,
        created_at=at,
        updated_at=at,
        pending_since=at,
        decided_at=None if state == Status.PENDING else at,
    )
    posted = {"published_at": at, "post_url": "https://x.com/acme/status/1"} if state == Status.PUBLISHED else {}
    with store.transaction() as tx:
        return insert(tx, draft, **(posted | values))


def fill_every_status(store: Store) -> None:
    """Two drafts in each status, one this week and one last week, and one of another brand."""
    for state in Status:
        add(store, state)
        add(store, state, at=LAST_WEEK)
        add(store, state, brand="other")


def test_counts_cover_only_the_statuses_asked_for(store: Store) -> None:
    fill_every_status(store)
    add(store, Status.PENDING)
    with store.transaction() as tx:
        assert reports.counts_by_status(tx.session, "default", [Status.PENDING]) == {Status.PENDING: 3}
        asked = [Status.FAILED, Status.UNKNOWN, Status.PUBLISHED]
        assert reports.counts_by_status(tx.session, "default", asked) == dict.fromkeys(asked, 2)
        assert reports.counts_by_status(tx.session, "other", status.COUNTED) == dict.fromkeys(status.COUNTED, 1)
        assert reports.counts_by_status(tx.session, "nobody", status.COUNTED) == {}
        assert reports.counts_by_status(tx.session, "default", []) == {}


def test_status_counts_the_active_statuses_and_this_weeks_outcomes(store: Store) -> None:
    """The count line is what it was when every status of the whole history was counted."""
    fill_every_status(store)
    report = status.build(store, SETTINGS, now=NOW)
    assert set(report.counts) == set(status.COUNTED)
    assert status.count_line(report) == (
        "2 pending · 2 changes requested · 2 approved/scheduled · 2 publishing · 1 published this week · "
        "2 failed · 2 unknown · 1 rejected this week · 0 deleted from X this week · "
        "2 being deleted, 2 deletion stopped"
    )


def test_drafts_in_several_statuses_lists_the_first_of_them_all_in_order(store: Store) -> None:
    """Each status is read on its own (limit rows each), then merged: the same drafts, in the same order, as one
    sort over every draft of those statuses; ties in time go by id."""
    rows: list[tuple[int, str, datetime, datetime]] = []
    for n in range(12):
        state = (Status.FAILED, Status.UNKNOWN, Status.PENDING)[n % 3]
        updated = NOW - timedelta(minutes=(n * 7) % 5)  # repeats: ties broken by id
        waiting = NOW - timedelta(hours=(n * 5) % 4, minutes=n % 2)
        rows.append((add(store, state, updated_at=updated, pending_since=waiting), state, updated, waiting))
        add(store, state, brand="other", updated_at=NOW + timedelta(days=1), pending_since=NOW - timedelta(days=9))
    need = [r for r in rows if r[1] in (Status.FAILED, Status.UNKNOWN)]
    newest = [r[0] for r in sorted(need, key=lambda r: (-r[2].timestamp(), r[0]))]
    oldest = [r[0] for r in sorted(need, key=lambda r: (r[3], r[0]))]
    queue = [r[0] for r in sorted(rows, key=lambda r: (r[3], r[0])) if r[1] == Status.PENDING]
    both = [Status.FAILED, Status.UNKNOWN, Status.FAILED]
    with store.transaction() as tx:
        for limit in (1, 3, 5, 20):
            listed = reports.drafts_in(tx.session, "default", both, limit=limit, oldest_first=False)
            assert [d.id for d in listed] == newest[:limit]
            listed = reports.drafts_in(tx.session, "default", both, limit=limit)
            assert [d.id for d in listed] == oldest[:limit]
            listed = reports.drafts_in(tx.session, "default", [Status.PENDING], limit=limit)
            assert [d.id for d in listed] == queue[:limit]
        assert reports.drafts_in(tx.session, "default", [], limit=5) == []


def second_network(store: Store, draft_id: int, network: str, state: str, at: datetime | None = None) -> None:
    """Another network's delivery of the draft's version, in `state` (published at `at`)."""
    with store.transaction() as tx:
        draft = tx.get(draft_id)
        assert draft is not None
        tx.session.add(
            Delivery(
                draft_id=draft_id,
                brand=draft.brand,
                version=draft.version,
                network=network,
                status=state,
                post_ids=["9"] if at else None,
                post_url=f"https://{network}.example/9" if at else None,
                published_at=at,
                last_error=None if at else "refused",
            )
        )


def test_what_went_out_is_counted_by_each_networks_own_time(store: Store) -> None:
    """A draft is published in a week when any of its networks' posts went out in it (and is still up): the X post
    of last week and the Bluesky post of this week put one draft in both weeks; one network failing doesn't take
    the other's post out of the count; a post taken down since is not counted."""
    week, last_week = Week.of(NOW, SETTINGS.timezone), Week.of(LAST_WEEK, SETTINGS.timezone)
    late = add(store, Status.PUBLISHED, at=LAST_WEEK)
    second_network(store, late, "bluesky", Status.PUBLISHED, at=NOW - timedelta(minutes=5))
    half = add(store, Status.FAILED, published_at=HOUR_AGO)
    with store.transaction() as tx:
        [x_half] = deliveries.of_draft(tx.session, half)
        deliveries.move(tx.session, x_half.id or 0, frm={Status.FAILED}, to=Status.PUBLISHED, post_url="https://x/1")
    second_network(store, half, "mastodon", Status.FAILED)
    add(store, Status.DELETED, published_at=HOUR_AGO)
    add(store, Status.PUBLISHED, brand="other")
    with store.read() as tx:
        session = tx.session
        assert reports.count_published_between(session, "default", week.start, week.end) == 2
        assert reports.count_published_between(session, "default", last_week.start, last_week.end) == 1
        assert [d.id for d in reports.published_between(session, "default", week.start, week.end)] == [half, late]
        assert [d.id for d in reports.last_published(session, "default", 5)] == [late, half]  # newest post first
        assert [d.id for d in reports.last_published(session, "default", 1)] == [late]
