"""A running Countersign in HTTP mode, wired to the sandbox, with the moves a story test needs."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

import requests

from bot.runtime.runner import Running
from bot.sandbox import SlackDriver, SlackSandbox, XSandbox
from bot.sandbox.slack_api import Message, View, dm_channel_for
from storage.models import AuditEvent, Delivery, Draft
from storage.store import Store
from tests.delivered import maybe_x, x_delivery

SECRET = "test-signing-secret-6f1c2a"
TEAM = "T0ACME"
OTHER_TEAM = "T0OTHER"
DRAFTS = "C0DRAFTS"
OWNER = "U0OWNER"
OWNER2 = "U0OWNER2"
WRITER = "U0WRITER"
OUTSIDER = "U0OUTSIDER"
GUEST = "U0GUEST"
AGENCY = "Northwind Agency"
PEOPLE = {
    OWNER: "Olivia Owner",
    OWNER2: "Omar Second",
    WRITER: "Wendy Writer",
    OUTSIDER: "Oscar Outsider",
    GUEST: "Gus Guest",
}


def app_env(slack: SlackSandbox, x: XSandbox, database_url: str, **overrides: str) -> dict[str, str]:
    env = {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_API_URL": slack.url,
        "X_API_KEY": x.consumer_key,
        "X_API_SECRET": "x-consumer-secret-test",
        "X_ACCESS_TOKEN": "x-access-token-test",
        "X_ACCESS_TOKEN_SECRET": "x-access-secret-test",
        "X_API_URL": x.url,
        "DATABASE_URL": database_url,
        "DRAFTS_CHANNEL": DRAFTS,
        "APPROVERS": f"{OWNER},{OWNER2}",
        "AGENCY_NAME": AGENCY,
        "HEALTH_PORT": "0",  # Socket Mode's health server off unless a test picks a port (3000 is the default)
        "UNDO_WINDOW": "0",  # a post right after Approve, as these tests expect; tests/e2e/test_undo.py sets its own
    }
    env.update(overrides)
    return env


def attribution(approver: str = OWNER) -> str:
    return f"— drafted by {AGENCY}, approved by {PEOPLE[approver]}"


def posted(text: str, approver: str = OWNER) -> str:
    """What X should receive for a one-part draft approved by `approver`."""
    return f"{text}\n\n{attribution(approver)}"


def block_text(blocks: list[dict[str, Any]]) -> str:
    """All visible mrkdwn/plain text of some blocks, joined: what a person reads on the card."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(blocks)
    return "\n".join(out)


def buttons(message: Message) -> list[str]:
    return [
        element["text"]["text"]
        for block in message.blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]


