"""Block Kit's smallest pieces, shared by every builder (cards, App Home, digest, Delete from X): pure functions,
data in and dict out, within Slack's limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.slack.ids import ActionId

SECTION_LIMIT = 3000
Block = dict[str, Any]


def slack_date(when: datetime | None) -> str:
    """Shown in each reader's own time zone by Slack; the fallback is UTC."""
    if when is None:
        return ""
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def section(text: str, block_id: str | None = None) -> Block:
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 1] + "…"
    block: Block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id:
        block["block_id"] = block_id
    return block


def plain_section(text: str, block_id: str | None = None) -> Block:
    """Agency text as X will get it: a plain_text object, so Slack applies no mrkdwn (`*bold*` keeps its
    asterisks), parses no `<!channel>` or link, and turns no `:shortcode:` into an emoji (`emoji: false`).
    Nothing needs escaping in plain_text: the characters shown are the characters posted."""
    if len(text) > SECTION_LIMIT:
        text = text[: SECTION_LIMIT - 1] + "…"
    block: Block = {"type": "section", "text": {"type": "plain_text", "text": text or " ", "emoji": False}}
    if block_id:
        block["block_id"] = block_id
    return block


def context(text: str, block_id: str | None = None) -> Block:
    block: Block = {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
    if block_id:
        block["block_id"] = block_id
    return block


def button(
    action_id: ActionId, label: str, value: str, style: str | None = None, confirm: Block | None = None
) -> Block:
    """`confirm`: Slack's confirmation dialog object, shown before the click is sent."""
    element: Block = {
        "type": "button",
        "action_id": action_id.value,
        "text": {"type": "plain_text", "text": label},
        "value": value,
    }
    if style:
        element["style"] = style
    if confirm is not None:
        element["confirm"] = confirm
    return element
