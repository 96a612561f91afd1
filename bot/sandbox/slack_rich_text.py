"""The `rich_text` block Slack's clients send with every message a person types, built from its mrkdwn `text`.

Real Slack sends both: `text` in mrkdwn (`*Grand*`, `<@U0WRITER>`, `:coffee:`, `&amp;`) and
`blocks: [{"type": "rich_text", "block_id": …, "elements": [...]}]` with the literal characters, each style,
mention, link and emoji an element of its own. The sandbox derives the second from the first, the way the client
does from what was typed: sections (`rich_text_section`), lists from lines starting `• `/`◦ `/`▪ ` (four spaces a
level) or `1. `, quotes from lines starting `&gt; `, ```` ```…``` ```` lines as `rich_text_preformatted`;
`*bold*` `_italic_` `~strike~` `` `code` `` as styles (at word boundaries only), `<@U…>` as `user`, `<#C…>`
as `channel`, `<!here>` as `broadcast`, `<!subteam^S…>` as `usergroup`, `<!date^…>` as `date`, links as `link`,
and `:name:` as `emoji` with its `unicode` (hex code points joined by `-`) when it is a standard emoji, none
when it is a custom one.

Written on its own, as a scanner, independently of the app's reader (bot/slack/text.py, bot/slack/mrkdwn.py), so
tests comparing the two compare two readings of Slack's format, not one reading with itself.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import emoji

BULLETS = "•◦▪"
MARKERS = {"*": "bold", "_": "italic", "~": "strike"}
_ORDERED = re.compile(r"([0-9]{1,6})\. (.*)", re.DOTALL)
_EMOJI = re.compile(r":([a-z0-9_+'-]*[a-z][a-z0-9_+'-]*|[+-]1):(?::skin-tone-([2-6]):)?")
_ENTITY = re.compile(r"<([^<>|\n]*)(?:\|([^<>\n]*))?>")
Element = dict[str, Any]


def rich_text_block(text: str, block_id: str | None = None) -> Element:
    """The one rich_text block of a typed message."""
    return {"type": "rich_text", "block_id": block_id or secrets.token_hex(3), "elements": elements(text)}


def elements(text: str) -> list[Element]:
    lines = text.split("\n")
    out: list[Element] = []
    paragraph: list[str] = []

    def flush(before_block: bool) -> None:
        if paragraph:
            joined = "\n".join(paragraph) + ("\n" if before_block else "")
            out.append({"type": "rich_text_section", "elements": inline(joined)})
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```") and line.endswith("```") and len(line) >= 6:
            flush(True)
            out.append({"type": "rich_text_preformatted", "elements": inline(line[3:-3], code_block=True), "border": 0})
            i += 1
        elif line.startswith("&gt; "):
            flush(True)
            quoted = []
            while i < len(lines) and lines[i].startswith("&gt; "):
                quoted.append(lines[i][5:])
                i += 1
            out.append({"type": "rich_text_quote", "elements": inline("\n".join(quoted)), "border": 0})
        elif _list_item(line) is not None:
            flush(True)
            while i < len(lines) and (item := _list_item(lines[i])) is not None:
                _add_item(out, *item)
                i += 1
        else:
            paragraph.append(line)
            i += 1
    flush(False)
    return out


def _list_item(line: str) -> tuple[str, int, int, str] | None:
    """(style, indent, number, text) of a list line, or None: `• x`, `    ◦ x`, `1. x` (numbered at the top)."""
    stripped = line.lstrip(" ")
    spaces = len(line) - len(stripped)
    if spaces % 4:
        return None
    level = spaces // 4
    if stripped[:2] == f"{BULLETS[level % 3]} ":
        return "bullet", level, 0, stripped[2:]
    match = _ORDERED.fullmatch(stripped)
    if level == 0 and match:
        return "ordered", 0, int(match.group(1)), match.group(2)
    return None


def _add_item(out: list[Element], style: str, indent: int, number: int, text: str) -> None:
    """Consecutive items of one style and level are one list; `offset` keeps a numbered list's count going."""
    last = out[-1] if out else None
    same = last is not None and last["type"] == "rich_text_list" and (last["style"], last["indent"]) == (style, indent)
    if same and (style == "bullet" or last.get("offset", 0) + len(last["elements"]) + 1 == number):
        last["elements"].append({"type": "rich_text_section", "elements": inline(text)})
        return
    new: Element = {"type": "rich_text_list", "style": style, "indent": indent, "border": 0, "elements": []}
    if style == "ordered" and number != 1:
        new["offset"] = number - 1
    new["elements"].append({"type": "rich_text_section", "elements": inline(text)})
    out.append(new)


