"""What people are told about a draft that went out on some of its brand's networks and not on the others.

One brand on X, Bluesky and Mastodon (the `three` fixture of tests/e2e/conftest.py: the real app over signed HTTP, each
network its own stand-in behind its own unpatched SDK). Mastodon refuses the token, so the draft is up on X and on
Bluesky and failed on Mastodon. `/countersign status`, `/countersign show` and the digest must each say that per
network, with each network's own link, its own time, and its own engagement: never the first network's post as
the draft's, and never one network's counts added to another's."""

from __future__ import annotations

import pytest
from sqlmodel import select

from bot.networks.bluesky.refs import PostRef
from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.networks.mastodon.sandbox import MastodonSandbox
from bot.reports import status
from bot.slack.blocks import slack_date
from storage.models import Delivery, Draft, Status
from tests.e2e.harness import OWNER, WRITER, Harness, block_text
from tests.e2e.three_networks import CHANNEL, command, deliveries, wait_until

TEXT = "Cold brew is back for the summer."


@pytest.fixture
def app(three: Harness) -> Harness:
    return three


def half_published(
    app: Harness,
    mastodon: MastodonSandbox,
    bluesky: BlueskySandbox | None = None,
) -> tuple[Draft, dict[str, Delivery]]:
    """The draft approved, up on X and Bluesky, failed on Mastodon (its token refused). With `bluesky`, its post
    answers 1.5 s late, so its time is another second than X's."""
    app.driver.message(WRITER, TEXT, CHANNEL)
    card = app.card(OWNER, containing="Cold brew")
    mastodon.fail(status=401)
    if bluesky is not None:
        bluesky.hang(seconds=1.5)
    app.click(card, "Approve", OWNER)
    want = {"x": Status.PUBLISHED, "bluesky": Status.PUBLISHED, "mastodon": Status.FAILED}
    wait_until(lambda: {n: d.status for n, d in deliveries(app).items()} == want, timeout=15)
    with app.store.read() as tx:
        [draft] = tx.session.exec(select(Draft)).all()
    return draft, deliveries(app)


def test_status_says_per_network_what_is_up_and_what_failed(
    app: Harness,
    networks: tuple[BlueskySandbox, MastodonSandbox],
) -> None:
    _, mastodon = networks
    draft, found = half_published(app, mastodon)
    assert draft.status == Status.FAILED  # the aggregate: a person has something to do

    text = command(app, "status")
    assert "1 failed" in text and "1 published this week" in text  # up on two networks: it went out this week
    [attention] = [line for line in text.splitlines() if line.startswith("•") and " failed" in line]
    assert f"<{found['x'].post_url}|X>" in attention and f"<{found['bluesky'].post_url}|Bluesky>" in attention
    assert "Mastodon failed: the instance refused the access token (401)" in attention
    assert "press Retry" in attention
    last = text.split("*Last published*", 1)[1]
    assert f"#{draft.id}" in last
    assert f"<{found['x'].post_url}|X>" in last and f"<{found['bluesky'].post_url}|Bluesky>" in last

    printed = status.plain(status.build(app.store, app.running.services.settings, brand="acme"))  # the CLI's text
    both = f"X {found['x'].post_url} · Bluesky {found['bluesky'].post_url}"
    assert f"  #{draft.id} failed: {both} · Mastodon failed: the instance refused" in printed
    assert f"  #{draft.id} {both} · Mastodon failed" in printed.split("Last published:", 1)[1]


def test_show_gives_each_networks_link_and_its_own_time(
    app: Harness,
    networks: tuple[BlueskySandbox, MastodonSandbox],
) -> None:
    bluesky, mastodon = networks
    draft, found = half_published(app, mastodon, bluesky)
    x_at, bluesky_at = found["x"].published_at, found["bluesky"].published_at
    assert x_at and bluesky_at and slack_date(x_at) != slack_date(bluesky_at)  # each its own moment, as shown

    text = command(app, f"show {draft.id}")
    for network, title in (("x", "X"), ("bluesky", "Bluesky")):
        delivery = found[network]
        assert delivery.post_url and delivery.published_at
        assert f"{title}: published {slack_date(delivery.published_at)} {delivery.post_url}" in text, text
    assert "Mastodon: failed: the instance refused the access token (401)" in text


def test_the_digest_lists_each_networks_post_with_its_own_engagement(
    app: Harness,
    networks: tuple[BlueskySandbox, MastodonSandbox],
) -> None:
    bluesky, mastodon = networks
    draft, found = half_published(app, mastodon)
    [x_id] = found["x"].post_ids or []
    [bluesky_id] = found["bluesky"].post_ids or []
    app.x.set_metrics(x_id, like_count=5, retweet_count=2, reply_count=1, impression_count=100)
    bluesky.set_counts(PostRef.decode(bluesky_id).rkey, like=7, repost=3, reply=4)

    response = app.driver.command("digest", OWNER, channel=CHANNEL)
    assert response.status_code == 200
    call = app.slack.wait_for_call("response_url", timeout=10)
    text = block_text(call.args["blocks"])

    assert "Published in your name: 1" in text
    [line] = [line for line in text.splitlines() if f"#{draft.id}" in line]
    x_said, bluesky_said, mastodon_said = line.split(" — ", 1)[1].split(" ; ")
    assert x_said == f"<{found['x'].post_url}|X>: 5 likes · 2 reposts · 1 replies · 100 impressions"
    # Bluesky's own counts, not added to X's, and no impressions made up (Bluesky counts none).
    assert bluesky_said == f"<{found['bluesky'].post_url}|Bluesky>: 7 likes · 3 reposts · 4 replies"
    assert mastodon_said.startswith("Mastodon failed: the instance refused the access token (401)")
