"""How a post of ours is recognised among what X's timeline shows: X's wire facts, kept in X's folder.

X has no idempotency key, so after an uncertain create the only evidence is the account's recent posts. X rewrites
what it shows: every URL twitter-text finds (bare domains too) becomes a t.co link, `&`, `<` and `>` come back
escaped, and a post with media ends with one more t.co link, to its photos.
"""

from __future__ import annotations

import re
import unicodedata

from twitter_text import extract_urls_with_indices

LINK = "\ufffclink\ufffc"  # a placeholder no post text contains
_TCO = re.compile(r"https://t\.co/[A-Za-z0-9]+")
_X_ENTITY = re.compile(r"&(amp|lt|gt);")
_UNESCAPED = {"amp": "&", "lt": "<", "gt": ">"}


def comparable(text: str) -> str:
    """Our text as it can be compared with what X shows: X links every URL twitter-text finds (bare domains like
    `northwind.coffee` too) and shows each as a t.co link, so each becomes one placeholder."""
    text = unicodedata.normalize("NFC", text)
    out, at = [], 0
    for found in extract_urls_with_indices(text):
        start, end = found["indices"]
        out += [text[at:start], LINK]
        at = end
    out.append(text[at:])
    return " ".join("".join(out).split())


def comparable_from_x(text: str, *, media: bool = False) -> str:
    """A post's text as X's timeline shows it, made comparable with `comparable`: X escapes exactly `&`, `<`
    and `>` (undone here in one pass, so a typed `&amp;` stays `&amp;`), and every link is a t.co link. A post
    with media (`media`) ends with one more t.co link, to its photos, which our text never had."""
    text = _X_ENTITY.sub(lambda m: _UNESCAPED[m.group(1)], text)
    shown = " ".join(_TCO.sub(LINK, unicodedata.normalize("NFC", text)).split())
    return shown.removesuffix(LINK).rstrip() if media else shown
