"""`/countersign`: answered in the ack itself, so the reply is instant and only the caller sees it."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App

from bot.services import Services
from bot.status import help_text, status_text

COMMAND = "/countersign"


def register(app: App, services: Services) -> None:
    app.command(COMMAND)(partial(countersign, services=services))


def countersign(ack: Ack, command: dict[str, Any], services: Services) -> None:
    text = command.get("text") if isinstance(command.get("text"), str) else ""
    words = text.split()
    match words[0].lower() if words else "status":
        case "status":
            ack(response_type="ephemeral", text=status_text(services.store, services.settings.drafts_channel))
        case _:
            ack(response_type="ephemeral", text=help_text())
