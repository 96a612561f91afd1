"""A post's id from the link a person copies on X (Share → Copy link), or from the id itself.

X's links name the post by its id alone, so no call is needed: the username in the link is not checked (X answers
`/i/web/status/<id>` for any account, and a renamed account's old links still work)."""

from __future__ import annotations

import re

_STATUS_LINK = re.compile(
    r"(?:https?://)?(?:www\.|mobile\.)?(?:x|twitter)\.com/(?:[A-Za-z0-9_]{1,15}|i/web)/status(?:es)?/(\d{1,20})"
    r"(?:[/?#]\S*)?"
)


def status_id(link: str) -> str | None:
    """The post id in an x.com / twitter.com status link, or a bare id; None for anything else."""
    text = link.strip().strip("<>")
    if text.isdigit() and 0 < len(text) <= 20:
        return text
    match = _STATUS_LINK.fullmatch(text)
    return match.group(1) if match else None
