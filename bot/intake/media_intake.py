"""A `file_share` message's files → the images its draft will carry, or why not, before any card.

Runs in the handler, before the workflow opens a transaction (no Slack call inside one). Each file is fetched
from `url_private` with the bot token (bot.slack.files), read by content and bound to its sha256
(bot.intake.media_rules). What any network of the brand would refuse refuses the whole draft, naming the file, the
network and its limit; files that are not images (a video, a PDF) are dropped and the writer told, and the text goes
as before.

`alt:` lines (bot.intake.alt_text) are ours only when the message has files: in a text-only draft they are text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.intake.alt_text import split_alt
from bot.intake.media_rules import (
    Limits,
    MediaItem,
    MediaRefusal,
    Problem,
    SlackFile,
    item_for,
    limit_problems,
    too_big_before_download,
)
from bot.slack.files import FileUnavailable

Download = Callable[[str], bytes]


@dataclass(frozen=True)
class MediaIntake:
    text: str  # the post text, `alt:` lines taken out
    items: tuple[MediaItem, ...] = ()
    refusals: tuple[MediaRefusal, ...] = ()  # any of these: the draft is refused
    dropped: tuple[MediaRefusal, ...] = ()  # not images: left out, the writer told

    @property
    def has_files(self) -> bool:
        return bool(self.items or self.refusals or self.dropped)


def read(message: dict[str, Any], text: str, download: Download, limits: Limits) -> MediaIntake:
    """`limits`: each network of the brand's, read before (Mastodon's come from its instance, over HTTP)."""
    files = [f for f in (SlackFile.of(raw) for raw in message.get("files") or []) if f is not None]
    if not files:
        return MediaIntake(text)
    lines = split_alt(text)
    items: list[MediaItem] = []
    refusals: list[MediaRefusal] = []
    dropped: list[MediaRefusal] = []
    for file in files:
        early = too_big_before_download(file, limits)
        if early is not None:
            (dropped if early.problem is Problem.UNSUPPORTED else refusals).append(early)
            continue
        try:
            data = download(file.url)
        except FileUnavailable as exc:
            refusals.append(MediaRefusal(Problem.UNREADABLE, file.name, exc.reason))
            continue
        alt = lines.alts[len(items)] if len(items) < len(lines.alts) else ""
        found = item_for(file, data, alt, lines.part)
        if isinstance(found, MediaItem):
            items.append(found)
        elif found.problem is Problem.UNSUPPORTED:
            dropped.append(found)
        else:
            refusals.append(found)
    refusals += limit_problems(items, lines.alts, limits)
    return MediaIntake(lines.text, tuple(items), tuple(refusals), tuple(dropped))