def inline(text: str, styles: frozenset[str] = frozenset(), code_block: bool = False) -> list[Element]:
    """Scan mrkdwn left to right into leaf elements, each carrying the styles around it."""
    out: list[Element] = []
    buffer: list[str] = []

    def text_run() -> None:
        if buffer:
            _append_text(out, _decode("".join(buffer)), styles)
            buffer.clear()

    p = 0
    while p < len(text):
        char = text[p]
        if char == "<" and (entity := _ENTITY.match(text, p)):
            text_run()
            out.append(_styled(_entity(entity.group(1), entity.group(2)), styles))
            p = entity.end()
            continue
        if not code_block and char == "`" and (end := _closing(text, p, "`")) is not None:
            text_run()
            out.extend(inline(text[p + 1 : end], styles | {"code"}, code_block=True))
            p = end + 1
            continue
        if not code_block and "code" not in styles and char in MARKERS and (end := _closing(text, p, char)) is not None:
            text_run()
            out.extend(inline(text[p + 1 : end], styles | {MARKERS[char]}))
            p = end + 1
            continue
        if not code_block and "code" not in styles and char == ":" and (found := _EMOJI.match(text, p)):
            text_run()
            out.append(_styled(_emoji(found.group(1), found.group(2)), styles))
            p = found.end()
            continue
        buffer.append(char)
        p += 1
    text_run()
    return out


def _closing(text: str, start: int, marker: str) -> int | None:
    """Where the style opened at `start` closes: Slack styles only at word boundaries, on one line, around
    something that neither starts nor ends with a space (so `2*3*4` and `snake_case` stay as typed)."""
    before = text[start - 1] if start else " "
    if before.isalnum() or before in ("_", marker):
        return None
    end = text.find(marker, start + 1)
    if end <= start + 1 or "\n" in text[start:end]:
        return None
    after = text[end + 1] if end + 1 < len(text) else " "
    if after.isalnum() or after in ("_", marker):
        return None
    if marker != "`" and (text[start + 1].isspace() or text[end - 1].isspace()):
        return None
    return end


def _append_text(out: list[Element], value: str, styles: frozenset[str]) -> None:
    element: Element = {"type": "text", "text": value}
    out.append(_styled(element, styles))


def _styled(element: Element, styles: frozenset[str]) -> Element:
    if styles:
        element["style"] = {name: True for name in sorted(styles)}
    return element


def _decode(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _entity(target: str, label: str | None) -> Element:
    if target.startswith("@"):
        return {"type": "user", "user_id": target[1:]}
    if target.startswith("#"):
        return {"type": "channel", "channel_id": target[1:]}
    if target.startswith("!subteam^"):
        return {"type": "usergroup", "usergroup_id": target.removeprefix("!subteam^")}
    if target.startswith("!date^"):
        _, stamp, *fmt = target.split("^")
        element: Element = {"type": "date", "timestamp": int(stamp) if stamp.isdigit() else stamp}
        element["format"] = "^".join(fmt)
        if label is not None:
            element["fallback"] = _decode(label)
        return element
    if target.startswith("!"):
        return {"type": "broadcast", "range": target[1:]}
    link: Element = {"type": "link", "url": _decode(target)}
    if label is not None:
        link["text"] = _decode(label)
    return link


def _emoji(name: str, tone: str | None) -> Element:
    element: Element = {"type": "emoji", "name": name}
    chars = _standard(name)
    if chars is not None:
        if tone:
            chars = chars[0] + chr(0x1F3FB + int(tone) - 2) + chars[1:].removeprefix("\ufe0f")
            element["skin_tone"] = int(tone)
        element["unicode"] = "-".join(f"{ord(c):x}" for c in chars)
    return element


def _standard(name: str) -> str | None:
    for spelling in dict.fromkeys((name, name.replace("-", "_"))):
        code = f":{spelling}:"
        found = emoji.emojize(code, language="alias")
        if found != code:
            return found
    return None
