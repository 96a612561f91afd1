"""Block Kit helpers for the Slack stand-in: finding buttons to click, and enforcing Slack's limits.

The limits are checked so an app that would be refused by Slack (a 3001-character section, a 25-character
modal title) is refused by the sandbox too, with errors shaped like Slack's `invalid_blocks` answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100


def _blocks_of(source: Any) -> list[dict[str, Any]]:
    if isinstance(source, list):
        return source
    if isinstance(source, dict):
        return source.get("blocks") or []
    return getattr(source, "blocks", None) or []


def iter_interactive(blocks: list[dict[str, Any]]) -> Iterator[tuple[str | None, dict[str, Any]]]:
    """Yield (block_id, element) for every interactive element in actions, sections and inputs."""
    for block in blocks:
        block_id = block.get("block_id")
        kind = block.get("type")
        if kind == "actions":
            for element in block.get("elements") or []:
                yield block_id, element
        elif kind == "section" and isinstance(block.get("accessory"), dict):
            yield block_id, block["accessory"]
        elif kind == "input" and isinstance(block.get("element"), dict):
            yield block_id, block["element"]


def _label(element: dict[str, Any]) -> str | None:
    text = element.get("text")
    return text.get("text") if isinstance(text, dict) else text


def find_button(message_or_blocks: Any, label: str) -> dict[str, Any]:
    """Return the button labelled `label` as {action_id, block_id, value, text, type[, style]}.

    Accepts a recorded Message/View, a dict with "blocks", or a list of blocks, so tests click what the app
    really sent instead of hard-coding action ids.
    """
    labels: list[str] = []
    for block_id, element in iter_interactive(_blocks_of(message_or_blocks)):
        if element.get("type") != "button":
            continue
        text = _label(element) or ""
        labels.append(text)
        if text == label:
            found = {
                "action_id": element.get("action_id"),
                "block_id": block_id,
                "value": element.get("value"),
                "text": text,
                "type": "button",
            }
            if "style" in element:
                found["style"] = element["style"]
            return found
    raise LookupError(f"no button labelled {label!r}; available: {labels}")


def _too_long(value: Any, limit: int, pointer: str, errors: list[str]) -> None:
    if isinstance(value, str) and len(value) > limit:
        errors.append(f"must be less than {limit + 1} characters [json-pointer:{pointer}]")


def _check_text(text: Any, limit: int, pointer: str, errors: list[str], plain_only: bool = False) -> None:
    if not isinstance(text, dict) or text.get("type") not in (
        ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    ):
        errors.append(f"must provide an object [json-pointer:{pointer}]")
        return
    value = text.get("text")
    if not isinstance(value, str) or not value:
        errors.append(f"must be more than 0 characters [json-pointer:{pointer}/text]")
    _too_long(value, limit, f"{pointer}/text", errors)


def _check_element(element: dict[str, Any], pointer: str, errors: list[str]) -> None:
    _too_long(element.get("action_id"), 255, f"{pointer}/action_id", errors)
    if element.get("type") == "button":
        _check_text(element.get("text"), 75, f"{pointer}/text", errors, plain_only=True)
        _too_long(element.get("value"), 2000, f"{pointer}/value", errors)
        _too_long(element.get("url"), 3000, f"{pointer}/url", errors)
        if "confirm" in element:
            _confirm_errors(element["confirm"], f"{pointer}/confirm", errors)
    elif element.get("type") == "plain_text_input":
        max_length = element.get("max_length")
        if isinstance(max_length, int) and max_length > 3000:
            errors.append(f"must be less than 3001 [json-pointer:{pointer}/max_length]")
        _too_long(element.get("initial_value"), 3000, f"{pointer}/initial_value", errors)
    elif element.get("type") == "datetimepicker":  # epoch seconds as a 10-digit integer, as Slack insists
        initial = element.get("initial_date_time")
        if initial is not None and (not isinstance(initial, int) or isinstance(initial, bool) or initial < 10**9):
            errors.append(f"must be a 10-digit integer [json-pointer:{pointer}/initial_date_time]")


def _confirm_errors(confirm: Any, pointer: str, errors: list[str]) -> None:
    """A confirmation dialog object: title ≤ 100, text ≤ 300, confirm and deny ≤ 30 (plain_text), style
    `primary` or `danger`. Slack shows it before sending the click; a click recorded here was confirmed."""
    if not isinstance(confirm, dict):
        errors.append(f"must provide an object [json-pointer:{pointer}]")
        return
    _check_text(confirm.get("title"), 100, f"{pointer}/title", errors, plain_only=True)
    _check_text(confirm.get("text"), 300, f"{pointer}/text", errors)
    _check_text(confirm.get("confirm"), 30, f"{pointer}/confirm", errors, plain_only=True)
    _check_text(confirm.get("deny"), 30, f"{pointer}/deny", errors, plain_only=True)
    if confirm.get("style") not in (None, "primary", "danger"):
        errors.append(f"must be one of primary, danger [json-pointer:{pointer}/style]")


def block_errors(blocks: Any, limit: int = MESSAGE_BLOCK_LIMIT, base: str = "/blocks") -> list[str]:
    """Return Slack-style error strings for the limits an app is likely to hit; empty if acceptable."""
    if not isinstance(blocks, list):
        return [f"must provide an array [json-pointer:{base}]"]
    errors: list[str] = []
    if len(blocks) > limit:
        errors.append(f"must provide no more than {limit} items [json-pointer:{base}]")
    seen_ids: set[str] = set()
    for index, block in enumerate(blocks):
        pointer = f"{base}/{index}"
        if not isinstance(block, dict) or "type" not in block:
            errors.append(f"missing required field: type [json-pointer:{pointer}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            _too_long(block_id, 255, f"{pointer}/block_id", errors)
            if block_id in seen_ids:
                errors.append(f"duplicate block_id {block_id!r} [json-pointer:{pointer}/block_id]")
            seen_ids.add(block_id)
        kind = block["type"]
        if kind == "section":
            if "text" not in block and "fields" not in block:
                errors.append(f"must provide text or fields [json-pointer:{pointer}]")
            if "text" in block:
                _check_text(block["text"], 3000, f"{pointer}/text", errors)
            for number, item in enumerate(block.get("fields") or []):
                _check_text(item, 2000, f"{pointer}/fields/{number}", errors)
            if isinstance(block.get("accessory"), dict):
                _check_element(block["accessory"], f"{pointer}/accessory", errors)
        elif kind == "header":
            _check_text(block.get("text"), 150, f"{pointer}/text", errors, plain_only=True)
        elif kind == "actions":
            elements = block.get("elements") or []
            if not elements or len(elements) > 25:
                errors.append(f"must provide 1 to 25 items [json-pointer:{pointer}/elements]")
            action_ids = [e.get("action_id") for e in elements if isinstance(e, dict) and e.get("action_id")]
            if len(action_ids) != len(set(action_ids)):
                errors.append(f"action_id values must be unique within a block [json-pointer:{pointer}]")
            for number, element in enumerate(elements):
                _check_element(element, f"{pointer}/elements/{number}", errors)
        elif kind == "image":
            _image_errors(block, pointer, errors)
        elif kind == "context":
            if len(block.get("elements") or []) > 10:
                errors.append(f"must provide no more than 10 items [json-pointer:{pointer}/elements]")
        elif kind == "input":
            _check_text(block.get("label"), 2000, f"{pointer}/label", errors, plain_only=True)
            if isinstance(block.get("element"), dict):
                _check_element(block["element"], f"{pointer}/element", errors)
    return errors


def view_errors(view: Any) -> list[str]:
    """Limits of modals and Home tabs (title/submit/close 24, private_metadata 3000, 100 blocks)."""
    if not isinstance(view, dict):
        return ["must provide an object [json-pointer:/view]"]
    errors: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        errors.append("must be one of modal, home [json-pointer:/view/type]")
    if kind == "modal":
        _check_text(view.get("title"), 24, "/view/title", errors, plain_only=True)
    for key in ("submit", "close"):
        if key in view:
            _check_text(view[key], 24, f"/view/{key}", errors, plain_only=True)
    _too_long(view.get("private_metadata"), 3000, "/view/private_metadata", errors)
    _too_long(view.get("callback_id"), 255, "/view/callback_id", errors)
    errors.extend(block_errors(view.get("blocks", []), VIEW_BLOCK_LIMIT, "/view/blocks"))
    return errors


def _image_errors(block: dict[str, Any], pointer: str, errors: list[str]) -> None:
    """An image block needs `alt_text` (1 to 2000) and exactly one of `image_url` and `slack_file`."""
    alt = block.get("alt_text")
    if not isinstance(alt, str) or not alt:
        errors.append(f"missing required field: alt_text [json-pointer:{pointer}]")
    else:
        _too_long(alt, 2000, f"{pointer}/alt_text", errors)
    if ("image_url" in block) == ("slack_file" in block):
        errors.append(f"must provide exactly one of image_url or slack_file [json-pointer:{pointer}]")
    file = block.get("slack_file")
    if "slack_file" in block and not (isinstance(file, dict) and (file.get("id") or file.get("url"))):
        errors.append(f"slack_file must have an id or a url [json-pointer:{pointer}/slack_file]")
    if "title" in block:
        _check_text(block["title"], 2000, f"{pointer}/title", errors, plain_only=True)
