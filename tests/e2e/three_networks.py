"""One brand, `acme`, on X, Bluesky and Mastodon from a brands file: the app as a deployment with three networks
runs it, each network its own stand-in driven by its own unpatched SDK."""

from __future__ import annotations

from pathlib import Path

from bot.networks.bluesky.sandbox import BlueskySandbox
from bot.networks.mastodon.sandbox import MastodonSandbox
from bot.runtime.brands import for_deployment
from bot.runtime.runner import start_http
from bot.runtime.settings import Settings
from bot.sandbox import SlackSandbox, XSandbox
from tests.e2e.harness import OWNER, Harness, app_env

TOKEN = "mastodon-token"
LINE = "— drafted by Acme Agency, approved by Olivia Owner"


def brands_file(x: XSandbox, bluesky: BlueskySandbox, mastodon: MastodonSandbox, channel: str) -> str:
    return f"""
[brands.acme]
name = "Acme Coffee"
drafts_channels = ["{channel}"]
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
"""


def start(
    slack: SlackSandbox,
    x: XSandbox,
    bluesky: BlueskySandbox,
    mastodon: MastodonSandbox,
    database_url: str,
    tmp_path: Path,
    channel: str,
) -> Harness:
    """The real app over signed HTTP, its one brand drafting in `channel`; `stop()` it when done."""
    path = tmp_path / "countersign.toml"
    path.write_text(brands_file(x, bluesky, mastodon, channel), encoding="utf-8")
    env = app_env(slack, x, database_url, COUNTERSIGN_CONFIG=str(path))
    for name in ("DRAFTS_CHANNEL", "APPROVERS", "AGENCY_NAME"):
        env.pop(name)
    env |= {"ACME_X_KEY": x.consumer_key, "ACME_X_SECRET": "s", "ACME_X_TOKEN": "t", "ACME_X_TOKEN_SECRET": "ts"}
    env |= {"ACME_BSKY": bluesky.app_password, "ACME_MASTODON": TOKEN}
    settings = Settings.from_env(env)
    return Harness.of(start_http(settings, "127.0.0.1", 0, brands=for_deployment(env, settings)), slack, x)
