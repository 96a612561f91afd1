"""The App Home tab: published when a user opens it."""

from __future__ import annotations

from functools import partial
from typing import Any

from slack_bolt import Ack, App

from bot.runtime.services import Services


def register(app: App, services: Services) -> None:
    app.event("app_home_opened")(partial(on_home_opened, services=services))


def on_home_opened(ack: Ack, event: dict[str, Any], services: Services) -> None:
    ack()
    user = event.get("user")
    if event.get("tab", "home") == "home" and isinstance(user, str):
        services.home.publish(user)
