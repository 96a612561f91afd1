"""Loopback stand-ins for Slack and X, driven by the real slack_sdk and tweepy clients.

Used by the end-to-end tests and by `countersign demo`: `Sandbox.start()` gives a Slack workspace (Web API +
Socket Mode) and an X account on ephemeral ports; `SlackDriver` plays the Slack side of HTTP requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Self

from bot.networks.x.sandbox import Post, XRequest, XSandbox
from bot.sandbox.driver import SlackDriver
from bot.sandbox.slack_api import ApiCall, Ephemeral, Message, SlackSandbox, View
from bot.sandbox.slack_blocks import find_button
from bot.sandbox.socket_mode import SocketModeSandbox

__all__ = [
    "ApiCall",
    "Ephemeral",
    "Message",
    "Post",
    "Sandbox",
    "SlackDriver",
    "SlackSandbox",
    "SocketModeSandbox",
    "View",
    "XRequest",
    "XSandbox",
    "find_button",
]


@dataclass
class Sandbox:
    """Both services together, for tests and the demo."""

    slack: SlackSandbox = field(default_factory=SlackSandbox)
    x: XSandbox = field(default_factory=XSandbox)

    @classmethod
    def start(cls, slack: SlackSandbox | None = None, x: XSandbox | None = None) -> Sandbox:
        sandbox = cls(slack or SlackSandbox(), x or XSandbox())
        sandbox.slack.start()
        try:
            sandbox.x.start()
        except BaseException:
            sandbox.slack.stop()
            raise
        return sandbox

    def stop(self) -> None:
        self.x.stop()
        self.slack.stop()

    def reset(self) -> None:
        self.slack.reset()
        self.x.reset()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
