"""Fixtures: sandboxes for Slack and X on loopback (one per session, reset per test) and a running app."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.networks.mastodon.sandbox import MastodonSandbox
from bot.runtime.runner import Running, start_http
from bot.runtime.settings import Settings
from bot.sandbox import SlackSandbox, XSandbox
from tests import db
from tests.e2e.harness import OTHER_TEAM, PEOPLE, Harness, app_env
from tests.e2e.three_networks import TOKEN, start_three


@pytest.fixture(scope="session")
def slack() -> Iterator[SlackSandbox]:
    sandbox = SlackSandbox().start()
    yield sandbox
    sandbox.stop()


@pytest.fixture(scope="session")
def x() -> Iterator[XSandbox]:
    sandbox = XSandbox().start()
    yield sandbox
    sandbox.stop()


@pytest.fixture(autouse=True)
def clean_sandboxes(slack: SlackSandbox, x: XSandbox) -> None:
    slack.reset()
    x.reset()
    for user_id, name in PEOPLE.items():
        slack.add_user(user_id, name.split()[0].lower(), real_name=name)
    slack.add_user("U0GUEST", "gus", real_name=PEOPLE["U0GUEST"], team_id=OTHER_TEAM)


@pytest.fixture(params=db.BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database per test, which the app migrates on start: `[sqlite]` always, `[postgresql]`
    when COUNTERSIGN_TEST_DATABASE_URL is set (skipped otherwise)."""
    with db.isolated_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def start_bot(slack: SlackSandbox, x: XSandbox, database_url: str) -> Iterator[Callable[..., Harness]]:
    """Start the app over HTTP with settings overrides; stopped after the test."""
    started: list[Running] = []

    def start(scheduler: bool = False, clock: Callable[[], datetime] | None = None, **overrides: str) -> Harness:
        settings = Settings.from_env(app_env(slack, x, database_url, **overrides))
        running = start_http(settings, "127.0.0.1", 0, scheduler=scheduler, clock=clock)
        started.append(running)
        return Harness.of(running, slack, x)

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def bot(start_bot: Callable[..., Harness]) -> Harness:
    return start_bot()


@pytest.fixture
def networks() -> Iterator[tuple[BlueskySandbox, MastodonSandbox]]:
    """Bluesky's and Mastodon's stand-ins, fresh for each test (tests/e2e/three_networks.py)."""
    with BlueskySandbox() as bluesky, MastodonSandbox(token=TOKEN) as mastodon:
        yield bluesky, mastodon


@pytest.fixture
def three(
    slack: SlackSandbox,
    x: XSandbox,
    database_url: str,
    tmp_path: Path,
    networks: tuple[BlueskySandbox, MastodonSandbox],
) -> Iterator[Harness]:
    """The app serving Acme on X, Bluesky and Mastodon, and South on X (tests/e2e/three_networks.py)."""
    running = start_three(slack, x, *networks, database_url, tmp_path)
    yield Harness.of(running, slack, x)
    running.stop()
