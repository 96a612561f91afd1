"""X's text and media rules: weighted length (twitter-text v3: NFC, URLs 23, emoji 2, CJK 2; limit 280), and
X's image limits (4 images, 5 MB each or one GIF up to 15 MB, alt text up to 1000 characters)."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from twitter_text import parse_tweet
from twitter_text.has_invalid_characters import has_invalid_characters

from bot.networks.base import MediaLimits, Network, TextRules

LIMIT = 280
MEDIA = MediaLimits(
    max_images=4,
    image_bytes=5 * 1024 * 1024,
    alt_limit=1000,
    mimes=frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"}),
    gif_bytes=15 * 1024 * 1024,
)


BLANK_LINE = "\n\n"  # the split point; the attribution comes after one (bot.approval.post_text.ATTRIBUTION_GAP)


def measure(text: str) -> tuple[int, bool]:
    """Weighted length and validity, the post's writer's text and its attribution parsed apart: twitter-text spends
    ~1.3 ms on a 270-character post, mostly its emoji scan, and each card adds its approver's name to the same
    text. The weighted length adds up across a blank line (no URL or emoji spans a newline, and NFC composes nothing
    with one), so the text before the last blank line and the one after it are each parsed once and kept, for
    every caller (the post's parts, each network's count of them, every card, each refresh).
    `tests/networks/x/test_x_measure.py` holds the sum to one parse of the whole."""
    head, gap, tail = text.rpartition(BLANK_LINE)
    if not gap or "\r" in text:  # twitter-text turns CRLF into LF: a blank line could then start in the head
        return _parsed(text)
    # Each side is parsed with the blank line it has in the post: twitter-text reads a URL at the start of a text
    # unlike one after a newline ("Àexample.com" is 24 alone, 23 after "\n\n"), so the blank line is counted in both
    # and taken out once.
    weight = _parsed(head + BLANK_LINE)[0] + _parsed(BLANK_LINE + tail)[0] - _parsed(BLANK_LINE)[0]
    return weight, 0 < weight <= LIMIT and not _refused(head) and not _refused(tail)


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> tuple[int, bool]:
    parsed = parse_tweet(unicodedata.normalize("NFC", text))
    return parsed.weightedLength, parsed.valid


@functools.lru_cache(maxsize=4096)
def _refused(text: str) -> bool:
    """Whether twitter-text finds a character X refuses (U+FFFE, U+FEFF, U+FFFF, bidi overrides), as in its parse."""
    return has_invalid_characters(unicodedata.normalize("NFC", text))


@dataclass(frozen=True)
class XTextRules(TextRules):
    network: Network = Network.X
    limit: int = LIMIT
    unit: str = "characters"

    def count(self, text: str) -> int:
        return measure(text)[0]


RULES = XTextRules()
