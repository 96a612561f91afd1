"""Alt text for a draft's images, written by the writer in the message itself: one `alt:` line per image.

What we decided (the issue left the syntax open):
- A line that starts with `alt:` (any case, spaces allowed around the colon) is ours: it gives the alt text of
  the next image, in the order the files are attached (Slack's `files[]` order). It is removed from the post
  text, so it counts nothing towards the 280. `alt:` with nothing after it says "no alt text" for that image
  and keeps the order (so the third line still belongs to the third image).
- The lines are read from the post's plain characters (after bot.slack.text turned rich_text or mrkdwn into
  them), so bold or a link inside an alt line is the same characters X gets.
- Threads: images go with the part the `alt:` lines are written in (the first such line decides); with no
  `alt:` line they go with the first part. The card says which part.
- More `alt:` lines than images: the extra ones are refused by name (bot.intake.media_rules), never silently dropped.
- Each network has its own alt-text limit (X and Bluesky 1,000 characters, Mastodon what the instance says); a
  longer one is refused naming the network (bot.intake.media_rules), never cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.approval.post_text import PART_SEPARATOR

ALT_LINE = re.compile(r"^[ \t]*alt[ \t]*:[ \t]?(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class AltLines:
    """A message's text without its `alt:` lines, the alt texts in order, and the part (0-based) they sit in."""

    text: str
    alts: tuple[str, ...] = ()
    part: int = 0


def split_alt(text: str) -> AltLines:
    """Take the `alt:` lines out of `text`. Pure; never raises."""
    kept: list[str] = []
    alts: list[str] = []
    part = 0
    first_part: int | None = None
    for line in text.split("\n"):
        if PART_SEPARATOR.fullmatch(line):
            part += 1
            kept.append(line)
            continue
        match = ALT_LINE.match(line)
        if match is None:
            kept.append(line)
            continue
        alts.append(match.group(1).strip())
        if first_part is None:
            first_part = part
    return AltLines("\n".join(kept), tuple(alts), first_part or 0)


def join_alt(text: str, alts: tuple[str, ...] | list[str], part: int) -> str:
    """The inverse, for the owner's Edit form: the `alt:` lines put back at the end of the images' part."""
    if not alts:
        return text
    lines = [f"alt: {alt}".rstrip() for alt in alts]
    pieces = PART_SEPARATOR.split(text)
    separators = PART_SEPARATOR.findall(text)
    index = min(part, len(pieces) - 1)
    pieces[index] = pieces[index].rstrip("\n") + "\n" + "\n".join(lines) + ("\n" if index < len(pieces) - 1 else "")
    out = pieces[0]
    for separator, piece in zip(separators, pieces[1:], strict=True):
        out += separator + piece
    return out
