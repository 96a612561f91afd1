"""A status's `content` as Mastodon renders plain text (app/lib/text_formatter.rb), for the stand-in.

What the real server sends, and a reader of `content` must undo:
- the text is HTML-escaped (`&amp; &lt; &gt; &quot; &#39;`) between entities;
- a URL with a protocol becomes `<a href=… target="_blank" rel="nofollow noopener" translate="no">` holding
  `<span class="invisible">https://www.</span><span class="ellipsis|">first 30 characters</span>`
  `<span class="invisible">the rest</span>`: the visible text is cut, the text content is the whole URL;
- a mention of an account the server knows becomes an h-card whose text is `@user`, without the domain even
  for a remote account; an unknown one stays `@user@domain` as typed;
- a hashtag becomes `<a href="…/tags/x" class="mention hashtag" rel="tag">#<span>x</span></a>`;
- Rails' simple_format: paragraphs (split on blank lines) in `<p>`, single newlines as `<br />`, no newlines left.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

from twitter_text.extract_urls import extract_urls_with_indices

from bot.networks.mastodon.text_rules import mentions_with_indices

_URL_PREFIX = re.compile(r"\A(https?://(www\.)?|xmpp:)")
_HASHTAG = re.compile(r"(?<![=/)\w])#(\w*[^\W\d_]\w*)")


def _h(text: str) -> str:
    return escape(text, quote=True).replace("&#x27;", "&#39;")


def render(text: str, domain: str, knows: Callable[[str], bool] = lambda _acct: True) -> str:
    """HTML `content` for `text` posted on `domain`; `knows(acct)` says whether a mentioned account resolves."""
    text = text.strip(" \t\n\v\f\r\0")
    if not text.strip():
        return ""
    found = extract_urls_with_indices(text, extract_urls_without_protocol=False) + mentions_with_indices(text)
    found += [{"hashtag": m.group(1), "indices": [m.start(), m.end()]} for m in _HASHTAG.finditer(text)]
    pieces, last = [], 0
    for entity in _without_overlaps(found):
        start, end = entity["indices"]
        pieces.append(_h(text[last:start]))
        pieces.append(_entity(entity, domain, knows))
        last = end
    pieces.append(_h(text[last:]))
    return _simple_format("".join(pieces))


def _entity(entity: dict, domain: str, knows: Callable[[str], bool]) -> str:
    if "url" in entity:
        return _link(entity["url"])
    if "hashtag" in entity:
        tag = entity["hashtag"]
        return (
            f'<a href="https://{domain}/tags/{_h(tag)}" class="mention hashtag" rel="tag">#<span>{_h(tag)}</span></a>'
        )
    acct = entity["screen_name"]
    if not knows(acct):
        return "@" + _h(acct)
    username, _, host = acct.partition("@")
    url = f"https://{host or domain}/@{username}"
    return (
        f'<span class="h-card" translate="no"><a href="{_h(url)}" class="u-url mention">@<span>{_h(username)}'
        "</span></a></span>"
    )


def _link(url: str) -> str:
    prefix = _URL_PREFIX.match(url)
    head = prefix.group(0) if prefix else ""
    rest = url[len(head) :]
    shown, hidden = rest[:30], rest[30:]
    cut = "ellipsis" if len(rest) > 30 else ""
    return (
        f'<a href="{_h(url)}" target="_blank" rel="nofollow noopener" translate="no">'
        f'<span class="invisible">{_h(head)}</span><span class="{cut}">{_h(shown)}</span>'
        f'<span class="invisible">{_h(hidden)}</span></a>'
    )


def _simple_format(html: str) -> str:
    html = html.replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = [p for p in re.split(r"\n\n+", html) if p]
    return "".join("<p>" + re.sub(r"([^\n])\n(?=[^\n])", r"\1<br />", p).replace("\n", "") + "</p>" for p in paragraphs)


def _without_overlaps(entities: list[dict]) -> list[dict]:
    kept: list[dict] = []
    for entity in sorted(entities, key=lambda e: e["indices"][0]):
        if kept and kept[-1]["indices"][1] > entity["indices"][0]:
            continue
        kept.append(entity)
    return kept
