"""The digest's "what went out" as Block Kit (bot/jobs/digest_render.py): a week of drafts on three networks, each
line carrying every network's link and counts, still fits Slack's sections without cutting a line."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.jobs.digest import Digest, NetworkPost, PublishedPost, networks_of
from bot.jobs.digest_render import blocks, packed
from bot.jobs.schedule import Week
from bot.networks.bluesky.account import BlueskyAccount
from bot.slack.block_kit import SECTION_LIMIT
from storage.models import Delivery, Status

NOW = datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
COUNTS = {"like_count": 12345, "retweet_count": 678, "reply_count": 90, "impression_count": 1234567}


def three_networks(n: int) -> PublishedPost:
    failed = Delivery(id=n, draft_id=n, version=1, network="mastodon", status=Status.FAILED, last_error="e" * 240)
    return PublishedPost(
        n,
        f"Draft {n} " + "w" * 50,
        "U0WRITER",
        [
            NetworkPost("x", f"https://x.com/acmecoffee/status/{10**18 + n}", COUNTS),
            NetworkPost("bluesky", f"https://bsky.app/profile/acme.bsky.social/post/3n3rf{n:08d}", COUNTS),
        ],
        not_up=[failed],
    )


def digest(published: list[PublishedPost]) -> Digest:
    return Digest(
        brand="default",
        week=Week.of(NOW, ZoneInfo("UTC")).shift(-1),
        published=published,
        engagement_available=True,
        counts={},
        decisions=0,
        median_wait=None,
        p90_wait=None,
        slowest_pending=None,
        reasons=[],
        writers=[],
        backlog=[],
        backlog_total=0,
    )


def test_eight_three_network_drafts_are_split_over_sections_between_lines() -> None:
    posts = [three_networks(n) for n in range(1, 11)]
    sections = [b["text"]["text"] for b in blocks(digest(posts))["blocks"] if b["type"] == "section"]
    assert all(len(text) <= SECTION_LIMIT for text in sections)
    shown = "\n".join(sections)
    assert "…" not in shown.replace("…and 2 more posts", "")  # no line was cut to fit
    for n in range(1, 9):
        [line] = [line for line in shown.splitlines() if line.startswith(f"• #{n} ")]
        assert line.count("12,345 likes") == 2 and line.endswith("Mastodon failed: " + "e" * 240)
    assert "…and 2 more posts" in shown


def test_packing_keeps_lines_whole_and_short_text_in_one_part() -> None:
    assert packed("a\nb", limit=10) == ["a\nb"]
    assert packed("aaaa\nbbbb\ncccc", limit=9) == ["aaaa\nbbbb", "cccc"]


def test_the_digests_deleted_count_names_the_brands_networks() -> None:
    sky = BlueskyAccount("acme.bsky.social", "app-password", "http://127.0.0.1:9")  # built only: no call is made
    assert networks_of(None) == "X"  # a digest given no account: X's alone, as it always read
    assert networks_of(sky) == "Bluesky"
    assert networks_of({"x": sky, "bluesky": sky, "mastodon": sky}) == "X, Bluesky and Mastodon"
