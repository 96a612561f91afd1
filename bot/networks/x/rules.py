"""X's text and media rules: weighted length (twitter-text v3: NFC, URLs 23, emoji 2, CJK 2; limit 280), and
X's image limits (4 images, 5 MB each or one GIF up to 15 MB, alt text up to 1000 characters)."""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass

from twitter_text import parse_tweet

from bot.networks.base import MediaLimits, Network, TextRules

LIMIT = 280
MEDIA = MediaLimits(
    max_images=4,
    image_bytes=5 * 1024 * 1024,
    alt_limit=1000,
    mimes=frozenset({"image/jpeg", "image/png", "image/webp", "image/gif"}),
    gif_bytes=15 * 1024 * 1024,
)


@functools.lru_cache(maxsize=2048)
def measure(text: str) -> tuple[int, bool]:
    """Weighted length and validity from one parse. Memoized, once for every caller (the post's parts, each
    network's count of them, every card, the App Home queue, each refresh): twitter-text spends ~1.3 ms on a
    270-character post, mostly its emoji scan."""
    parsed = parse_tweet(unicodedata.normalize("NFC", text))
    return parsed.weightedLength, parsed.valid


@dataclass(frozen=True)
class XTextRules(TextRules):
    network: Network = Network.X
    limit: int = LIMIT
    unit: str = "characters"

    def count(self, text: str) -> int:
        return measure(text)[0]


RULES = XTextRules()
