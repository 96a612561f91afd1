"""Slack's emoji, as the characters X should receive.

A message typed in Slack carries each standard emoji twice: as `:shortcode:` in the mrkdwn `text`, and as an
`emoji` element whose `unicode` is its code points in hex joined by `-` (`1f44b-1f3fc`: a wave, skin tone 3).
Custom emoji (a workspace's own `:partyparrot:`) have a name and no Unicode: there is no character for them.

Shortcodes are Slack's names (from the iamcal/emoji-data set). The maintained `emoji` package knows most of them
as aliases (`:thumbsup:`, `:+1:`, `:coffee:`); Slack spells some differently, and those are derived here: hyphens
for underscores (`man-raising-hand`), `flag-fr` for a country's regional indicators, `skin-tone-2`…`-6` for the
Fitzpatrick modifiers, `male-`/`female-` for `man_`/`woman_`, and families such as `man-woman-girl`.
"""

from __future__ import annotations

import functools
import re

import emoji

# Slack's `:skin-tone-2:` … `:skin-tone-6:` are the five Fitzpatrick modifiers, U+1F3FB … U+1F3FF.
SKIN_TONES = {str(n): chr(0x1F3FB + n - 2) for n in range(2, 7)}
_SKIN_TONE_NAME = re.compile(r"skin-tone-([2-6])")
_FLAG = re.compile(r"flag-([a-z]{2})")
_FAMILY = re.compile(r"(?:man|woman|boy|girl)(?:-(?:man|woman|boy|girl)){1,3}")
_FAMILY_MEMBERS = {"man": "\U0001f468", "woman": "\U0001f469", "boy": "\U0001f466", "girl": "\U0001f467"}
_HEX = re.compile(r"[0-9a-fA-F]{1,6}")
ZWJ = "\u200d"
# Slack's names that neither the emoji package nor the rules above know.
_SLACK_ONLY = {"simple_smile": "\U0001f642", "knife_fork_plate": "\U0001f37d\ufe0f"}


def from_unicode(value: object) -> str | None:
    """`1f44b-1f3fc` → 👋🏼; None if it isn't hex code points of a real character (junk, a surrogate)."""
    if not isinstance(value, str) or not value:
        return None
    points = value.split("-")
    if not all(_HEX.fullmatch(p) for p in points):
        return None
    codes = [int(p, 16) for p in points]
    if any(c > 0x10FFFF or 0xD800 <= c <= 0xDFFF or c < 0x20 for c in codes):
        return None
    return "".join(chr(c) for c in codes)


def skin_tone(value: object) -> str:
    """Slack's `skin_tone` (2 to 6, as a number or text) → its modifier; anything else → nothing."""
    return SKIN_TONES.get(str(value), "") if isinstance(value, int | str) and not isinstance(value, bool) else ""


@functools.lru_cache(maxsize=4096)
def by_name(name: str) -> str | None:
    """A Slack shortcode without colons (`coffee`, `wave::skin-tone-3`) → its characters, or None if it isn't a
    standard emoji (a custom one, or no emoji at all)."""
    base, _, tone = name.partition("::")
    if tone:
        modifier = _skin_tone_name(tone)
        found = by_name(base) if modifier else None
        return with_tone(found, modifier) if found and modifier else None
    if (modifier := _skin_tone_name(base)) is not None:
        return modifier
    if match := _FLAG.fullmatch(base):
        flag = "".join(chr(0x1F1E6 + ord(c) - ord("a")) for c in match.group(1))
        return flag if emoji.is_emoji(flag) else None
    if _FAMILY.fullmatch(base):
        family = ZWJ.join(_FAMILY_MEMBERS[m] for m in base.split("-"))
        if emoji.is_emoji(family):
            return family
    if base in _SLACK_ONLY:
        return _SLACK_ONLY[base]
    for candidate in _spellings(base):
        shortcode = f":{candidate}:"
        found = emoji.emojize(shortcode, language="alias")
        if found != shortcode and emoji.is_emoji(found):
            return found
    return None


def _spellings(name: str) -> list[str]:
    underscored = name.replace("-", "_")
    names = [name, underscored]
    for slack, package in (("male_", "man_"), ("female_", "woman_")):
        if underscored.startswith(slack):
            names.append(package + underscored[len(slack) :])
    return list(dict.fromkeys(names))


def _skin_tone_name(name: str) -> str | None:
    match = _SKIN_TONE_NAME.fullmatch(name)
    return SKIN_TONES[match.group(1)] if match else None


def with_tone(chars: str, modifier: str) -> str:
    """The modifier goes right after the first character (before a variation selector or ZWJ sequence's rest)."""
    first, rest = chars[0], chars[1:]
    return first + modifier + rest.removeprefix("\ufe0f")
