"""Issue 12, item 2: a draft's images checked against every network of its brand before any card.

One brand on X, Bluesky and Mastodon. An image X takes but Bluesky doesn't (over Bluesky's 2,000,000 bytes; a GIF,
which Bluesky doesn't take), more images than the Mastodon instance says it takes, alt text over the instance's
`description_limit`: each refuses the draft in the writer's thread naming the network and its limit, no approver
gets a card and no network is called. The owner's Edit is held to the same limits. The instance's limits are read
from its `/api/v2/instance`, as the stand-in serves them.
"""

from __future__ import annotations

import pytest

from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.networks.mastodon.sandbox import MastodonSandbox
from bot.sandbox.slack_api import dm_channel_for
from bot.slack.ids import BlockId, CallbackId, InputId
from tests.e2e.harness import OWNER, Harness
from tests.e2e.images import gif, image, noisy_png
from tests.e2e.three_networks import CHANNEL


@pytest.fixture
def app(three: Harness) -> Harness:
    return three


def draft(app: Harness, text: str, files: list[dict]) -> str:
    """A writer's message with files in Acme's drafts channel."""
    return app.draft(text, channel=CHANNEL, files=files)


def reply(app: Harness, ts: str) -> str:
    [said] = app.thread(ts, channel=CHANNEL)
    return said.text


def nothing_sent(app: Harness, networks: tuple[BlueskySandbox, MastodonSandbox], ts: str) -> None:
    """No draft was made of the message `ts`, no approver got a card and no network was called."""
    bluesky, mastodon = networks
    assert app._maybe_row(ts, CHANNEL) is None
    assert app.slack.messages(dm_channel_for(OWNER)) == []  # no card
    assert app.x.requests == []
    assert bluesky.calls("com.atproto.repo.uploadBlob") == []
    assert mastodon.requests_to("POST /api/v2/media") == [] and mastodon.requests_to("POST /api/v1/statuses") == []


def test_an_image_x_takes_but_over_bluesky_s_limit_is_refused_naming_bluesky(
    app: Harness, networks: tuple[BlueskySandbox, MastodonSandbox]
) -> None:
    data = noisy_png(3 * 1024 * 1024)  # within X's 5 MB and Mastodon's 16 MB
    ts = draft(app, "Our new hero shot", [app.slack.add_file("hero.png", data)])
    said = reply(app, ts)
    size = f"{len(data) / 1024 / 1024:.1f} MB"
    assert said.startswith(
        f"Not sent for approval. `hero.png` is too big for Bluesky ({size}; Bluesky takes an image up to 1.9 MB)."
    ), said
    assert "for X" not in said and "Mastodon" not in said
    nothing_sent(app, networks, ts)


def test_a_gif_is_refused_for_a_brand_on_bluesky_saying_what_bluesky_takes(
    app: Harness, networks: tuple[BlueskySandbox, MastodonSandbox]
) -> None:
    ts = draft(app, "Happy Friday", [app.slack.add_file("party.gif", gif())])
    said = reply(app, ts)
    assert "`party.gif` is an image type Bluesky doesn't take: it takes JPEG, PNG and WebP." in said
    nothing_sent(app, networks, ts)


def test_more_images_than_the_instance_takes_are_refused_naming_mastodon_and_its_number(
    app: Harness, networks: tuple[BlueskySandbox, MastodonSandbox]
) -> None:
    _, mastodon = networks
    mastodon.limits["max_media_attachments"] = 2  # what this instance's /api/v2/instance says
    files = [app.slack.add_file(f"{n}.png", image(color=(n, n, n))) for n in range(3)]
    ts = draft(app, "Three cups", files)
    said = reply(app, ts)
    assert "Mastodon takes at most 2 images in a post; this message has 3 images." in said
    assert "X takes" not in said and "Bluesky" not in said  # both take 4
    nothing_sent(app, networks, ts)


def test_alt_text_over_the_instance_s_description_limit_is_refused_naming_mastodon(
    app: Harness, networks: tuple[BlueskySandbox, MastodonSandbox]
) -> None:
    _, mastodon = networks
    mastodon.limits["description_limit"] = 200
    ts = draft(app, "A cup\nalt: " + "a" * 250, [app.slack.add_file("cup.png", image())])
    said = reply(app, ts)
    assert "The alt text of `cup.png` is too long (250 characters; Mastodon takes up to 200)." in said
    nothing_sent(app, networks, ts)


def test_the_owners_edit_is_held_to_the_instance_s_alt_text_limit(
    app: Harness, networks: tuple[BlueskySandbox, MastodonSandbox]
) -> None:
    _, mastodon = networks
    mastodon.limits["description_limit"] = 200
    draft(app, "A cup\nalt: a cup", [app.slack.add_file("cup.png", image())])
    card = app.card(OWNER, containing="A cup")
    app.click(card, "Edit")
    modal = app.modal(CallbackId.EDIT)
    response = app.submit(modal, {BlockId.EDIT_TEXT: {InputId.TEXT: "A cup\nalt: " + "b" * 201}})
    body = response.json()
    assert body["response_action"] == "errors"
    assert "201 characters; Mastodon takes up to 200" in body["errors"][BlockId.EDIT_TEXT]
    assert app.x.requests == [] and mastodon.requests_to("POST /api/v1/statuses") == []
