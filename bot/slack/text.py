"""A Slack message → the post's plain characters, and what in it can't go to X.

Slack sends a message typed in its clients twice: as mrkdwn `text` (`*Grand*`, `<@U0WRITER>`, `:coffee:`,
`&amp;`) and as `blocks: [{"type": "rich_text", …}]`, which carry the literal characters with styles, mentions,
links and emoji (with their Unicode) as separate elements. The blocks are read when present; the mrkdwn `text`
only when a message has no `rich_text` block (posted through the API), parsed to the same characters
(`bot.slack.mrkdwn`).

What we decided, so the owner reads exactly what X will get:
- Styles (bold, italic, strike, code, preformatted) are dropped: X has none, and literal `*` would show.
- A user mention becomes the person's real name from the directory: never a Slack id, never an `@` (on X
  `@U0WRITER` would mention whoever owns that handle). A mention whose name Slack won't give us is refused.
- Channel, user group and broadcast mentions (`#general`, `@team`, `@here`) are addressed to Slack people and
  mean nothing on X: the draft is refused with a reply naming them, so the writer rewrites them as text.
- Standard emoji become their characters (skin tones, ZWJ sequences and flags included); a custom emoji has
  no character on X and is refused, named.
- Links: the label alone when it is the URL without its scheme (Slack's own auto-link), else "label url".
- Lists become lines `• item` / `1. item` (nested: four spaces a level, `◦`/`▪`, `a.`/`i.`), quotes lines
  starting `> ` (X has no quotes; this is also what the writer typed), dates their fallback text, colours
  their value: the same characters Slack puts in `text`, so both sources agree.
- Control and invisible direction characters are dropped (`post_text.visible`).
- An element we don't know (or a malformed one) is refused by its type rather than silently dropped or
  guessed at; nothing here raises on junk.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot.approval.post_text import visible
from bot.slack import emoji as slack_emoji

NameLookup = Callable[[str], str | None]  # a Slack user id → the person's name, or None if unknown
BROADCASTS = ("here", "channel", "everyone")
INDENT = "    "  # Slack's `text` indents nested list items by four spaces a level
BULLETS = ("•", "◦", "▪")
NAME_LIMIT = 80  # what a refusal quotes of a name: enough to recognise it, never a wall of junk
# JSON can carry `\ud800` alone, though no keyboard can type it; it can't be stored, counted or sent on.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _plain(text: str) -> str:
    return _LONE_SURROGATE.sub("\ufffd", visible(text))


class Problem(StrEnum):
    BROADCAST = "broadcast"  # @here, @channel, @everyone
    CHANNEL = "channel"
    USERGROUP = "usergroup"
    CUSTOM_EMOJI = "custom_emoji"
    UNKNOWN_PERSON = "unknown_person"  # Slack wouldn't tell us the mentioned person's name
    UNSUPPORTED = "unsupported"  # an element we can't write as text (named by its type)


@dataclass(frozen=True)
class Refusal:
    """Something in the message that can't go to X. `name` is what it was: `here`, `C0GENERAL`, `partyparrot`."""

    problem: Problem
    name: str


@dataclass(frozen=True)
class SlackText:
    """The post's characters (before `post_text.clean`), and why it can't be sent if it can't."""

    text: str
    refusals: tuple[Refusal, ...] = ()


@dataclass
class Reader:
    """What both sources share: the meaning of each mention, link, emoji and date, and the refusals found."""

    names: NameLookup
    found: list[Refusal] = field(default_factory=list)

    def refuse(self, problem: Problem, name: object) -> str:
        named = _plain(str(name))[:NAME_LIMIT] if isinstance(name, str | int) and not isinstance(name, bool) else ""
        refusal = Refusal(problem, named or "?")
        if refusal not in self.found:
            self.found.append(refusal)
        return ""

    def person(self, user_id: object, label: str | None = None) -> str:
        name = self.names(user_id) if isinstance(user_id, str) and user_id else None
        if name and name != user_id:
            return name
        return label or self.refuse(Problem.UNKNOWN_PERSON, user_id)

    def link(self, url: object, label: object = None) -> str:
        if not isinstance(url, str) or not url:
            return self.refuse(Problem.UNSUPPORTED, "link")
        if not isinstance(label, str) or not label or label == url:
            return url
        if _strip_scheme(url) == label.rstrip("/"):
            return label
        return f"{label} {url}"

    def emoji(self, name: object, unicode: object = None, tone: object = None) -> str:
        chars = slack_emoji.from_unicode(unicode)
        if chars:
            return chars
        if not isinstance(name, str) or not name:
            return self.refuse(Problem.UNSUPPORTED, "emoji")
        modifier = slack_emoji.skin_tone(tone)
        chars = slack_emoji.by_name(name)
        if chars is None:  # refused; its text stays as Slack writes it, whichever source it came from
            return self.refuse(Problem.CUSTOM_EMOJI, name) or f":{name}:"
        return slack_emoji.with_tone(chars, modifier) if modifier and "::" not in name else chars

    def date(self, timestamp: object, fallback: object = None) -> str:
        if isinstance(fallback, str) and fallback:
            return fallback
        if isinstance(timestamp, str) and timestamp.isdigit():
            timestamp = int(timestamp)
        if isinstance(timestamp, int) and not isinstance(timestamp, bool) and 0 <= timestamp < 253_402_300_800:
            return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")
        return self.refuse(Problem.UNSUPPORTED, "date")

    def result(self, text: str) -> SlackText:
        return SlackText(_plain(text), tuple(self.found))


