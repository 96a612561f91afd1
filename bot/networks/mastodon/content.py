"""Reading a status's HTML `content` back as the text that was posted, to recognise our own post.

Mastodon keeps the posted text (`text`) only for its author's edit and delete answers; timelines carry the
rendered HTML. Its text content is the posted text with links whole (the `invisible` spans hold the cut parts),
paragraphs as `<p>`, line breaks as `<br />`, escapes undone by the parser, and a known remote mention shown as its
local part (`@user`). So both sides are compared in one normal form: stripped, line endings and blank-line runs
collapsed, every `@user@domain` as `@user`.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

from bot.networks.mastodon.text_rules import MENTION_RE


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._paragraphs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            if self._paragraphs:
                self.parts.append("\n\n")
            self._paragraphs += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextOf()
    parser.feed(html or "")
    parser.close()
    return "".join(parser.parts)


def comparable(text: str) -> str:
    """The normal form both the draft's text and a status's content are reduced to before comparing."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n").strip()
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    return MENTION_RE.sub(lambda m: "@" + m.group(1).split("@")[0], text)


def same_text(posted_html: str, text: str) -> bool:
    return comparable(html_to_text(posted_html)) == comparable(text)
