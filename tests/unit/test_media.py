"""Pure image rules: `alt:` lines, each network's limits by content, the card's image blocks."""

from __future__ import annotations

import pytest

from bot.intake.alt_text import AltLines, join_alt, split_alt
from bot.intake.media_rules import (
    MB,
    MediaItem,
    MediaKind,
    MediaRefusal,
    Problem,
    SlackFile,
    alt_problem,
    detect,
    item_for,
    limit_problems,
    too_big_before_download,
)
from bot.networks.base import MediaLimits, Network
from bot.networks.bluesky.limits import LIMITS as BLUESKY
from bot.networks.mastodon.text_rules import rules_from_instance
from bot.networks.x.rules import MEDIA as X
from bot.slack.media_blocks import image_blocks, summary
from tests.e2e.images import PDF, gif, image, noisy_png

FILE = SlackFile("F1", "cup.png", "image/png", 100, "https://files.slack.com/files-pri/T-F1/cup.png")


X_ONLY = {Network.X: X}
THREE = {
    Network.X: X,
    Network.BLUESKY: BLUESKY,
    Network.MASTODON: rules_from_instance({"configuration": {"statuses": {"max_media_attachments": 2}}})[1],
}


def item(
    name: str = "a.png", kind: MediaKind = MediaKind.IMAGE, alt: str = "", part: int = 0, size: int = 1000
) -> MediaItem:
    mime = "image/gif" if kind is MediaKind.GIF else "image/png"
    return MediaItem("F" + name, name, mime, kind, size, "0" * 64, alt, part)


def test_alt_lines_leave_the_text_in_order_and_name_their_part() -> None:
    lines = split_alt("One\n---\nTwo\nAlt: a cup\n  ALT :  \nalt:second\n---\nThree")
    assert lines == AltLines("One\n---\nTwo\n---\nThree", ("a cup", "", "second"), 1)
    assert split_alt("No images here") == AltLines("No images here")


def test_joining_alt_lines_back_reads_the_same() -> None:
    text, alts = "One\n---\nTwo\n---\nThree", ("a", "b")
    for part in (0, 1, 2):
        assert split_alt(join_alt(text, alts, part)) == AltLines(text, alts, part)


@pytest.mark.parametrize(
    ("data", "kind", "mime"),
    [
        (image("PNG"), MediaKind.IMAGE, "image/png"),
        (image("JPEG"), MediaKind.IMAGE, "image/jpeg"),
        (image("WEBP"), MediaKind.IMAGE, "image/webp"),
        (gif(), MediaKind.GIF, "image/gif"),
    ],
)
def test_the_type_comes_from_the_bytes(data: bytes, kind: MediaKind, mime: str) -> None:
    found = detect(data)
    assert found is not None and (found.kind, found.mime) == (kind, mime)


@pytest.mark.parametrize("data", [PDF, b"<!DOCTYPE html><html></html>", image("PNG")[:40], b"", image("BMP")])
def test_what_x_does_not_take_is_not_an_image(data: bytes) -> None:
    assert detect(data) is None


def test_an_image_over_5_mb_is_refused_naming_the_size_and_the_limit() -> None:
    found = item_for(FILE, noisy_png(5 * MB + 1), "", 0)
    assert isinstance(found, MediaItem)
    [refused] = limit_problems([found], (), X_ONLY)
    assert (refused.problem, refused.network) == (Problem.TOO_BIG, "X")
    assert refused.detail.endswith("X takes an image up to 5.0 MB")


def test_an_image_is_bound_to_its_hash_alt_and_part() -> None:
    found = item_for(FILE, image(), "A cup", 2)
    assert isinstance(found, MediaItem)
    assert (found.file_id, found.alt, found.part, found.size, len(found.sha256)) == ("F1", "A cup", 2, len(image()), 64)


