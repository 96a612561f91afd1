"""A deployment whose brand Acme posts to X, Bluesky and Mastodon (each its own stand-in, driven by its own unpatched
SDK), from a brands file, with a second brand (South, X only, approved by OWNER2) beside it: what a brand on several
networks looks like to the real app, and to another brand's approver."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from sqlmodel import select

from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.networks.mastodon.sandbox import MastodonSandbox
from bot.runtime.brands import for_deployment
from bot.runtime.runner import Running, start_http
from bot.runtime.settings import Settings
from bot.sandbox import SlackSandbox, XSandbox
from storage.models import Delivery
from tests.e2e.harness import OWNER, OWNER2, Harness, app_env

CHANNEL = "C0ACME"
SOUTH = "C0SOUTH"
TOKEN = "mastodon-token"
LINE = "— drafted by Acme Agency, approved by Olivia Owner"


def brands_file(x: XSandbox, bluesky: BlueskySandbox, mastodon: MastodonSandbox) -> str:
    return f"""
[brands.acme]
name = "Acme Coffee"
drafts_channels = ["{CHANNEL}"]
approvers = ["{OWNER}"]
agency_name = "Acme Agency"

[brands.acme.x]
api_key_env = "ACME_X_KEY"
api_secret_env = "ACME_X_SECRET"
access_token_env = "ACME_X_TOKEN"
access_token_secret_env = "ACME_X_TOKEN_SECRET"
api_url = "{x.url}"

[brands.acme.bluesky]
handle = "{bluesky.user_handle}"
app_password_env = "ACME_BSKY"
service = "{bluesky.url}"

[brands.acme.mastodon]
instance = "{mastodon.url}"
access_token_env = "ACME_MASTODON"

[brands.south]
name = "Southside Bikes"
drafts_channels = ["{SOUTH}"]
approvers = ["{OWNER2}"]
agency_name = "South Agency"

[brands.south.x]
api_key_env = "SOUTH_X_KEY"
api_secret_env = "SOUTH_X_SECRET"
access_token_env = "SOUTH_X_TOKEN"
access_token_secret_env = "SOUTH_X_TOKEN_SECRET"
api_url = "{x.url}"
"""


def start_three(
    slack: SlackSandbox, x: XSandbox, bluesky: BlueskySandbox, mastodon: MastodonSandbox, database_url: str, tmp: Path
) -> Running:
    """The app over HTTP on loopback, serving both brands with every scheduler off but the publisher's."""
    path = tmp / "countersign.toml"
    path.write_text(brands_file(x, bluesky, mastodon), encoding="utf-8")
    env = app_env(slack, x, database_url, COUNTERSIGN_CONFIG=str(path))
    for name in ("DRAFTS_CHANNEL", "APPROVERS", "AGENCY_NAME"):
        env.pop(name)
    for brand in ("ACME", "SOUTH"):
        env |= {f"{brand}_X_KEY": x.consumer_key, f"{brand}_X_SECRET": "s"}
        env |= {f"{brand}_X_TOKEN": f"{brand.lower()}-t", f"{brand}_X_TOKEN_SECRET": "ts"}
    env |= {"ACME_BSKY": bluesky.app_password, "ACME_MASTODON": TOKEN}
    settings = Settings.from_env(env)
    return start_http(settings, "127.0.0.1", 0, brands=for_deployment(env, settings))


def command(app: Harness, text: str) -> str:
    """`/countersign <text>` from OWNER in Acme's drafts channel: the answer's text."""
    response = app.driver.command(text, OWNER, channel=CHANNEL)
    assert response.status_code == 200
    return response.json()["text"]


def deliveries(app: Harness) -> dict[str, Delivery]:
    """Every delivery in the database, by network (one draft's, in these tests)."""
    with app.store.read() as tx:
        return {d.network: d for d in tx.session.exec(select(Delivery)).all()}


def wait_until(condition: Callable[[], bool], timeout: float) -> None:
    """Poll what several stand-ins and the database show (no one condition variable spans them)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
