"""What the writer reads in the draft's thread, and the owner in `/countersign delete`'s answers, for a brand on X,
Bluesky and Mastodon, through the real app (signed HTTP, each network its own stand-in behind its own unpatched SDK).

Mastodon refuses the token while X and Bluesky take the post: the writer hears which network failed and where it
is up; once Retry Mastodon puts it up there too, every network's link; after Delete, that it is gone from all three.
None of it says X alone, as it did when X was the only network."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.networks.mastodon.sandbox import MastodonSandbox
from storage.models import Draft, Status
from tests.e2e.harness import OWNER, WRITER, Harness
from tests.e2e.three_networks import CHANNEL, deliveries, wait_until

EVERYWHERE = "X, Bluesky and Mastodon"


@pytest.fixture
def app(three: Harness) -> Harness:
    return three


def thread_says(app: Harness, ts: str, containing: str) -> str:
    """The writer's thread reply that contains `containing` (waiting for it: the app replies after the move)."""
    [reply] = app.thread(ts, containing=containing, channel=CHANNEL, timeout=15)
    return reply.text


def test_the_writers_thread_names_each_network_when_one_fails_then_all_when_up_and_when_deleted(
    app: Harness, networks: tuple[BlueskySandbox, MastodonSandbox]
) -> None:
    _, mastodon = networks
    ts, response = app.driver.message(WRITER, "Cold brew is back.", CHANNEL)
    assert response.status_code == 200
    card = app.card(OWNER, containing="Cold brew")
    mastodon.fail("POST /api/v1/statuses", status=401)

    app.click(card, "Approve", OWNER)

    wait_until(lambda: [d.status for d in deliveries(app).values()] == ["published", "published", "failed"], 15)
    found = deliveries(app)
    failed = thread_says(app, ts, "publishing failed")
    assert failed == (
        f"Approved by <@{OWNER}>, but publishing failed on Mastodon: <{found['x'].post_url}|X> ·"
        f" <{found['bluesky'].post_url}|Bluesky> · Mastodon failed: {found['mastodon'].last_error}."
        " Retry is on the card."
    )

    app.click(app.card(OWNER, containing="Retry Mastodon"), "Retry Mastodon", OWNER)

    wait_until(lambda: {d.status for d in deliveries(app).values()} == {Status.PUBLISHED}, timeout=15)
    up = deliveries(app)
    links = " · ".join(f"{title}: {up[n].post_url}" for n, title in (("x", "X"), ("bluesky", "Bluesky")))
    assert thread_says(app, ts, "· published") == (
        f"Approved by <@{OWNER}> · published {links} · Mastodon: {up['mastodon'].post_url}"
    )

    with app.store.read() as tx:
        [draft] = tx.session.exec(select(Draft)).all()
    before = len(app.slack.calls_to("response_url"))
    response = app.driver.command(f"delete {draft.id} wrong price", OWNER, channel=CHANNEL)
    assert response.json()["text"] == f"Deleting draft #{draft.id} from {EVERYWHERE} (3 posts)…"
    answer = app.slack.wait_for_call("response_url", count=before + 1, timeout=15)
    deleted = f":wastebasket: Draft #{draft.id} is deleted from {EVERYWHERE} (all 3 posts). Every card says so."
    assert answer.args["text"] == deleted
    told = thread_says(app, ts, "deleted from")
    assert told == f"This post was deleted from {EVERYWHERE} by <@{OWNER}>:\n>wrong price"


def test_a_second_delete_is_refused_naming_every_network(app: Harness) -> None:
    ts, _ = app.driver.message(WRITER, "Oat flat white, all week.", CHANNEL)
    app.click(app.card(OWNER, containing="Oat flat white"), "Approve", OWNER)
    wait_until(lambda: {d.status for d in deliveries(app).values()} == {Status.PUBLISHED}, timeout=15)
    thread_says(app, ts, "· published")
    with app.store.read() as tx:
        [draft] = tx.session.exec(select(Draft)).all()
    before = len(app.slack.calls_to("response_url"))
    app.driver.command(f"delete {draft.id}", OWNER, channel=CHANNEL)
    app.slack.wait_for_call("response_url", count=before + 1, timeout=15)

    again = app.driver.command(f"delete {draft.id}", OWNER, channel=CHANNEL).json()["text"]

    assert again == f"This post was deleted from {EVERYWHERE} already. Nothing was sent again."


def test_help_in_the_brands_channel_names_its_three_networks(app: Harness) -> None:
    said = app.driver.command("help", OWNER, channel=CHANNEL).json()["text"]
    assert f"delete a published post (every part of a thread) from {EVERYWHERE}; the reason is kept" in said


def test_a_writer_deleting_a_published_message_is_told_every_networks_link(app: Harness) -> None:
    text = "Oat flat white, all week."
    ts, _ = app.driver.message(WRITER, text, CHANNEL)
    app.click(app.card(OWNER, containing="Oat flat white"), "Approve", OWNER)
    wait_until(lambda: {d.status for d in deliveries(app).values()} == {Status.PUBLISHED}, timeout=15)
    thread_says(app, ts, "· published")  # Slack now reports the deletion of a message with replies as a tombstone
    up = deliveries(app)

    assert app.driver.delete_message(CHANNEL, ts, text, WRITER).status_code == 200

    told = thread_says(app, ts, "isn't withdrawn")
    links = " · ".join(f"{title}: {up[n].post_url}" for n, title in (("x", "X"), ("bluesky", "Bluesky")))
    assert f"It is on {links} · Mastodon: {up['mastodon'].post_url} " in told
    assert told.endswith(f"ask an approver to delete it on {EVERYWHERE}.")
