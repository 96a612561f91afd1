"""How Bluesky counts a post's text: graphemes, as the PDS validates `app.bsky.feed.post`.

The lexicon gives `text` `maxGraphemes: 300` and `maxLength: 3000` (UTF-8 bytes). The PDS (lex-schema) checks the
bytes first, then counts extended grapheme clusters with `Intl.Segmenter` (UAX #29); `regex`'s `\\X` is the same
segmentation in Python, kept current with Unicode. Nothing is shortened or weighted: a URL counts every character
(X counts any URL as 23), and an emoji or a CJK character is one grapheme (X counts 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from bot.networks.base import Network, TextRules

GRAPHEME_LIMIT = 300
BYTE_LIMIT = 3000
_GRAPHEME = regex.compile(r"\X")


def graphemes(text: str) -> int:
    return len(_GRAPHEME.findall(text))


def utf8_length(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass(frozen=True)
class BlueskyTextRules(TextRules):
    network: Network = Network.BLUESKY
    limit: int = GRAPHEME_LIMIT
    unit: str = "graphemes"
    byte_limit: int = BYTE_LIMIT

    def count(self, text: str) -> int:
        return graphemes(text)

    def over_bytes(self, text: str) -> int:
        """How many UTF-8 bytes past the record's 3000 the text is (0 if it fits). Only text of long graphemes
        (family emoji, flags, combining marks) can pass 3000 bytes inside 300 graphemes."""
        return max(0, utf8_length(text) - self.byte_limit)

    def fits(self, text: str) -> bool:
        return self.count(text) <= self.limit and not self.over_bytes(text)
