"""Pure image rules: `alt:` lines, X's limits by content, the card's image blocks."""

from __future__ import annotations

import pytest

from bot.intake.alt_text import AltLines, join_alt, split_alt
from bot.intake.media_rules import (
    IMAGE_LIMIT,
    MediaItem,
    MediaKind,
    MediaRefusal,
    Problem,
    SlackFile,
    count_problems,
    detect,
    item_for,
    too_big_before_download,
)
from bot.slack.media_blocks import image_blocks, summary
from tests.e2e.images import PDF, gif, image, noisy_png

FILE = SlackFile("F1", "cup.png", "image/png", 100, "https://files.slack.com/files-pri/T-F1/cup.png")


def item(name: str = "a.png", kind: MediaKind = MediaKind.IMAGE, alt: str = "", part: int = 0) -> MediaItem:
    return MediaItem("F" + name, name, "image/png", kind, 1000, "0" * 64, alt, part)


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
    refused = item_for(FILE, noisy_png(IMAGE_LIMIT + 1), "", 0)
    assert isinstance(refused, MediaRefusal) and refused.problem is Problem.TOO_BIG
    assert refused.detail.endswith("X takes an image up to 5.0 MB")


def test_an_image_is_bound_to_its_hash_alt_and_part() -> None:
    found = item_for(FILE, image(), "A cup", 2)
    assert isinstance(found, MediaItem)
    assert (found.file_id, found.alt, found.part, found.size, len(found.sha256)) == ("F1", "A cup", 2, len(image()), 64)


def test_a_huge_file_is_judged_unread_by_slacks_size() -> None:
    huge = SlackFile("F2", "movie.mp4", "video/mp4", 200 * 1024 * 1024, "")
    assert too_big_before_download(huge) == MediaRefusal(Problem.UNSUPPORTED, "movie.mp4", "video/mp4")
    big = SlackFile("F3", "poster.png", "image/png", 20 * 1024 * 1024, "")
    assert too_big_before_download(big).problem is Problem.TOO_BIG  # type: ignore[union-attr]


def test_counts_four_images_or_one_gif_and_no_extra_alt_lines() -> None:
    assert count_problems([item(str(n)) for n in range(4)], ()) == []
    assert [r.problem for r in count_problems([item(str(n)) for n in range(5)], ())] == [Problem.TOO_MANY]
    assert [r.problem for r in count_problems([item("g", MediaKind.GIF), item("p")], ())] == [Problem.GIF_NOT_ALONE]
    assert [r.problem for r in count_problems([item()], ("one", "two"))] == [Problem.EXTRA_ALT]


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
