"""How a Mastodon instance counts a status, and the limits it announces.

Mastodon's server is the judge (`app/validators/status_length_validator.rb`): it strips the text, finds the
entities its formatter would link (URLs *with* a protocol, through twitter-text's extractor with Mastodon's wider
URL regex, and mentions by `Account::MENTION_RE`), drops overlapping ones, rewrites every URL as
`characters_reserved_per_url` placeholder characters and every mention `@user@domain` as `@user`, and counts
extended grapheme clusters. The limit and the URL weight are the instance's own (`GET /api/v2/instance` →
`configuration.statuses`), so a 1000-character instance allows 1000.

Where this differs from the server, it counts more, never less (a draft we accept is one the server accepts):
- URLs come from twitter-text-parser (the extractor Mastodon's gem is a port of). Mastodon widens the path and
  query characters of its URL regex, so it may see a longer URL where we stop early; the rest then counts here as
  plain characters.
- Mastodon also links `dat:`, `dweb:`, `ipfs:`, `ipns:`, `ssb:`, `gopher:` and `gemini:` URLs; here they count
  as their characters, which is less than the placeholder only for one shorter than it.
Graphemes are the `regex` module's `\\X` (extended grapheme clusters, as Ruby's `each_grapheme_cluster`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import regex
from twitter_text.extract_urls import extract_urls_with_indices

from bot.networks.base import MediaLimits, Network, TextRules

DEFAULT_MAX_CHARACTERS = 500
DEFAULT_URL_LENGTH = 23
DEFAULT_MAX_MEDIA = 4
DEFAULT_IMAGE_BYTES = 16 * 1024 * 1024  # MediaAttachment::IMAGE_LIMIT since 4.0
DEFAULT_ALT_LIMIT = 1500  # MediaAttachment::MAX_DESCRIPTION_LENGTH
DEFAULT_IMAGE_MIMES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})

# Account::USERNAME_RE and MENTION_RE: a mention is `@user` or `@user@domain`, not after `=`, `/` or a word
# character (so not inside a URL or an e-mail address).
_USERNAME = r"[a-z0-9_]+(?:[.-]+[a-z0-9_]+)*"
MENTION_RE = re.compile(rf"(?<![=/\w])@((?:{_USERNAME})(?:@\w+(?:[.-]+\w+)*)?)", re.IGNORECASE)
# twitter-text's end_mention_match: a "mention" followed by another @, a Latin accent or :// is no mention.
_LATIN_ACCENTS = "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259\u025b\u0263" + (
    "\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff"
)
_END_MENTION = re.compile(rf"(?:[@\uff20]|[{_LATIN_ACCENTS}]|://)")
_RUBY_STRIP = " \t\n\v\f\r\0"  # String#strip: ASCII whitespace and NUL, not Unicode spaces


def mentions_with_indices(text: str) -> list[dict[str, Any]]:
    """Mastodon's `Extractor.extract_mentions_or_lists_with_indices`: screen names and the `@…` span."""
    if "@" not in text and "\uff20" not in text:
        return []
    found = []
    for match in MENTION_RE.finditer(text):
        if _END_MENTION.match(text, match.end()):
            continue
        found.append({"screen_name": match.group(1), "indices": [match.start(1) - 1, match.end(1)]})
    return found


def entities(text: str) -> list[dict[str, Any]]:
    """URLs with a protocol and mentions, sorted, overlapping ones dropped (twitter-text's rule: an entity that
    starts before the last kept one ends is dropped)."""
    candidates = extract_urls_with_indices(text, extract_urls_without_protocol=False) + mentions_with_indices(text)
    kept: list[dict[str, Any]] = []
    for entity in sorted(candidates, key=lambda e: e["indices"][0]):
        if kept and kept[-1]["indices"][1] > entity["indices"][0]:
            continue
        kept.append(entity)
    return kept


def countable_text(text: str, url_length: int = DEFAULT_URL_LENGTH) -> str:
    """The text as the validator measures it: URLs as placeholders, remote mentions as their local part."""
    text = text.strip(_RUBY_STRIP)
    if not text.strip():
        return ""
    pieces, last = [], 0
    for entity in entities(text):
        start, end = entity["indices"]
        pieces.append(text[last:start])
        pieces.append("x" * url_length if "url" in entity else "@" + entity["screen_name"].split("@")[0])
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def status_length(text: str, url_length: int = DEFAULT_URL_LENGTH, spoiler_text: str = "") -> int:
    return len(regex.findall(r"\X", spoiler_text.strip(_RUBY_STRIP) + countable_text(text, url_length)))


@dataclass(frozen=True)
class MastodonTextRules(TextRules):
    """An instance's limit and URL weight, as it announces them."""

    url_length: int = DEFAULT_URL_LENGTH

    def count(self, text: str) -> int:
        return status_length(text, self.url_length)


def rules_from_instance(instance: dict[str, Any]) -> tuple[MastodonTextRules, MediaLimits]:
    """Text rules and media limits from an `/api/v2/instance` answer, or an `/api/v1/instance` one (same
    `configuration` shape since 3.4.2; older forks say `max_toot_chars`). Missing values take Mastodon's defaults."""
    config = instance.get("configuration") or {}
    statuses = config.get("statuses") or {}
    media = config.get("media_attachments") or {}
    limit = _positive(statuses.get("max_characters")) or _positive(instance.get("max_toot_chars"))
    rules = MastodonTextRules(
        network=Network.MASTODON,
        limit=limit or DEFAULT_MAX_CHARACTERS,
        unit="characters",
        url_length=_positive(statuses.get("characters_reserved_per_url")) or DEFAULT_URL_LENGTH,
    )
    mimes = frozenset(m for m in media.get("supported_mime_types") or () if str(m).startswith("image/"))
    limits = MediaLimits(
        max_images=_positive(statuses.get("max_media_attachments")) or DEFAULT_MAX_MEDIA,
        image_bytes=_positive(media.get("image_size_limit")) or DEFAULT_IMAGE_BYTES,
        alt_limit=_positive(media.get("description_limit")) or DEFAULT_ALT_LIMIT,
        mimes=mimes or DEFAULT_IMAGE_MIMES,
    )
    return rules, limits


def default_rules() -> tuple[MastodonTextRules, MediaLimits]:
    """What a stock Mastodon announces: used while the instance can't be read, never kept."""
    return rules_from_instance({})


def _positive(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
