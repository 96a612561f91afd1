"""A brand on Bluesky alone, from a brands file: no X account anywhere in its path. The real app over signed HTTP,
the Bluesky stand-in behind the unpatched `atproto` SDK: the card, the post, the writer's thread and `status` name
Bluesky, never X, and X is never called."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.runtime.brands import for_deployment
from bot.runtime.runner import start_http
from bot.runtime.settings import Settings
from bot.sandbox import SlackSandbox, XSandbox
from bot.slack.ids import BlockId
from storage.models import Status
from tests.e2e.harness import DRAFTS, OWNER, Harness, app_env, block_text
from tests.e2e.three_networks import wait_until

LINE = "— drafted by Sky Agency, approved by Olivia Owner"


@pytest.fixture
def app(
    slack: SlackSandbox, x: XSandbox, database_url: str, tmp_path: Path
) -> Iterator[tuple[Harness, BlueskySandbox]]:
    with BlueskySandbox() as bluesky:
        path = tmp_path / "countersign.toml"
        path.write_text(
            f"""
[brands.sky]
name = "Sky Tea"
drafts_channels = ["{DRAFTS}"]
approvers = ["{OWNER}"]
agency_name = "Sky Agency"

[brands.sky.bluesky]
handle = "{bluesky.user_handle}"
app_password_env = "SKY_BSKY"
service = "{bluesky.url}"
""",
            encoding="utf-8",
        )
        env = app_env(slack, x, database_url, COUNTERSIGN_CONFIG=str(path), SKY_BSKY=bluesky.app_password)
        for name in ("DRAFTS_CHANNEL", "APPROVERS", "AGENCY_NAME", "X_API_KEY", "X_API_SECRET"):
            env.pop(name)
        env = {k: v for k, v in env.items() if not k.startswith("X_ACCESS")}
        settings = Settings.from_env(env)
        running = start_http(settings, "127.0.0.1", 0, brands=for_deployment(env, settings))
        yield Harness.of(running, slack, x), bluesky
        running.stop()


def test_a_bluesky_only_brand_is_carded_posted_and_told_as_bluesky(app: tuple[Harness, BlueskySandbox]) -> None:
    bot, bluesky = app
    ts = bot.draft("Spring tea is in.")
    card = bot.card(OWNER, containing="Spring tea")
    header = block_text([b for b in card.blocks if b.get("block_id") == BlockId.CARD_HEADER])
    assert "drafted a post for Bluesky ·" in header
    [count] = [b for b in card.blocks if b.get("block_id") == BlockId.CARD_COUNT]
    assert count["elements"][0]["text"].startswith("68/300 · ")  # Bluesky's count (graphemes of 300), not X's 280

    bot.click(card, "Approve")
    wait_until(lambda: len(bluesky.posts()) == 1, timeout=10)
    [post] = bluesky.posts()
    assert post.value["text"] == f"Spring tea is in.\n\n{LINE}"
    bot.wait_status(ts, Status.PUBLISHED)

    decided = bot.wait_card(card, lambda m: "view on Bluesky" in block_text(m.blocks), timeout=10)
    shown = block_text(decided.blocks)
    assert "Delete from Bluesky" in str(decided.blocks) and "Delete from X" not in str(decided.blocks)
    assert " X" not in shown.replace("Sky", "")  # nowhere on the card is X named
    [reply] = bot.thread(ts, containing="published")
    assert "bsky.app" in reply.text and " X" not in reply.text
    status = bot.driver.command("status", OWNER).json()["text"]
    assert "1 published this week" in status and "0 deleted from Bluesky this week" in status
    assert f"bsky.app/profile/{bluesky.user_handle}/post/" in status and " X " not in status
    bot.settle()
    assert bot.x.requests == []  # X was never called: the brand has no X account
