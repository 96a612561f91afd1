"""Delete of a draft that is up on X, Bluesky and Mastodon, through `/countersign delete` on the real app (the
fixtures of test_three_networks: signed HTTP, each network its own stand-in behind its own unpatched SDK).

Each network's delete is claimed and fenced on its own delivery: Bluesky refusing stops Bluesky only; X and
Mastodon are taken down and stay recorded as gone; Retry claims what is still up (Bluesky) and never sends X or
Mastodon a delete again; the draft is deleted, audited once, when the last network is."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.networks.mastodon.sandbox import MastodonSandbox
from bot.slack.blocks import slack_date
from storage.models import Draft, Status
from tests.e2e.harness import OWNER, WRITER, Harness, block_text
from tests.e2e.three_networks import CHANNEL, command, deliveries, wait_until

DELETE_RECORD = "com.atproto.repo.deleteRecord"
MASTODON_DELETE = "DELETE /api/v1/statuses/:id"


@pytest.fixture
def app(three: Harness) -> Harness:
    return three


def delete(app: Harness, draft_id: int) -> str:
    """`/countersign delete` in the brand's channel: the ack, having waited (when it claimed the deletion) for the
    answer sent once every network has answered."""
    before = len(app.slack.calls_to("response_url"))
    response = app.driver.command(f"delete {draft_id} wrong price", OWNER, channel=CHANNEL)
    assert response.status_code == 200
    said = response.json()["text"]
    if said.startswith("Deleting"):
        app.slack.wait_for_call("response_url", count=before + 1, timeout=15)
    return said


def test_a_network_refusing_a_delete_stops_only_its_own_and_retry_finishes_it(
    app: Harness,
    networks: tuple[BlueskySandbox, MastodonSandbox],
) -> None:
    bluesky, mastodon = networks
    app.driver.message(WRITER, "Summer menu: iced oat latte.", CHANNEL)
    app.click(app.card(OWNER, containing="Summer menu"), "Approve", OWNER)
    wait_until(lambda: {d.status for d in deliveries(app).values()} == {Status.PUBLISHED}, timeout=15)
    with app.store.read() as tx:
        [draft] = tx.session.exec(select(Draft)).all()
    assert draft.id is not None
    up = deliveries(app)
    bluesky.fail(DELETE_RECORD, status=500)

    assert "(3 posts)" in delete(app, draft.id)  # one post on each network

    found = deliveries(app)
    assert (found["x"].status, found["mastodon"].status) == (Status.DELETED, Status.DELETED)
    assert found["bluesky"].status == Status.DELETE_FAILED and found["bluesky"].last_error
    assert found["x"].last_error is None and found["mastodon"].last_error is None  # Bluesky's reason is its own
    assert found["x"].deleted_ids == up["x"].post_ids and found["bluesky"].deleted_ids in (None, [])
    assert app.store.get(draft.id).status == Status.DELETE_FAILED  # type: ignore[union-attr]
    assert app.x.live_posts() == [] and mastodon.live_statuses() == [] and len(bluesky.posts()) == 1
    assert all(d.attempt_id is None and d.lease_until is None for d in found.values())  # every claim let go
    card = app.wait_card(app.card(OWNER, containing="Summer menu"), lambda m: "stopped" in block_text(m.blocks), 10)
    said = block_text(card.blocks)  # the one line of a stopped deletion: what is up where, not X's parts
    assert "*Still on Bluesky: part 1 (" in said and "Deleted from X and Mastodon." in said
    assert f"stopped: {found['bluesky'].last_error}." in said and "Still on X" not in said
    shown = command(app, f"show {draft.id}")  # each network's own state, from its delivery
    for network, title in (("x", "X"), ("mastodon", "Mastodon")):
        at = found[network].deleted_at
        assert at and f"{title}: published" in shown and f"· deleted by <@{OWNER}> {slack_date(at)}" in shown
    assert f"Bluesky: published {slack_date(found['bluesky'].published_at)} {found['bluesky'].post_url}" in shown
    assert f"· now delete_failed: {found['bluesky'].last_error}" in shown
    status = command(app, "status")
    assert "0 being deleted, 1 deletion stopped" in status
    assert f"X deleted · Bluesky delete failed: {found['bluesky'].last_error} · Mastodon deleted" in status

    delete(app, draft.id)  # Retry: only Bluesky is still up

    found = deliveries(app)
    assert {d.status for d in found.values()} == {Status.DELETED}
    assert app.store.get(draft.id).status == Status.DELETED  # type: ignore[union-attr]
    assert bluesky.posts() == []
    assert app.x.delete_requests() == up["x"].post_ids  # X was asked once, never again on Retry
    assert len(mastodon.requests_to(MASTODON_DELETE)) == 1
    assert len(bluesky.calls(DELETE_RECORD)) == 2  # the refused one, and Retry's
    actions = [a.action for a in app.audit(draft.id) if a.action.startswith(("delete", "part_"))]
    assert actions == [
        "delete_requested",
        "part_deleted",  # X
        "delete_failed",  # Bluesky
        "part_deleted",  # Mastodon
        "delete_requested",
        "part_deleted",  # Bluesky, on Retry
        "deleted_from_x",  # once, when the last network is down
    ]
    assert "already. Nothing was sent again" in delete(app, draft.id)  # a third ask changes nothing
    assert app.x.delete_requests() == up["x"].post_ids and len(bluesky.calls(DELETE_RECORD)) == 2
