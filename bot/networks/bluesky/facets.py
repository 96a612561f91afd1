"""Links, mentions and hashtags as `app.bsky.richtext.facet`s, found the way the official SDK finds them.

Bluesky shows no link, mention or tag unless the record carries a facet for it: a UTF-8 byte range of the text
(`byteStart` inclusive, `byteEnd` exclusive) and a feature. Detection follows @atproto/api's `detectFacets`
(packages/api/src/rich-text/detection.ts and util.ts): the same patterns; a bare domain becomes a link (with
`https://`) only when its last label is a real TLD, as the SDK checks against its TLD list; a trailing `.,;:!?`
(and a `)` without `(`) is left out of a link; a mention needs a TLD-ended handle (or `.test`), and its DID is
resolved afterwards: a handle that doesn't resolve stays plain text, as the app drops it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import regex
from publicsuffixlist import PublicSuffixList

MENTION = regex.compile(r"(^|\s|\()(@)([a-zA-Z0-9.-]+)(\b)")
URL = regex.compile(
    r"(^|\s|\()((https?:\/\/[\S]+)|((?P<domain>[a-z][a-z0-9]*(\.[a-z0-9]+)+)[\S]*))",
    regex.IGNORECASE | regex.MULTILINE,
)
_INVISIBLE = "\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2"
TAG = regex.compile(rf"(^|\s)[#\uff03]((?!\ufe0f)[^\s{_INVISIBLE}]*[^\d\s\p{{P}}{_INVISIBLE}]+[^\s{_INVISIBLE}]*)?")
TRAILING_PUNCTUATION = regex.compile(r"\p{P}+$")
TAG_MAX_GRAPHEMES = 64


@dataclass(frozen=True)
class Found:
    """One detected span: `kind` is "mention" (value: the handle), "link" (value: the uri) or "tag"."""

    kind: str
    start: int  # byte offsets into the UTF-8 text
    end: int
    value: str


@lru_cache(maxsize=1)
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList(accept_unknown=False)


def _valid_domain(name: str) -> bool:
    """The SDK's `isValidDomain`: the name ends with `.` and a known top-level domain."""
    head, dot, tld = name.rpartition(".")
    return bool(head and dot and tld) and _suffixes().is_public(tld.lower())


def _byte_index(text: str) -> Callable[[int], int]:
    return lambda i: len(text[:i].encode("utf-8"))


def detect(text: str) -> list[Found]:
    """Every mention, link and tag the SDK would find, in its order (mentions, links, tags)."""
    at = _byte_index(text)
    found: list[Found] = []
    for match in MENTION.finditer(text):
        handle = match.group(3)
        if not _valid_domain(handle) and not handle.endswith(".test"):
            continue  # probably not a handle
        start = match.start(3) - 1
        found.append(Found("mention", at(start), at(match.end(3)), handle))
    for match in URL.finditer(text):
        uri = match.group(2)
        if not uri.lower().startswith("http"):
            domain = match.group("domain")
            if not domain or not _valid_domain(domain):
                continue
            uri = f"https://{uri}"
        start, end = match.start(2), match.end(2)
        if uri[-1] in ".,;:!?":
            uri, end = uri[:-1], end - 1
        if uri.endswith(")") and "(" not in uri:
            uri, end = uri[:-1], end - 1
        found.append(Found("link", at(start), at(end), uri))
    for match in TAG.finditer(text):
        tag = match.group(2)
        if not tag:
            continue
        tag = TRAILING_PUNCTUATION.sub("", tag.strip())
        if not tag or len(regex.findall(r"\X", tag)) > TAG_MAX_GRAPHEMES:
            continue
        start = match.start(0) + len(match.group(1))
        found.append(Found("tag", at(start), at(start + 1 + len(tag)), tag))
    return found


def facets(text: str, resolve: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """The record's `facets`: `resolve(handle)` gives a mention's DID, or None to leave it plain text."""
    out: list[dict[str, Any]] = []
    for item in detect(text):
        if item.kind == "mention":
            did = resolve(item.value)
            if did is None:
                continue
            feature: dict[str, Any] = {"$type": "app.bsky.richtext.facet#mention", "did": did}
        elif item.kind == "link":
            feature = {"$type": "app.bsky.richtext.facet#link", "uri": item.value}
        else:
            feature = {"$type": "app.bsky.richtext.facet#tag", "tag": item.value}
        out.append(
            {
                "$type": "app.bsky.richtext.facet",
                "index": {"byteStart": item.start, "byteEnd": item.end},
                "features": [feature],
            }
        )
    return out