@dataclass
class Harness:
    running: Running
    driver: SlackDriver
    slack: SlackSandbox
    x: XSandbox

    @classmethod
    def of(cls, running: Running, slack: SlackSandbox, x: XSandbox) -> Self:
        """The harness of an app started on loopback: a driver signing with SECRET, answering response_urls and
        replies as the Slack stand-in does."""
        driver = SlackDriver(
            f"{running.url}/slack/events",
            SECRET,
            response_url_base=slack.response_url_base,
            replies_of=slack.replies_of,
        )
        return cls(running, driver, slack, x)

    @property
    def store(self) -> Store:
        return self.running.services.store

    def settle(self) -> None:
        """Stop the app once in-flight work is finished: after this, what the sandboxes saw is final."""
        self.running.stop()

    # -- the writer ----------------------------------------------------------------------------

    def draft(self, text: str, user: str = WRITER, channel: str = DRAFTS, **kw: Any) -> str:
        ts, response = self.driver.message(user, text, channel, **kw)
        assert response.status_code == 200, response.text
        return ts

    def edit(self, ts: str, new_text: str, old_text: str = "", user: str = WRITER) -> None:
        response = self.driver.edit_message(user, DRAFTS, ts, new_text, old_text)
        assert response.status_code == 200, response.text

    def delete(self, ts: str, old_text: str = "", user: str = WRITER) -> None:
        """Delete a draft's message once the app has replied in its thread, as a writer would see it: Slack
        then reports the deletion as a tombstone (`message_changed`), not `message_deleted`."""
        self.thread(ts)
        response = self.driver.delete_message(DRAFTS, ts, old_text, user)
        assert response.status_code == 200, response.text

    def send(self, event: dict[str, Any]) -> None:
        """Deliver an event built earlier (an edit stamped before another, a deletion before its creation)."""
        response = self.driver.event(event)
        assert response.status_code == 200, response.text

    # -- what Slack shows ----------------------------------------------------------------------

    def card(self, approver: str = OWNER, containing: str = "", timeout: float = 5.0) -> Message:
        """The newest card in `approver`'s DM whose text contains `containing`."""
        channel = dm_channel_for(approver)

        def find(sandbox: SlackSandbox) -> Message | None:
            for message in reversed(sandbox.messages(channel)):
                if message.blocks and containing in block_text(message.blocks):
                    return message
            return None

        return self.slack.wait_for(find, timeout)

    def cards_in(self, channel: str) -> list[Message]:
        return [m for m in self.slack.messages(channel) if m.blocks and not m.thread_ts]

    def fresh(self, card: Message) -> Message:
        current = self.slack.message(card.channel, card.ts)
        assert current is not None
        return current

    def wait_card(self, card: Message, predicate: Any, timeout: float = 5.0) -> Message:
        """Wait until the card (as updated by chat.update) satisfies `predicate`."""
        return self.slack.wait_for(lambda s: (m := s.message(card.channel, card.ts)) and predicate(m) and m, timeout)

    def thread(
        self, ts: str, count: int = 1, containing: str = "", timeout: float = 5.0, channel: str = DRAFTS
    ) -> list[Message]:
        def find(sandbox: SlackSandbox) -> list[Message] | None:
            replies = [m for m in sandbox.thread(channel, ts) if containing in m.text]
            return replies if len(replies) >= count else None

        return self.slack.wait_for(find, timeout)

    def ephemeral(self, user: str, containing: str = "", timeout: float = 5.0) -> str:
        return self.slack.wait_for(
            lambda s: next((e.text for e in s.ephemerals(user) if containing in e.text), None), timeout
        )

    # -- the owner -----------------------------------------------------------------------------

    def click(self, card: Message, label: str, user: str = OWNER, **kw: Any) -> requests.Response:
        response = self.driver.click(self.fresh(card), label, user, **kw)
        assert response.status_code == 200, response.text
        return response

    def modal(self, callback_id: str, timeout: float = 5.0) -> View:
        return self.slack.wait_for(
            lambda s: next((v for v in reversed(s.views) if v.callback_id == callback_id), None), timeout
        )

    def submit(self, view: View, values: dict[str, dict[str, str]], user: str = OWNER, **kw: Any) -> requests.Response:
        return self.driver.submit_view(
            view.callback_id, view.private_metadata, values, user, view_id=view.id, blocks=view.blocks, **kw
        )

    # -- the database --------------------------------------------------------------------------

    def row(self, ts: str) -> Draft:
        with self.store.transaction() as tx:
            draft = tx.by_message(DRAFTS, ts)
        assert draft is not None, f"no draft for {ts}"
        return draft

    def wait_status(self, ts: str, status: str, timeout: float = 5.0) -> Draft:
        return self.slack.wait_until(lambda: (d := self._maybe_row(ts)) and d.status == status and d, timeout)

    def on_x(self, ts: str) -> Delivery:
        """Where the draft of message `ts` got to on X: its X delivery of its current version."""
        return x_delivery(self.store, self.row(ts).id or 0)

    def wait_x(self, ts: str, until: Callable[[Delivery], object], timeout: float = 5.0) -> Delivery:
        """The draft's X delivery once `until` holds of it (polled, as `wait_status`)."""
        return self.slack.wait_until(lambda: (d := self._maybe_x(ts)) is not None and until(d) and d, timeout)

    def _maybe_x(self, ts: str) -> Delivery | None:
        draft = self._maybe_row(ts)
        if draft is None or draft.id is None:
            return None
        with self.store.read() as tx:
            return maybe_x(tx, draft.id)

    def _maybe_row(self, ts: str, channel: str = DRAFTS) -> Draft | None:
        with self.store.transaction() as tx:
            return tx.by_message(channel, ts)

    def wait_audit(self, action: str, timeout: float = 5.0) -> AuditEvent:
        """The first audit row of `action`, once the app has written it (polled: a move Slack never hears of
        wakes nothing in the sandbox)."""
        deadline = time.monotonic() + timeout
        while not (found := [a for a in self.audit() if a.action == action]):
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {action!r} audit row within {timeout:g}s: {[a.action for a in self.audit()]}")
            time.sleep(0.02)
        return found[0]

    def audit(self, draft_id: int | None = None) -> list[AuditEvent]:
        from sqlmodel import col, select

        with self.store.transaction() as tx:
            stmt = select(AuditEvent).order_by(col(AuditEvent.id))
            if draft_id is not None:
                stmt = stmt.where(AuditEvent.draft_id == draft_id)
            return list(tx.session.exec(stmt).all())


def count_of(text: str) -> tuple[int, int]:
    """The `212/280` figure in a text."""
    match = re.search(r"(\d+)/(\d+)", text)
    assert match, f"no count in {text!r}"
    return int(match.group(1)), int(match.group(2))
