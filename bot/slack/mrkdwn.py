"""Slack's mrkdwn `text` → the same characters its rich_text blocks would give (for messages with no blocks).

Slack's `text` is mrkdwn: `*bold*`, `_italic_`, `~strike~`, `` `code` ``, ```` ```preformatted``` ````,
entities in angle brackets (`<https://a.com|label>`, `<@U…>`, `<#C…|name>`, `<!here>`, `<!subteam^S…|@team>`,
`<!date^…|fallback>`), emoji as `:shortcodes:`, and `&`, `<`, `>` escaped as `&amp;` `&lt;` `&gt;` (only those:
anything else that looks like an entity is what the person typed).

Style markers count the way Slack's parser counts them: only at word boundaries (`2*3*4`, `snake_case_name`
stay), on one line, around something that doesn't start or end with a space. Inside code nothing else is parsed
(`` `*not bold* :coffee:` `` stays literal), except entities, which Slack writes everywhere.
A `:name:` with a letter in it (or `:+1:`, `:-1:`) is an emoji (`10:30:00` is not): a standard one becomes its
characters, any other is a custom emoji and is refused (`bot.slack.text`).
"""

from __future__ import annotations

import re

from bot.approval.post_text import visible
from bot.slack.text import BROADCASTS, NameLookup, Problem, Reader, SlackText

_ENTITY = re.compile(r"<([^<>|\n]*)(?:\|([^<>\n]*))?>")
_PREFORMATTED = re.compile(r"```(.*?)```", re.DOTALL)
_CODE = re.compile(r"(?<![\w`])`([^`\n]+)`(?![\w`])")
_STYLES = tuple(
    re.compile(rf"(?<![\w{m}]){m}([^\s{m}](?:[^{m}\n]*[^\s{m}])?){m}(?![\w{m}])") for m in (r"\*", "_", "~")
)
_SHORTCODE = re.compile(r":([a-z0-9_+'-]*[a-z][a-z0-9_+'-]*|[+-]1):(?::skin-tone-([2-6]):)?")
_ESCAPED = re.compile("&(amp|lt|gt);")
_SLOT = re.compile("\x00([0-9]+)\x01")  # where a code span or entity was set aside (NUL can't be in the text)


def decode(text: str) -> str:
    """`&amp;` `&lt;` `&gt;` → `&` `<` `>`, in one pass (`&amp;lt;` is what someone typed as `&lt;`)."""
    return _ESCAPED.sub(lambda m: {"amp": "&", "lt": "<", "gt": ">"}[m.group(1)], text)


def from_mrkdwn(text: str, names: NameLookup) -> SlackText:
    reader = Reader(names)
    slots: list[str] = []

    def keep(value: str) -> str:
        slots.append(value)
        return f"\x00{len(slots) - 1}\x01"

    def code(match: re.Match[str]) -> str:
        return keep(_ENTITY.sub(lambda m: _entity(m, reader), match.group(1)))

    def entity(match: re.Match[str]) -> str:
        return keep(_entity(match, reader))

    # Invisible characters go first: NUL among them, so the slots can't collide with the text.
    out = _PREFORMATTED.sub(code, visible(text))
    out = _CODE.sub(code, out)
    out = _ENTITY.sub(entity, out)
    out = _unstyle(out)
    out = _SHORTCODE.sub(lambda m: _shortcode(m, reader), out)
    out = decode(out)
    while _SLOT.search(out):  # a slot's value never holds another slot, but a code span may hold an entity's
        out = _SLOT.sub(lambda m: slots[int(m.group(1))], out)
    return reader.result(out)


def _unstyle(text: str) -> str:
    """Drop the markers of every style, nested ones too (`*_both_*`), until nothing changes."""
    while True:
        before = text
        for style in _STYLES:
            text = style.sub(r"\1", text)
        if text == before:
            return text


def _shortcode(match: re.Match[str], reader: Reader) -> str:
    name, tone = match.group(1), match.group(2)
    chars = reader.emoji(f"{name}::skin-tone-{tone}" if tone else name)
    return chars or match.group(0)


def _entity(match: re.Match[str], reader: Reader) -> str:
    target, label = match.group(1), match.group(2)
    label = decode(label) if label is not None else None
    if target.startswith("@"):
        return reader.person(target[1:], label.lstrip("@") if label else None)
    if target.startswith("#"):
        return reader.refuse(Problem.CHANNEL, target[1:])
    if target.startswith("!subteam^"):
        return reader.refuse(Problem.USERGROUP, label or target.removeprefix("!subteam^"))
    if target.startswith("!date^"):
        stamp = target.split("^")[1] if target.count("^") >= 1 else ""
        return reader.date(stamp, label)
    if target.startswith("!"):
        word = target[1:].split("^")[0]
        if word in BROADCASTS:
            return reader.refuse(Problem.BROADCAST, word)
        return reader.refuse(Problem.UNSUPPORTED, target)
    return reader.link(decode(target), label)
