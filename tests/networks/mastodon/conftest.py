"""One Mastodon stand-in per module, reset before each test; clients point at it over loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from mastodon import Mastodon

from bot.networks.mastodon.account import MastodonAccount
from bot.networks.mastodon.sandbox import MastodonSandbox

TOKEN = "token-test"


@pytest.fixture(scope="module")
def server() -> Iterator[MastodonSandbox]:
    with MastodonSandbox(token=TOKEN) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(server: MastodonSandbox) -> MastodonSandbox:
    if not server.is_up:
        server.come_up()
    server.reset()
    server.set_limits(max_characters=500, characters_reserved_per_url=23, max_media_attachments=4)
    server.media_processing()
    server.has_v2_instance = True
    return server


@pytest.fixture
def api(sandbox: MastodonSandbox) -> Mastodon:
    """Mastodon.py as anyone would set it up, but throwing on 429 so a test never sleeps."""
    return Mastodon(access_token=TOKEN, api_base_url=sandbox.url, ratelimit_method="throw", request_timeout=5)


@pytest.fixture
def account(sandbox: MastodonSandbox) -> MastodonAccount:
    return MastodonAccount(sandbox.url, TOKEN, timeout=(2.0, 2.0), token_env="ACME_MASTODON_TOKEN", poll_interval=0.01)
