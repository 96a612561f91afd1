"""XAccount as the network interface (bot.networks.base.Account) sees it, against the X stand-in, tweepy unpatched."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.networks.base import Account, Network, Verdict
from bot.networks.x.client import XAccount
from bot.sandbox import XSandbox
from tests.e2e.images import image


@pytest.fixture(scope="module")
def server() -> Iterator[XSandbox]:
    with XSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def x(server: XSandbox) -> XSandbox:
    server.reset()
    return server


def account_of(x: XSandbox, key: str | None = None) -> XAccount:
    return XAccount(
        api_key=key or x.consumer_key, api_secret="s", access_token="t", access_token_secret="ts", base_url=x.url
    )


def test_it_is_an_account_of_x_with_xs_rules(x: XSandbox) -> None:
    account: Account = account_of(x)
    assert account.network is Network.X
    assert account.rules().count("https://northwind.coffee/a/very/long/path 👋") == 23 + 1 + 2
    assert (account.rules().limit, account.media_limits().max_images) == (280, 4)
    assert account.new_key() != account.new_key()


def test_a_thread_goes_out_as_replies_and_each_part_is_found_again(x: XSandbox) -> None:
    account = account_of(x)
    since = datetime.now(UTC) - timedelta(minutes=5)
    first = account.post("Beans & more: northwind.coffee")
    second = account.post("Part two", reply_to=first.id, media=[account.upload_media(image(), "image/png", "A cup")])
    reply = x.live_posts()[1]
    assert reply.in_reply_to == first.id and x.media.items[reply.media_ids[0]].alt_text == "A cup"
    assert account.find("", "Beans & more: northwind.coffee", since) == first.id
    assert account.find("", "Part two", since) == second.id  # its media link is X's, not our text's
    assert account.find("", "Never posted", since) is False
    assert first.link is None  # the username wasn't known yet: a link then needs a call, made by `link`
    assert account.link(second.id) == f"https://x.com/{x.username}/status/{second.id}"
    assert account.post("Now known").link is not None


def test_find_says_none_when_x_wont_say(x: XSandbox) -> None:
    account = account_of(x)
    account.me()
    x.fail("GET /2/users/:id/tweets", status=503)
    assert account.find("", "Anything", datetime.now(UTC) - timedelta(minutes=5)) is None


def test_check_names_the_keys_to_fix_when_x_refuses_them(x: XSandbox) -> None:
    [good] = account_of(x).check()
    assert good.ok and x.username in good.what
    [bad] = account_of(x, key="wrong").check()
    assert not bad.ok and "X_API_KEY" in bad.fix and "X_ACCESS_TOKEN_SECRET" in bad.fix


def test_diagnose_reads_xs_answers(x: XSandbox) -> None:
    account = account_of(x)
    x.fail("POST /2/tweets", status=503)
    with pytest.raises(Exception) as caught:
        account.post("Fresh beans")
    assert account.diagnose(caught.value).verdict is Verdict.UNCERTAIN


# -- a post's link, as an approver copies it (Mark as published on a thread's part) -----------------------------


@pytest.mark.parametrize(
    ("link", "post_id"),
    [
        ("https://x.com/acmecoffee/status/1990000000008388608", "1990000000008388608"),
        ("https://x.com/acmecoffee/status/1990000000008388608?s=20", "1990000000008388608"),
        ("  <https://twitter.com/acme_coffee/status/123/photo/1>  ", "123"),
        ("mobile.twitter.com/acme/statuses/42", "42"),
        ("https://x.com/i/web/status/77", "77"),
        ("1990000000008388608", "1990000000008388608"),
    ],
)
def test_a_status_link_or_an_id_gives_the_post_id(x: XSandbox, link: str, post_id: str) -> None:
    assert account_of(x).post_id_from_link(link) == post_id
    assert x.requests == []  # read from the link alone: nothing asked of X


@pytest.mark.parametrize(
    "link",
    [
        "",
        "it's there",
        "https://x.com/acmecoffee",
        "https://example.com/acme/status/1",
        "https://x.com/a/status/",
        "0x12",
        "1" * 21,
        "https://x.com/acmecoffee/status/12 and more",
    ],
)
def test_anything_else_is_not_a_post_link(x: XSandbox, link: str) -> None:
    assert account_of(x).post_id_from_link(link) is None
