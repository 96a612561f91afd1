"""The one-brand environment setup on X, Bluesky and Mastodon: no brands file, the three accounts from
BLUESKY_* and MASTODON_* beside X_*; one approval posts once on each, the real SDKs talking to the stand-ins."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.networks.mastodon.sandbox import MastodonSandbox
from storage.models import Status
from tests.e2e.harness import OWNER, Harness, block_text, posted
from tests.e2e.three_networks import TOKEN


def test_the_environment_alone_posts_one_approval_to_x_bluesky_and_mastodon(
    start_bot: Callable[..., Harness], networks: tuple[BlueskySandbox, MastodonSandbox]
) -> None:
    bluesky, mastodon = networks
    bot = start_bot(
        BLUESKY_HANDLE=f"@{bluesky.user_handle}",
        BLUESKY_APP_PASSWORD=bluesky.app_password,
        BLUESKY_SERVICE=bluesky.url,
        MASTODON_INSTANCE=mastodon.url,
        MASTODON_ACCESS_TOKEN=TOKEN,
    )
    ts = bot.draft("Fresh beans are in.")
    card = bot.card(OWNER, containing="Fresh beans")
    assert "Bluesky" in block_text(card.blocks) and "Mastodon" in block_text(card.blocks)  # counted on each
    bot.click(card, "Approve")

    [x_post] = bot.x.wait_for_posts(1)
    deadline = time.monotonic() + 10
    while not (bluesky.posts() and mastodon.live_statuses()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    final = posted("Fresh beans are in.")
    assert x_post.text == final
    assert [p.value["text"] for p in bluesky.posts()] == [final]
    assert [s.text for s in mastodon.live_statuses()] == [final]
    bot.wait_status(ts, Status.PUBLISHED)
    bot.settle()
    assert len(bot.x.posts) == 1 and len(bluesky.posts()) == 1 and len(mastodon.live_statuses()) == 1
