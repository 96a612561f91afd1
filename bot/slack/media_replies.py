"""What the writer is told about their files: each refused or left-out file by name, with the network whose limit it
breaks and that limit."""

from __future__ import annotations

from bot.approval.post_text import escape_mrkdwn
from bot.intake.media_rules import MediaRefusal, Problem

SUPPORTED = "JPEG, PNG or WebP images (up to 4, 5 MB each) or one GIF (up to 15 MB)"


def _name(refusal: MediaRefusal) -> str:
    return f"`{escape_mrkdwn(refusal.name.replace('`', chr(39)))}`"


def sentence(refusal: MediaRefusal) -> str:
    name, detail, network = _name(refusal), escape_mrkdwn(refusal.detail), refusal.network or "X"
    match refusal.problem:
        case Problem.TOO_BIG:
            return f"{name} is too big for {network} ({detail})."
        case Problem.TOO_MANY:
            return f"{network} takes at most {refusal.limit} images in a post; this message has {detail}."
        case Problem.NOT_TAKEN:
            return f"{name} is an image type {network} doesn't take: it takes {detail}."
        case Problem.GIF_NOT_ALONE:
            return f"{name} is a GIF: {network} posts a GIF on its own, with no other image ({detail} here)."
        case Problem.UNREADABLE:
            return f"{name} couldn't be read from Slack: {detail}."
        case Problem.ALT_TOO_LONG:
            return f"The alt text of {name} is too long ({detail})."
        case Problem.EXTRA_ALT:
            return f"There are more `alt:` lines than images ({detail}); the extra one is {name}."
    return f"{name} isn't an image X takes: only {SUPPORTED}."


def refused(refusals: tuple[MediaRefusal, ...]) -> str:
    said = " ".join(sentence(r) for r in refusals[:5])
    return f"{said} Fix the files and post the message again (or edit it): nothing was sent."


def dropped(refusals: tuple[MediaRefusal, ...], on: str = "X") -> str:
    """`on`: the brand's networks as people read them (`X`, `X and Bluesky`); X alone keeps naming its types."""
    names = ", ".join(_name(r) for r in refusals[:5])
    more = f" and {len(refusals) - 5} more" if len(refusals) > 5 else ""
    if on == "X":
        return f"{names}{more} won't be posted: X takes only {SUPPORTED}; videos and other files aren't supported."
    takes = "take" if " and " in on else "takes"
    return f"{names}{more} won't be posted: {on} {takes} only images; videos and other files aren't supported."
