"""The images on an approval card: Block Kit `image` blocks that reference the Slack file (`slack_file.id`), so
the card shows exactly the file that was hashed and nothing private is exposed by URL. Pure.

Each image carries its alt text as the block's `alt_text` (what a screen reader says on the card) and as a
visible title, or says "no alt text" plainly so the owner sees what X's readers will get.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.intake.media_rules import MediaItem, MediaKind, file_size

Block = dict[str, Any]
NO_ALT = "no alt text"
TITLE_LIMIT = 2000


def image_blocks(items: Sequence[MediaItem], parts: int, block_id: str) -> list[Block]:
    """One `image` block per image, in order, then a line on what goes out and with which thread part."""
    if not items:
        return []
    total = len(items)
    blocks: list[Block] = []
    for number, item in enumerate(items, start=1):
        what = "GIF" if item.kind is MediaKind.GIF else "Image"
        said = f"alt: {item.alt}" if item.alt else NO_ALT
        title = f"{what} {number} of {total} · {said}"
        blocks.append(
            {
                "type": "image",
                "block_id": f"{block_id}.{number}",
                "slack_file": {"id": item.file_id},
                "alt_text": (item.alt or f"{what} {number} of {total}, {NO_ALT}")[:TITLE_LIMIT],
                "title": {"type": "plain_text", "text": title[:TITLE_LIMIT], "emoji": False},
            }
        )
    blocks.append(
        {"type": "context", "block_id": block_id, "elements": [{"type": "mrkdwn", "text": summary(items, parts)}]}
    )
    return blocks


def summary(items: Sequence[MediaItem], parts: int) -> str:
    """`2 images (1.2 MB) · go with post 2 of 3` — the part said only for threads (the first when unsaid)."""
    noun = "GIF" if items and items[0].kind is MediaKind.GIF else ("image" if len(items) == 1 else "images")
    size = file_size(sum(i.size for i in items))
    line = f"{len(items)} {noun} ({size}), posted exactly as shown"
    if parts > 1:
        part = min(items[0].part, parts - 1) + 1
        line += f" · {'goes' if len(items) == 1 else 'go'} with post {part} of {parts}"
        if items[0].part == 0:
            line += " (the first, as no `alt:` line was written under another part)"
    missing = sum(1 for i in items if not i.alt)
    if missing:
        line += f" · {missing} without alt text"
    return line


def count_label(n: int) -> str:
    """For lists (App Home, digest, status): ` · 🖼 2` style, in words."""
    return "" if n <= 0 else f" · {n} image{'s' if n != 1 else ''}"
