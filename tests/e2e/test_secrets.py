"""Secrets: no token, key or signing secret in any log line at any level, across a full run.

Every record any logger makes (root at DEBUG: slack_sdk, urllib3, tweepy, requests-oauthlib, oauthlib, waitress,
slack_bolt and ours) is captured without `bot.runtime.logs.configure()` having run — as in tests or when the app is
embedded — and each formatted line, traceback included, is searched for every configured secret.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.sandbox import SlackDriver, SlackSandbox, XSandbox
from bot.slack.ids import BlockId, CallbackId, InputId
from tests.e2e.harness import OTHER_TEAM, OWNER, PEOPLE, WRITER, Harness, buttons

# Long and distinctive, and made only of characters that URL- and header-encoding leave as they are.
SECRETS = {
    "SLACK_BOT_TOKEN": "xoxb-SECRETbot-7c1e0a9d4b2f8e6a5d3c",
    "SLACK_SIGNING_SECRET": "SECRETsign-0f9e8d7c6b5a4f3e2d1c",
    "SLACK_APP_TOKEN": "xapp-SECRETapp-1a2b3c4d5e6f7a8b9c",
    "X_API_KEY": "SECRETxkey9f8e7d6c5b4a3f2e",
    "X_API_SECRET": "SECRETxsecret1f2e3d4c5b6a7f",
    "X_ACCESS_TOKEN": "SECRETxaccess2b3c4d5e6f7a8b",
    "X_ACCESS_TOKEN_SECRET": "SECRETxtoksec3c4d5e6f7a8b9c",
}
CAPTURED_LIBRARIES = ("slack_sdk", "urllib3", "requests_oauthlib", "countersign.bolt")


class Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self) -> list[tuple[str, str]]:
        """(logger, formatted record: message, traceback and stack)."""
        return [(r.name, self.format(r)) for r in self.records]


@pytest.fixture
def everything() -> Iterator[Everything]:
    """Root at DEBUG and every logger let through (some tests call `configure()`, which quiets libraries)."""
    handler = Everything()
    root = logging.getLogger()
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    root_level = root.level
    for logger in loggers:
        logger.setLevel(logging.NOTSET)
        logger.disabled = False
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(root_level)
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled


@pytest.fixture
def sandboxes() -> Iterator[tuple[SlackSandbox, XSandbox]]:
    """A Slack and an X that accept only these secrets."""
    slack = SlackSandbox(bot_token=SECRETS["SLACK_BOT_TOKEN"], app_token=SECRETS["SLACK_APP_TOKEN"]).start()
    x = XSandbox(consumer_key=SECRETS["X_API_KEY"]).start()
    for user_id, name in PEOPLE.items():
        team = OTHER_TEAM if user_id == "U0GUEST" else None
        slack.add_user(user_id, name.split()[0].lower(), real_name=name, team_id=team)
    try:
        yield slack, x
    finally:
        x.stop()
        slack.stop()


def test_no_secret_reaches_any_log_line_across_a_full_run(
    start_bot: Callable[..., Harness], sandboxes: tuple[SlackSandbox, XSandbox], everything: Everything
) -> None:
    slack, x = sandboxes
    started = start_bot(SLACK_API_URL=slack.url, X_API_URL=x.url, **SECRETS)
    driver = SlackDriver(
        f"{started.running.url}/slack/events",
        SECRETS["SLACK_SIGNING_SECRET"],
        response_url_base=slack.response_url_base,
    )
    bot = Harness(started.running, driver, slack, x)

    # A draft, its card, the writer's edit, the owner's edit through the form, approval, publication.
    ts = bot.draft("Fresh beans are in.")
    bot.card(OWNER, containing="Fresh beans")
    bot.edit(ts, "Fresh beans are in: Guji.", "Fresh beans are in.")
    card = bot.card(OWNER, containing="Guji")
    bot.click(card, "Edit")
    view = bot.modal(CallbackId.EDIT.value)
    response = bot.submit(view, {BlockId.EDIT_TEXT.value: {InputId.TEXT.value: "Fresh beans are in: Guji, today."}})
    assert response.status_code == 200, response.text
    bot.wait_status(ts, "published")
    assert [p.text.split("\n")[0] for p in x.posts] == ["Fresh beans are in: Guji, today."]

    # X refuses the keys.
    x.fail(status=401)
    failing = bot.draft("Keys will fail.")
    failing_card = bot.card(OWNER, containing="Keys will fail")
    bot.click(failing_card, "Approve")
    bot.wait_status(failing, "failed")
    bot.wait_card(failing_card, lambda m: "Retry" in buttons(m))

    # Slack loses a card while it is being updated.
    slack.fail("chat.update", error="message_not_found", status=200, times=2)
    lost = bot.draft("Card goes missing.")
    bot.click(bot.card(OWNER, containing="Card goes missing"), "Approve")
    bot.wait_status(lost, "published")

    # A forged request.
    forged = bot.driver.message(WRITER, "Forged draft", "C0DRAFTS", signature="v0=" + "0" * 64)[1]
    assert forged.status_code == 401

    bot.settle()
    try:  # and an error whose text carries a secret, as a library's exception might
        raise RuntimeError(f"auth failed for {SECRETS['SLACK_BOT_TOKEN']}")
    except RuntimeError:
        logging.getLogger("slack_sdk.web.base_client").debug("request failed", exc_info=True)

    lines = everything.lines()
    leaks = [
        (name, secret_name, line[:300])
        for name, line in lines
        for secret_name, secret in SECRETS.items()
        if secret in line
    ]
    assert leaks == [], "\n".join(f"{secret_name} in {name}: {line}" for name, secret_name, line in leaks[:10])
    loggers = {name for name, _ in lines}
    for library in CAPTURED_LIBRARIES:  # the capture really saw the chatty libraries at DEBUG
        assert any(n == library or n.startswith(library + ".") for n in loggers), (library, sorted(loggers))
    problems = [line for _, line in lines if " WARNING " in line or " ERROR " in line]
    assert any("401" in line for line in problems) and any("message_not_found" in line for line in problems)
    # The X keys were in oauthlib's DEBUG lines, and the token in the traceback: scrubbed, not absent.
    assert any(n.startswith("oauthlib") and "[redacted]" in line for n, line in lines)
    assert any("auth failed for [redacted]" in line for _, line in lines)


def test_env_is_ignored_by_git() -> None:
    ignored = (Path(__file__).resolve().parents[2] / ".gitignore").read_text().splitlines()
    assert ".env" in [line.strip() for line in ignored]