def _strip_scheme(url: str) -> str:
    for scheme in ("https://", "http://", "mailto:"):
        if url.startswith(scheme):
            return url[len(scheme) :].rstrip("/")
    return url.rstrip("/")


# -- the message ------------------------------------------------------------------------------------------


def from_message(message: dict[str, Any], names: NameLookup) -> SlackText:
    """The post's characters from a message event (or an edit's `message`): its rich_text blocks, else `text`."""
    from bot.slack import mrkdwn as slack_mrkdwn  # the fallback reads with this module's Reader

    blocks = rich_text_blocks(message.get("blocks"))
    if blocks:
        return from_blocks(blocks, names)
    text = message.get("text")
    return slack_mrkdwn.from_mrkdwn(text if isinstance(text, str) else "", names)


def rich_text_blocks(blocks: object) -> list[dict[str, Any]]:
    if not isinstance(blocks, list):
        return []
    return [b for b in blocks if isinstance(b, dict) and b.get("type") == "rich_text"]


def from_blocks(blocks: list[dict[str, Any]], names: NameLookup) -> SlackText:
    reader = Reader(names)
    parts = [_block(block, reader) for block in blocks]
    return reader.result("\n".join(p for p in parts if p))


def _block(block: dict[str, Any], reader: Reader) -> str:
    elements = block.get("elements")
    if not isinstance(elements, list):
        return reader.refuse(Problem.UNSUPPORTED, "rich_text")
    out: list[str] = []
    for element in elements:
        kind = element.get("type") if isinstance(element, dict) else None
        match kind:
            case "rich_text_section":
                out.append(_inline(element, reader))
            case "rich_text_list":
                _block_level(out, _list(element, reader))
            case "rich_text_quote":
                lines = _inline(element, reader).split("\n")
                _block_level(out, "\n".join(f"> {line}" for line in lines))
            case "rich_text_preformatted":
                _block_level(out, _inline(element, reader).removesuffix("\n"))
            case _:
                reader.refuse(Problem.UNSUPPORTED, kind if isinstance(kind, str) else "element")
    return "".join(out)


def _block_level(out: list[str], text: str) -> None:
    """A list, quote or code block starts on its own line and ends one (Slack's `text` has the same breaks)."""
    if out and not out[-1].endswith("\n"):
        out.append("\n")
    out.append(text + "\n")


def _list(element: dict[str, Any], reader: Reader) -> str:
    indent = element.get("indent")
    level = indent if isinstance(indent, int) and not isinstance(indent, bool) and 0 <= indent <= 8 else 0
    offset = element.get("offset")
    start = offset if isinstance(offset, int) and not isinstance(offset, bool) and 0 <= offset < 10**6 else 0
    ordered = element.get("style") == "ordered"
    items = element.get("elements")
    if not isinstance(items, list):
        return reader.refuse(Problem.UNSUPPORTED, "rich_text_list")
    lines = []
    for number, item in enumerate(items, start=start + 1):
        marker = list_marker(level, number) if ordered else BULLETS[level % len(BULLETS)]
        text = _inline(item, reader) if isinstance(item, dict) else reader.refuse(Problem.UNSUPPORTED, "list item")
        lines.append(f"{INDENT * level}{marker} {text}")
    return "\n".join(lines)


def list_marker(level: int, number: int) -> str:
    """`1.` at the top, `a.` one level in, `i.` the next, then round again."""
    match level % 3:
        case 0:
            return f"{number}."
        case 1:
            letters = ""
            while number > 0:
                number, rest = divmod(number - 1, 26)
                letters = chr(ord("a") + rest) + letters
            return f"{letters}."
    return f"{_roman(number)}."


def _roman(number: int) -> str:
    out = ""
    for value, digits in (
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ):
        while number >= value:
            out, number = out + digits, number - value
    return out


def _inline(container: dict[str, Any], reader: Reader) -> str:
    elements = container.get("elements")
    if not isinstance(elements, list):
        return reader.refuse(Problem.UNSUPPORTED, str(container.get("type") or "section"))
    return "".join(
        _leaf(e, reader) if isinstance(e, dict) else reader.refuse(Problem.UNSUPPORTED, "?") for e in elements
    )


def _leaf(element: dict[str, Any], reader: Reader) -> str:
    """One element's characters; styles (`style`: bold, italic, strike, code…) are simply not applied."""
    kind = element.get("type")
    match kind:
        case "text":
            text = element.get("text")
            return text if isinstance(text, str) else reader.refuse(Problem.UNSUPPORTED, "text")
        case "link":
            return reader.link(element.get("url"), element.get("text"))
        case "user":
            return reader.person(element.get("user_id"))
        case "emoji":
            return reader.emoji(element.get("name"), element.get("unicode"), element.get("skin_tone"))
        case "channel":
            return reader.refuse(Problem.CHANNEL, element.get("channel_id"))
        case "usergroup":
            return reader.refuse(Problem.USERGROUP, element.get("usergroup_id"))
        case "broadcast":
            return reader.refuse(Problem.BROADCAST, element.get("range"))
        case "date":
            return reader.date(element.get("timestamp"), element.get("fallback"))
        case "color":
            value = element.get("value")
            return value if isinstance(value, str) else reader.refuse(Problem.UNSUPPORTED, "color")
    return reader.refuse(Problem.UNSUPPORTED, kind if isinstance(kind, str) else "element")
