"""One Bluesky stand-in per module, reset before each test; clients are the real atproto SDK over loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.networks.bluesky import BlueskyAccount
from bot.networks.bluesky.sandbox import BlueskySandbox

HANDLE, PASSWORD = "acme.bsky.social", "abcd-efgh-ijkl-mnop"
BOB, BOB_DID = "bob.bsky.social", "did:plc:bobbobbobbobbobbobbobbob"


@pytest.fixture(scope="module")
def server() -> Iterator[BlueskySandbox]:
    with BlueskySandbox(handle=HANDLE, app_password=PASSWORD) as sandbox:
        yield sandbox


@pytest.fixture
def pds(server: BlueskySandbox) -> BlueskySandbox:
    if not server.is_up:
        server.come_up()
    server.reset()
    server.add_account(BOB, BOB_DID)
    return server


@pytest.fixture
def account(pds: BlueskySandbox) -> BlueskyAccount:
    return BlueskyAccount(HANDLE, PASSWORD, base_url=pds.url, timeout=(2.0, 2.0))