def test_a_file_bigger_than_every_network_takes_is_judged_unread_by_slacks_size() -> None:
    huge = SlackFile("F2", "movie.mp4", "video/mp4", 200 * MB, "")
    assert too_big_before_download(huge, X_ONLY) == MediaRefusal(Problem.UNSUPPORTED, "movie.mp4", "video/mp4")
    big = SlackFile("F3", "poster.png", "image/png", 20 * MB, "")
    refused = too_big_before_download(big, THREE)
    assert refused == MediaRefusal(Problem.TOO_BIG, "poster.png", "20.0 MB; X takes an image up to 5.0 MB", "X")
    # Mastodon takes 16 MB: a 15.5 MB file is fetched and judged by its bytes, network by network.
    assert too_big_before_download(SlackFile("F4", "p.png", "image/png", 15 * MB + MB // 2, ""), THREE) is None


def test_counts_four_images_or_one_gif_and_no_extra_alt_lines() -> None:
    assert limit_problems([item(str(n)) for n in range(4)], (), X_ONLY) == []
    too_many = limit_problems([item(str(n)) for n in range(5)], (), X_ONLY)
    assert [(r.problem, r.network, r.limit) for r in too_many] == [(Problem.TOO_MANY, "X", 4)]
    mixed = limit_problems([item("g", MediaKind.GIF), item("p")], (), X_ONLY)
    assert [(r.problem, r.network) for r in mixed] == [(Problem.GIF_NOT_ALONE, "X")]
    assert [r.problem for r in limit_problems([item()], ("one", "two"), X_ONLY)] == [Problem.EXTRA_ALT]


def test_an_image_within_x_but_over_bluesky_is_refused_naming_bluesky_and_its_limit() -> None:
    refused = limit_problems([item("hero.png", size=3 * MB)], (), THREE)
    assert refused == [
        MediaRefusal(Problem.TOO_BIG, "hero.png", "3.0 MB; Bluesky takes an image up to 1.9 MB", "Bluesky")
    ]


def test_a_gif_for_a_brand_on_bluesky_is_refused_by_type_naming_what_bluesky_takes() -> None:
    [refused] = limit_problems([item("party.gif", MediaKind.GIF)], (), THREE)
    assert refused == MediaRefusal(Problem.NOT_TAKEN, "party.gif", "JPEG, PNG and WebP", "Bluesky")
    assert limit_problems([item("party.gif", MediaKind.GIF, size=12 * MB)], (), X_ONLY) == []  # X: a GIF to 15 MB


def test_more_images_than_the_mastodon_instance_takes_name_mastodon_and_its_number() -> None:
    refused = limit_problems([item(f"{n}.png") for n in range(3)], (), THREE)
    assert [(r.problem, r.name, r.network, r.limit, r.detail) for r in refused] == [
        (Problem.TOO_MANY, "2.png", "Mastodon", 2, "3 images")
    ]


def test_alt_text_is_held_to_the_strictest_network_and_names_it() -> None:
    strict = {Network.MASTODON: MediaLimits(4, 16 * MB, 200), Network.X: X}
    assert alt_problem("cup.png", "a" * 200, strict) is None
    refused = alt_problem("cup.png", "a" * 300, strict)
    assert refused == MediaRefusal(
        Problem.ALT_TOO_LONG, "cup.png", "300 characters; Mastodon takes up to 200", "Mastodon"
    )
    refused_by = limit_problems([item("cup.png", alt="a" * 1001)], (), THREE)  # Mastodon takes 1,500
    assert [(r.problem, r.network) for r in refused_by] == [
        (Problem.ALT_TOO_LONG, "X"),
        (Problem.ALT_TOO_LONG, "Bluesky"),
    ]


def test_card_blocks_reference_the_slack_file_and_say_no_alt_text_plainly() -> None:
    blocks = image_blocks([item("a.png", alt="A cup"), item("b.png")], parts=1, block_id="card.media")
    assert [b["slack_file"] for b in blocks[:2]] == [{"id": "Fa.png"}, {"id": "Fb.png"}]
    assert [b["alt_text"] for b in blocks[:2]] == ["A cup", "Image 2 of 2, no alt text"]
    assert [b["title"]["text"] for b in blocks[:2]] == ["Image 1 of 2 · alt: A cup", "Image 2 of 2 · no alt text"]
    assert "image_url" not in blocks[0]  # nothing private is exposed by URL
    assert image_blocks([], 1, "card.media") == []


def test_the_summary_names_the_thread_part() -> None:
    assert "go with post 2 of 3" in summary([item(part=1), item(part=1)], 3)
    assert "(the first, as no `alt:` line" in summary([item()], 2)
    assert summary([item(alt="x")], 1) == "1 image (1 KB), posted exactly as shown"
    assert summary([item(alt="x")] * 2, 1).startswith("2 images (2 KB)")


def test_a_file_name_keeps_no_control_or_invisible_characters() -> None:
    """Names are quoted in replies and audit rows; PostgreSQL refuses NUL in text, and a bidi mark could reorder
    what a person reads (found by the PostgreSQL fuzz leg)."""
    raw = {"id": "F0NAMES", "name": "me\x00nu\u2067.png\ud800", "mimetype": "image/\x13png", "size": 10}
    found = SlackFile.of(raw)
    assert found is not None
    assert (found.name, found.mimetype) == ("menu.png\ufffd", "image/png")
